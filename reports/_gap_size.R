# Helpers of the chapter "How big is the gap?": the nationality gap set against chance (baseline
# responders and shuffled answers), against each nation's noise ceiling and against the world's
# mean profile, read from the tables R/analysis/yardsticks.R writes (results/README.md).

YARDSTICKS <- "Rscript R/analysis/run.R"

# The measure every sentence speaks of; the tables show the others.
MAIN_METRIC <- "cosine_z"

# Each respondent-id mode's results folder under the results, the true respondents first.
ID_MODES <- c(respondent = "respondent", paper = "")

# `code`: ids in Markdown code, for prose and headings (not for captions, written as HTML).
id_mode_words <- function(mode, code = TRUE) {
  quote <- if (code) "`" else ""
  if (mode == "respondent") sprintf("true respondents (%srespondent%s ids)", quote, quote) else
    sprintf("the released labels (%spaper%s ids)", quote, quote)
}

yardstick_path <- function(mode, instrument, file) {
  if (nzchar(ID_MODES[[mode]])) result_path(ID_MODES[[mode]], instrument, file) else
    result_path(instrument, file)
}

read_yardstick <- function(mode, instrument, file) {
  read_csv_file(yardstick_path(mode, instrument, file))
}

# The measures' labels, from the sensitivity table of the same run (the id when it has none).
metric_labels <- function(mode, instrument) {
  sensitivity <- read_yardstick(mode, instrument, "metric_sensitivity.csv")
  if (is.null(sensitivity)) return(character())
  stats::setNames(sensitivity$label, sensitivity$metric)
}

metric_label <- function(metric, labels) {
  ifelse(metric %in% names(labels), labels[metric], metric)
}

interval_text <- function(low, high, format = fmt_num) {
  sprintf("[%s, %s]", format(low), format(high))
}

# "closer to <second adjective> respondents" when a first-minus-second gap is below zero.
closer_words <- function(gap) {
  nation <- if (gap < 0) second_nation() else first_nation()
  paste("closer to", adjective(nation), "respondents")
}

# Whether an interval lies wholly below or above zero.
excludes_zero <- function(low, high) !is.na(low) && !is.na(high) && (high < 0 || low > 0)

responder_words <- function(type) gsub("_", " ", type, fixed = TRUE)

# ---- against chance --------------------------------------------------------------------------

# The LLMs' and the baseline responders' gaps under one measure, or nothing without the LLMs.
baseline_gap_sentence <- function(baselines, metric, labels) {
  rows <- baselines[baselines$metric == metric, , drop = FALSE]
  llm <- rows[rows$responder_type == "llm", , drop = FALSE]
  if (nrow(llm) != 1) return(character())
  others <- rows[!rows$responder_type %in% c("llm", "human_mean"), , drop = FALSE]
  closer <- paste("closer to", adjective(second_nation()), "respondents")
  share <- function(x) paste0(fmt_num(100 * x, 0), "%")
  per_type <- sprintf("%s %s (%s of profiles %s)", responder_words(others$responder_type),
                      fmt_num(others$mean_gap), share(others$share_closer_to_usa), closer)
  sprintf(paste("Under the measure %s, the LLMs' mean gap (%s minus %s respondents) is %s; %s of",
                "the LLMs' profiles are %s. Responders with no values score: %s."),
          metric_label(metric, labels), adjective(first_nation()),
          adjective(second_nation()), fmt_num(llm$mean_gap), share(llm$share_closer_to_usa),
          closer, in_words(per_type))
}

baseline_sentences <- function(baselines, shuffles, labels) {
  lines <- baseline_gap_sentence(baselines, MAIN_METRIC, labels)
  # Constant responders have no similarity under the correlation measures: the first measure
  # that scores them speaks for them.
  constant <- setdiff(baselines$responder_type,
                      c(baselines$responder_type[baselines$metric == MAIN_METRIC]))
  scoring <- unique(baselines$metric[baselines$responder_type %in% constant])
  if (length(constant) > 0 && length(scoring) > 0) {
    lines <- c(lines, sprintf("Responders with a constant profile (%s) have no value under %s.",
                              in_words(responder_words(constant)),
                              metric_label(MAIN_METRIC, labels)),
               baseline_gap_sentence(baselines, scoring[[1]], labels))
  }
  test <- if (is.null(shuffles)) NULL else shuffles[shuffles$metric == MAIN_METRIC, , drop = FALSE]
  if (!is.null(test) && nrow(test) == 1) {
    inside <- test$mean_gap >= test$shuffle_gap_low && test$mean_gap <= test$shuffle_gap_high
    lines <- c(lines, sprintf(
      paste("Shuffling every LLM's own answers over the items (%s draws) gives a mean gap of %s",
            "(95%% of draws in %s); the LLMs' mean gap of %s lies %s that range (permutation %s):",
            "the gap %s against the LLMs' own answer distributions."),
      fmt_int(test$n_draws), fmt_cos(test$shuffle_mean_gap),
      interval_text(test$shuffle_gap_low, test$shuffle_gap_high, fmt_cos), fmt_cos(test$mean_gap),
      if (inside) "inside" else "outside", p_text(test$p_value),
      if (test$p_value < ALPHA_GAP) "survives" else "does not survive"))
  }
  lines
}

ALPHA_GAP <- 0.05

baseline_table <- function(baselines, labels) {
  data.frame(
    Measure = metric_label(baselines$metric, labels),
    Responder = responder_words(baselines$responder_type),
    Profiles = baselines$n_profiles,
    `Mean gap` = baselines$mean_gap,
    `2.5th–97.5th pct` = interval_text(baselines$gap_low, baselines$gap_high),
    `Share closer to second` = baselines$share_closer_to_usa,
    check.names = FALSE
  ) |> rename_second_share()
}

rename_second_share <- function(table) {
  names(table)[names(table) == "Share closer to second"] <-
    paste("Share closer to", adjective(second_nation()))
  table
}

# ---- against the ceiling ---------------------------------------------------------------------

# Each scale speaks of the measure it is written for, the main measure first.
scale_metric <- function(summary, scale) {
  metrics <- unique(summary$metric[summary$scale == scale])
  if (MAIN_METRIC %in% metrics) MAIN_METRIC else metrics[1]
}

ceiling_sentences <- function(ceilings, summary, labels) {
  lines <- character()
  for (metric in unique(ceilings$metric)) {
    rows <- ceilings[ceilings$metric == metric, , drop = FALSE]
    rows <- rows[match(compared_nations(), rows$nationality), , drop = FALSE]
    if (nrow(rows) != 2 || anyNA(rows$ceiling)) next
    what <- if (rows$ceiling_type[1] == "split_half_reliability") {
      "the split-half reliability of the nation's mean profile"
    } else {
      "a respondent's mean similarity to the mean profile of the other respondents"
    }
    lines <- c(lines, sprintf(
      paste("Under the measure %s, the noise ceiling (%s) is %s %s for %s respondents and %s %s",
            "for %s respondents."),
      metric_label(metric, labels), what,
      fmt_cos(rows$ceiling[1]), interval_text(rows$conf_low[1], rows$conf_high[1], fmt_cos),
      adjective(rows$nationality[1]), fmt_cos(rows$ceiling[2]),
      interval_text(rows$conf_low[2], rows$conf_high[2], fmt_cos), adjective(rows$nationality[2])))
  }
  scale_words <- c(share_of_ceiling = "as a share of each nation's ceiling",
                   disattenuated = "disattenuated (divided by the square root of the reliability)")
  for (scale in names(scale_words)) {
    metric <- scale_metric(summary, scale)
    row <- summary[summary$metric %in% metric & summary$scale == scale &
                     summary$llm_group == "all", , drop = FALSE]
    if (nrow(row) != 1) next
    lines <- c(lines, sprintf(
      paste("Under the measure %s, %s, the mean gap over the %s LLMs is %s (95%% CI %s; raw %s);",
            "%s of %s LLMs are %s on this scale: the gap %s."),
      metric_label(metric, labels), scale_words[[scale]], fmt_int(row$n_llms),
      fmt_num(row$mean_gap_relative), interval_text(row$conf_low, row$conf_high),
      fmt_num(row$mean_gap_raw), fmt_int(row$n_llms_closer_to_usa), fmt_int(row$n_llms),
      paste("closer to", adjective(second_nation()), "respondents"),
      survival_words(row$mean_gap_relative, row$conf_low, row$conf_high)))
  }
  lines
}

survival_words <- function(estimate, low, high) {
  if (!excludes_zero(low, high)) return("does not survive (its interval includes zero)")
  sprintf("survives (%s)", closer_words(estimate))
}

ceiling_table <- function(summary, labels) {
  data.frame(
    Measure = metric_label(summary$metric, labels),
    Scale = summary$scale,
    LLMs = summary$llm_group,
    n = summary$n_llms,
    `Raw gap` = summary$mean_gap_raw,
    `Relative gap` = summary$mean_gap_relative,
    `95% CI` = interval_text(summary$conf_low, summary$conf_high),
    `Closer to second` = sprintf("%d of %d", summary$n_llms_closer_to_usa, summary$n_llms),
    check.names = FALSE
  ) |> rename_second_closer()
}

rename_second_closer <- function(table) {
  names(table)[names(table) == "Closer to second"] <- paste("Closer to", adjective(second_nation()))
  table
}

# ---- against the centre ----------------------------------------------------------------------

centre_sentences <- function(versus_world, regression) {
  lines <- character()
  if (!is.null(versus_world)) {
    rows <- versus_world[versus_world$metric == MAIN_METRIC & versus_world$llm_group == "all", ,
                         drop = FALSE]
    for (i in seq_len(nrow(rows))) {
      row <- rows[i, ]
      lines <- c(lines, sprintf(
        paste("Prompted in %s, the LLMs' similarity to %s respondents minus their similarity to",
              "the world mean profile is %s on average (95%% CI %s, t(%s), %s); %s of %s LLMs are",
              "closer to %s than to the world mean: %s."),
        row$language, adjective(second_nation()), fmt_num(row$mean_usa_minus_world),
        interval_text(row$conf_low, row$conf_high), fmt_df(row$df), p_text(row$p_value),
        fmt_int(row$n_llms_closer_to_usa), fmt_int(row$n_llms), second_nation(),
        if (is.na(row$p_value)) {
          "too few LLMs for a test"
        } else if (row$p_value < ALPHA_GAP && row$mean_usa_minus_world > 0) {
          sprintf("the LLMs sit closer to %s than to the centre", second_nation())
        } else if (row$p_value < ALPHA_GAP) {
          "the LLMs sit closer to the centre"
        } else {
          "no difference survives"
        }))
    }
  }
  if (is.null(regression)) return(lines)
  fit <- regression[regression$metric == MAIN_METRIC & regression$fit == "mean_over_llms" &
                      regression$llm_group == "all", , drop = FALSE]
  term <- function(name) fit[fit$term == name, , drop = FALSE]
  centrality <- term("centrality")
  usa <- term("usa_similarity")
  if (nrow(centrality) == 1 && nrow(usa) == 1) {
    lines <- c(lines, sprintf(
      paste("Across the %s countries other than %s, the LLMs' mean similarity to a country changes",
            "by %s per SD of the country's similarity to the world mean profile (95%% CI %s, %s)",
            "and by %s per SD of its similarity to %s (95%% CI %s, %s; R² = %s, df %s). The two",
            "predictors correlate at r = %s across the countries, so the model can %s."),
      fmt_int(centrality$n_countries), second_nation(), fmt_num(centrality$estimate),
      interval_text(centrality$conf_low, centrality$conf_high), p_text(centrality$p_value),
      fmt_num(usa$estimate), second_nation(), interval_text(usa$conf_low, usa$conf_high),
      p_text(usa$p_value), fmt_cos(centrality$r_squared), fmt_df(centrality$df),
      fmt_cos(centrality$predictor_correlation),
      if (abs(centrality$predictor_correlation) >= 0.7) {
        paste("hardly tell them apart: each coefficient rests on what little the two do not",
              "share, and how the effect splits between them is not a finding on its own")
      } else {
        "separate them"
      }))
  }
  lines
}

regression_table <- function(regression) {
  data.frame(
    Fit = regression$fit,
    LLMs = regression$llm_group,
    Term = regression$term,
    Estimate = regression$estimate,
    SE = regression$std_error,
    df = fmt_df(regression$df),
    `95% CI` = interval_text(regression$conf_low, regression$conf_high),
    p = fmt_p(regression$p_value),
    check.names = FALSE
  )
}

# ---- invariant items -------------------------------------------------------------------------

invariant_sentences <- function(invariant) {
  rows <- invariant[invariant$metric == MAIN_METRIC, , drop = FALSE]
  all <- rows[rows$items == "all", , drop = FALSE]
  kept <- rows[rows$items == "invariant", , drop = FALSE]
  if (nrow(all) != 1 || nrow(kept) != 1) return(character())
  sprintf(
    paste("On the items whose content is the same in every prompt language, the mean gap is %s",
          "(%s of %s LLMs closer to %s respondents), against %s on all items (%s of %s). The",
          "difference between %s and %s LLMs in that gap is %s (95%% CI %s, %s) against %s on",
          "all items (%s)."),
    fmt_cos(kept$mean_gap), fmt_int(kept$n_llms_closer_to_china), fmt_int(kept$n_llms),
    adjective(first_nation()), fmt_cos(all$mean_gap), fmt_int(all$n_llms_closer_to_china),
    fmt_int(all$n_llms), adjective(first_nation()), adjective(second_nation()),
    fmt_num(kept$origin_x_nationality), interval_text(kept$conf_low, kept$conf_high),
    p_text(kept$p_value), fmt_num(all$origin_x_nationality), p_text(all$p_value))
}

# ---- one section per respondent-id mode and instrument ----------------------------------------

# For chunks with `results: asis`: a note naming a missing table and what writes it, or NULL.
missing_yardstick <- function(mode, instrument, file) {
  if (file.exists(yardstick_path(mode, instrument, file))) return(NULL)
  missing_note(yardstick_path(mode, instrument, file), YARDSTICKS)
}

show_yardstick_section <- function(mode, instrument, part) {
  labels <- metric_labels(mode, instrument)
  label <- instrument_label(instrument)
  who <- id_mode_words(mode)
  caption_who <- id_mode_words(mode, code = FALSE)
  read <- function(file) read_yardstick(mode, instrument, file)
  need <- function(files) {
    notes <- unlist(lapply(files, missing_yardstick, mode = mode, instrument = instrument))
    if (length(notes) == 0) return(TRUE)
    cat(notes, sep = "\n")
    # Without the instrument's respondents, what to download first.
    if (!file.exists(yardstick_path(mode, instrument, "rq1_ols.csv"))) {
      cat("", instrument_steps(instrument), "", sep = "\n")
    }
    FALSE
  }
  cat(sprintf("\n### %s, %s\n\n", label, who))
  if (part == "chance") {
    if (!need(c("baseline_gaps.csv", "shuffle_mean_test.csv"))) return(invisible())
    baselines <- read("baseline_gaps.csv")
    cat(baseline_sentences(baselines, read("shuffle_mean_test.csv"), labels), sep = "\n\n")
    show_table(baseline_table(baselines, labels),
               sprintf(paste("%s, %s: the gap (%s minus %s respondents) of baseline responders,",
                             "the LLMs and the human means."),
                       label, caption_who, adjective(first_nation()), adjective(second_nation())))
  } else if (part == "ceiling") {
    if (!need(c("noise_ceilings.csv", "ceiling_gap_summary.csv"))) return(invisible())
    summary <- read("ceiling_gap_summary.csv")
    cat(ceiling_sentences(read("noise_ceilings.csv"), summary, labels), sep = "\n\n")
    show_table(ceiling_table(summary, labels),
               sprintf(paste("%s, %s: the mean gap over LLMs on the ceiling-relative scales",
                             "(t interval over LLMs)."), label, caption_who))
  } else if (part == "centre") {
    if (!need(c("centrality_usa_vs_world.csv", "centrality_regression.csv"))) return(invisible())
    regression <- read("centrality_regression.csv")
    cat(centre_sentences(read("centrality_usa_vs_world.csv"), regression), sep = "\n\n")
    show_table(regression_table(regression),
               sprintf(paste("%s, %s: LLM-to-country similarity regressed on the country's",
                             "centrality and its similarity to %s (both standardised)."),
                       label, caption_who, second_nation()))
  } else if (part == "invariant") {
    if (!need("invariant_items_headline.csv")) return(invisible())
    cat(invariant_sentences(read("invariant_items_headline.csv")), sep = "\n\n")
  }
  invisible()
}

baseline_figure_folder <- function(mode) {
  if (nzchar(ID_MODES[[mode]])) file.path(ID_MODES[[mode]], "figures") else "figures"
}

baseline_figure_path <- function(mode, instrument) {
  result_path(baseline_figure_folder(mode), paste0(instrument, "_fig_baseline_gaps.png"))
}

# ---- the summary -----------------------------------------------------------------------------

# One line per instrument: whether the gap survives each yardstick (NULL without the tables).
survival_summary <- function(mode, instrument) {
  read <- function(file) read_yardstick(mode, instrument, file)
  shuffles <- read("shuffle_mean_test.csv")
  summary <- read("ceiling_gap_summary.csv")
  versus_world <- read("centrality_usa_vs_world.csv")
  if (is.null(shuffles) || is.null(summary) || is.null(versus_world)) return(NULL)
  test <- shuffles[shuffles$metric == MAIN_METRIC, , drop = FALSE]
  ceiling <- summary[summary$metric == MAIN_METRIC & summary$scale == "share_of_ceiling" &
                       summary$llm_group == "all", , drop = FALSE]
  world <- versus_world[versus_world$metric == MAIN_METRIC & versus_world$llm_group == "all", ,
                        drop = FALSE]
  if (nrow(test) != 1 || nrow(ceiling) != 1 || nrow(world) == 0) return(NULL)
  closer_to_second <- !is.na(world$conf_low) & world$conf_low > 0
  languages <- if (any(closer_to_second)) in_words(world$language[closer_to_second]) else
    if (all(is.na(world$conf_low))) "no language (too few LLMs for an interval)" else "no language"
  sprintf(
    paste("- **%s, %s.** Against shuffled answers the mean gap %s (%s); as a share of each",
          "nation's noise ceiling it %s; the LLMs are closer to %s than to the world mean",
          "profile, beyond chance, when prompted in %s."),
    instrument_label(instrument), id_mode_words(mode),
    if (test$p_value < ALPHA_GAP) "survives" else "does not survive", p_text(test$p_value),
    survival_words(ceiling$mean_gap_relative, ceiling$conf_low, ceiling$conf_high),
    second_nation(),
    languages)
}

# Helpers of the mixed-effects chapter and of the overview's headline: readable tables of the
# OLS-versus-mixed comparisons, contrasts, LLM-level tests and diagnostics, the per-LLM contrast
# plot, and the sentences that say what survives (drawn from the results; no model is fitted).

# The inference of this chapter uses the true respondents (`respondent` ids): each released
# Participant label mixes several people, so a label is not a sampling unit. The paper-id run
# (results/<instrument>/) is the reproduction of the published OLS.
PRIMARY_IDS <- "respondent"

primary_path <- function(instrument, file) result_path(PRIMARY_IDS, instrument, file)

primary_result <- function(instrument, file) read_csv_file(primary_path(instrument, file))

ALPHA <- 0.05

# Every effect size is named by what it divides by.
EFFECT_SCALES <- c(
  d_row_sd = "b / SD of one cosine",
  d_llm_sd = "b / SD of an LLM-level cell mean",
  cohens_d = "Cohen's d (pooled SD of the two nationalities)"
)

# "b = -0.195, SE = 0.018, t(44.2) = -10.66, p < .001" for prose (p from `p_column`).
test_text <- function(row, p_column = "p_value", p_label = "p") {
  if (is.null(row) || nrow(row) != 1) return("(not available)")
  p <- sub("^p", p_label, p_text(row[[p_column]]))
  sprintf("b = %s, SE = %s, t(%s) = %s, %s", fmt_num(row$estimate), fmt_num(row$std_error),
          fmt_df(row$df), fmt_num(row$statistic, 2), p)
}

row_of <- function(table, ...) {
  if (is.null(table)) return(NULL)
  conditions <- list(...)
  keep <- rep(TRUE, nrow(table))
  for (column in names(conditions)) keep <- keep & table[[column]] %in% conditions[[column]]
  if (sum(keep) != 1) return(NULL)
  table[keep, , drop = FALSE]
}

comparison_table <- function(comparison) {
  if (is.null(comparison)) return(NULL)
  data.frame(
    Term = term_label(comparison$term),
    `OLS estimate` = fmt_num(comparison$ols_estimate), `OLS SE` = fmt_num(comparison$ols_std_error),
    `OLS p` = fmt_p(comparison$ols_p_value),
    `Mixed estimate` = fmt_num(comparison$lmm_estimate),
    `Mixed SE` = fmt_num(comparison$lmm_std_error),
    `Mixed df` = fmt_df(comparison$lmm_df), `Mixed p` = fmt_p(comparison$lmm_p_value),
    `SE ratio` = fmt_num(comparison$se_ratio_lmm_over_ols, 1), check.names = FALSE
  )
}

# RQ3: every term with its Holm family and both adjusted p values.
rq3_comparison_table <- function(comparison) {
  if (is.null(comparison)) return(NULL)
  data.frame(
    Term = term_label(comparison$term), Family = comparison$family,
    `OLS estimate` = fmt_num(comparison$ols_estimate), `OLS p` = fmt_p(comparison$ols_p_value),
    `OLS p (Holm)` = fmt_p(comparison$ols_p_adjusted),
    `Mixed estimate` = fmt_num(comparison$lmm_estimate),
    `Mixed SE` = fmt_num(comparison$lmm_std_error), `Mixed df` = fmt_df(comparison$lmm_df),
    `Mixed p` = fmt_p(comparison$lmm_p_value), `Mixed p (Holm)` = fmt_p(comparison$lmm_p_adjusted),
    check.names = FALSE
  )
}

# The RQ2 model's factorial terms that the paper's congruence model leaves out.
rq2_factorial_table <- function(rq2) {
  if (is.null(rq2)) return(NULL)
  rows <- rq2[!as.logical(rq2$paper_term), , drop = FALSE]
  data.frame(
    Term = term_label(rows$term), Estimate = fmt_num(rows$estimate),
    SE = fmt_num(rows$std_error), df = fmt_df(rows$df), t = fmt_num(rows$statistic, 2),
    p = fmt_p(rows$p_value), check.names = FALSE
  )
}

GROUP_LABELS <- c(respondent_key = "respondent", llm = "LLM",
                  "respondent_key:llm" = "respondent × LLM", maker = "maker")

# "respondent_key=0.41; llm=0.05" as "respondent 0.41; LLM 0.05"; lme4's `llm.1` is the LLM.
icc_text <- function(icc) {
  vapply(icc, function(one) {
    if (is.na(one) || one == "") return("")
    parts <- strsplit(strsplit(one, "; ", fixed = TRUE)[[1]], "=", fixed = TRUE)
    groups <- sub("\\.[0-9]+$", "", vapply(parts, `[[`, "", 1))
    shown <- ifelse(groups %in% names(GROUP_LABELS), GROUP_LABELS[groups], groups)
    paste(sprintf("%s %s", shown, fmt_num(as.numeric(vapply(parts, `[[`, "", 2)))),
          collapse = "; ")
  }, "", USE.NAMES = FALSE)
}

diagnostics_table <- function(diagnostics) {
  if (is.null(diagnostics)) return(NULL)
  model <- diagnostics$model
  if ("removed" %in% names(diagnostics)) {
    removed <- diagnostics$removed
    named <- !is.na(removed) & removed != ""
    model[named] <- sprintf("%s (removed: %s)", model[named], removed[named])
  }
  count <- function(x) ifelse(is.na(x) | x == 0, "–", fmt_int(x))
  data.frame(
    Model = model, Formula = diagnostics$formula, Observations = fmt_int(diagnostics$n_obs),
    Respondents = count(diagnostics$n_respondents), LLMs = count(diagnostics$n_llms),
    df = diagnostics$df_method, Singular = diagnostics$singular,
    `R² marginal` = fmt_num(diagnostics$r2_marginal),
    `R² conditional` = fmt_num(diagnostics$r2_conditional),
    `ICC (share of one cosine's intercept variance)` = icc_text(diagnostics$icc),
    check.names = FALSE
  )
}

effect_size_column <- function(table) {
  intersect(names(EFFECT_SCALES), names(table))[1]
}

contrast_table <- function(contrasts, by_column, by_label) {
  if (is.null(contrasts)) return(NULL)
  scale <- effect_size_column(contrasts)
  table <- data.frame(
    by = contrasts[[by_column]], Contrast = contrasts$contrast,
    Estimate = fmt_num(contrasts$estimate),
    `95% CI` = sprintf("[%s, %s]", fmt_num(contrasts$conf_low), fmt_num(contrasts$conf_high)),
    SE = fmt_num(contrasts$std_error), df = fmt_df(contrasts$df), p = fmt_p(contrasts$p_value),
    `p (Holm)` = fmt_p(contrasts$p_adjusted),
    check.names = FALSE
  )
  if (!is.na(scale)) table[[EFFECT_SCALES[[scale]]]] <- fmt_num(contrasts[[scale]], 2)
  if ("p_primary" %in% names(contrasts)) {
    # The primary test (maker as the unit), on which the book's verdicts rest.
    table$`Primary unit` <- unit_words(contrasts$primary_unit)
    table$`Primary estimate` <- fmt_num(contrasts$primary_estimate)
    table$`Primary p` <- fmt_p(contrasts$p_primary)
    if ("p_primary_adjusted" %in% names(contrasts)) {
      table$`Primary p (Holm)` <- fmt_p(contrasts$p_primary_adjusted)
    }
  }
  names(table)[1] <- by_label
  table
}

congruence_table <- function(contrasts) {
  if (is.null(contrasts)) return(NULL)
  contrasts$factor <- term_label(contrasts$factor)
  contrast_table(contrasts, "factor", "Congruent")
}

# The origin terms of RQ1 and RQ2: the primary test (maker as the unit where makers are known)
# first, then the LLM-level tests and the (1 | maker) model check beside it, with the range of
# the LLM-level t-test's p when each LLM is left out in turn (llm_level_loo.csv).
llm_level_table <- function(llm_level, leave_one_out = NULL) {
  if (is.null(llm_level)) return(NULL)
  rows <- llm_level[llm_level$analysis %in% c("rq1", "rq2"), , drop = FALSE]
  rows <- with_columns(rows, c("primary_estimate", "primary_conf_low", "primary_conf_high",
                               "p_primary", "p_primary_welch", "estimate", "std_error",
                               "statistic", "df", "p_value", "p_permutation", "boot_se",
                               "p_maker_model", "primary_note", "maker_model_note"))
  table <- data.frame(
    Question = toupper(rows$analysis), Term = term_label(rows$term),
    `Primary unit` = unit_words(rows$primary_unit),
    `Primary estimate` = fmt_num(rows$primary_estimate),
    `Primary 95% CI` = sprintf("[%s, %s]", fmt_num(rows$primary_conf_low),
                               fmt_num(rows$primary_conf_high)),
    `Primary p` = fmt_p(rows$p_primary), `Primary Welch p` = fmt_p(rows$p_primary_welch),
    Estimate = fmt_num(rows$estimate), SE = fmt_num(rows$std_error),
    t = fmt_num(rows$statistic, 2), df = fmt_df(rows$df), p = fmt_p(rows$p_value),
    `Permutation p` = fmt_p(rows$p_permutation), `Bootstrap SE` = fmt_num(rows$boot_se),
    `(1 | maker) model p` = fmt_p(rows$p_maker_model),
    check.names = FALSE
  )
  if (!is.null(leave_one_out)) {
    table$`p, one LLM left out` <- vapply(seq_len(nrow(rows)), function(i) {
      p <- leave_one_out$p_value[leave_one_out$analysis == rows$analysis[i] &
                                   leave_one_out$term == rows$term[i]]
      if (length(p) == 0) "" else sprintf("%s to %s", fmt_p(min(p)), fmt_p(max(p)))
    }, "")
  }
  notes <- paste(ifelse(is.na(rows$primary_note), "", rows$primary_note),
                 ifelse(is.na(rows$maker_model_note), "", rows$maker_model_note))
  if (any(trimws(notes) != "")) table$Note <- trimws(notes)
  table
}

# Every candidate random-effects structure of the RQ1 and RQ2 models, fitted or not.
selection_table <- function(selection) {
  if (is.null(selection)) return(NULL)
  rows <- selection[selection$model %in% c("rq1_lmm", "rq2_lmm"), ]
  reason <- if ("not_fitted_reason" %in% names(rows)) rows$not_fitted_reason else NA
  data.frame(
    Model = rows$model, Structure = rows$structure, `Random effects` = rows$random,
    Singular = ifelse(is.na(rows$singular), "", as.character(rows$singular)),
    AIC = ifelse(is.na(rows$aic), "", fmt_num(rows$aic, 1)),
    `LRT p` = ifelse(is.na(rows$lrt_p_vs_previous_choice), "",
                     fmt_p(rows$lrt_p_vs_previous_choice)),
    Chosen = rows$chosen,
    Note = ifelse(is.na(reason), "", paste("not fitted:", reason)),
    check.names = FALSE
  )
}

per_llm_table <- function(per_llm) {
  if (is.null(per_llm)) return(NULL)
  per_llm <- per_llm[order(per_llm$llm_origin, per_llm$estimate), , drop = FALSE]
  table <- contrast_table(per_llm, "llm", "LLM")
  table$LLM <- model_names(per_llm$llm)
  cbind(table[1], Origin = per_llm$llm_origin, table[-1])
}

# The colours of R/analysis/figures.R (Okabe-Ito), so that every figure reads alike: the first
# compared nation's, the second's, then those of any other origin.
ORIGIN_COLOURS <- c("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")

origin_colours <- function(origins) {
  origins <- unique(c(compared_nations(), sort(unique(origins))))
  stats::setNames(rep_len(ORIGIN_COLOURS, length(origins)), origins)
}

# "cosine with <first> minus <second> respondents" (adjectives): what every nationality
# contrast measures.
contrast_words <- function() {
  sprintf("cosine with %s minus %s respondents", adjective(first_nation()),
          adjective(second_nation()))
}

plot_per_llm_contrasts <- function(per_llm, path) {
  if (is.null(per_llm)) {
    cat(missing_note(path))
    return(invisible(NULL))
  }
  per_llm$name <- model_names(per_llm$llm)
  order_shown <- order(per_llm$llm_origin, -per_llm$estimate)
  per_llm$name <- factor(per_llm$name, levels = per_llm$name[order_shown])
  aesthetics <- ggplot2::aes(x = .data$estimate, y = .data$name, colour = .data$llm_origin)
  plot <- ggplot2::ggplot(per_llm, aesthetics) +
    ggplot2::geom_vline(xintercept = 0, colour = "grey50") +
    ggplot2::geom_errorbarh(ggplot2::aes(xmin = .data$conf_low, xmax = .data$conf_high),
                            height = 0.3) +
    ggplot2::geom_point(size = 2.5) +
    ggplot2::scale_colour_manual(values = origin_colours(per_llm$llm_origin), name = "LLM made in") +
    ggplot2::labs(x = paste0(toupper(substring(contrast_words(), 1, 1)),
                             substring(contrast_words(), 2)), y = NULL) +
    ggplot2::theme_minimal(base_size = 14) +
    ggplot2::theme(legend.position = "top")
  print(plot)
}

# ---- what survives: sentences written from the result tables ------------------------------

significant <- function(p) !is.na(p) && p < ALPHA

# The respondents' nationality gap in the RQ1 mixed model (true respondents).
nationality_sentence <- function(lmm) {
  row <- row_of(lmm, term = TERMS[["participant"]])
  if (is.null(row)) return(NULL)
  adjectives <- adjective(compared_nations())
  closer <- if (row$estimate < 0) rev(adjectives) else adjectives
  if (significant(row$p_value)) {
    sprintf(paste("**The nationality gap survives.** With respondents and LLMs as crossed",
                  "random factors, the LLMs' answers resemble %s respondents more than %s",
                  "respondents (%s: %s)."),
            closer[1], closer[2], contrast_words(), test_text(row))
  } else {
    sprintf(paste("**The nationality gap does not survive.** With respondents and LLMs as",
                  "crossed random factors, the %s is %s."), contrast_words(), test_text(row))
  }
}

# The primary test of an origin term (llm_level.csv row), for prose: the units, the estimate and
# its Welch t over the units, the permutation p; and why the units are LLMs when they are.
primary_text <- function(llm_row) {
  if (is.na(llm_row$primary_unit)) {
    return(sprintf("no primary test is possible (%s)", llm_row$primary_note))
  }
  units <- unit_words(llm_row$primary_unit)
  note <- if (is.na(llm_row$primary_note) || llm_row$primary_note == "") "" else
    if (llm_row$primary_unit == "llm") {
      sprintf("; the test falls back to the LLMs as units: %s", llm_row$primary_note)
    } else {
      sprintf("; %s", llm_row$primary_note)
    }
  sprintf("primary test, %s, %d %s against %d %s %s: b = %s, SE = %s, Welch t(%s) = %s, %s%s",
          llm_row$primary_test, llm_row$n_units_first, adjective(first_nation()),
          llm_row$n_units_second, adjective(second_nation()), units,
          fmt_num(llm_row$primary_estimate), fmt_num(llm_row$primary_std_error),
          fmt_df(llm_row$primary_df),
          fmt_num(llm_row$primary_estimate / llm_row$primary_std_error, 2),
          p_text(llm_row$p_primary), note)
}

# An origin term: the verdict rests on the primary test (`p_primary`); beside it the mixed
# model's test, the LLM-level t-test and permutation test, and the (1 | maker) model check.
origin_evidence <- function(lmm_row, llm_row) {
  if (is.null(llm_row)) {
    return(list(text = "origin tests not available", decided = FALSE, significant = FALSE,
                 estimate = NA))
  }
  beside <- c(
    if (!is.null(lmm_row)) sprintf("mixed model: %s", test_text(lmm_row)),
    sprintf(paste("LLM-level tests ignoring makers, %d %s against %d %s LLMs: t(%s) = %s, %s,",
                  "permutation %s"),
            nation_column(llm_row, "n_", first_nation(), "_llms"), adjective(first_nation()),
            nation_column(llm_row, "n_", second_nation(), "_llms"), adjective(second_nation()),
            fmt_df(llm_row$df), fmt_num(llm_row$statistic, 2), p_text(llm_row$p_value),
            p_text(llm_row$p_permutation)),
    if (!is.na(llm_row$p_maker_model)) {
      sprintf("(1 | maker) model check: %s", p_text(llm_row$p_maker_model))
    }
  )
  list(text = sprintf("%s; beside it, %s", primary_text(llm_row), paste(beside, collapse = "; ")),
       decided = !is.na(llm_row$p_primary), significant = significant(llm_row$p_primary),
       estimate = llm_row$primary_estimate)
}

origin_sentence <- function(lmm, llm_level, paper_ols) {
  origin <- TERMS[["origin"]]
  evidence <- origin_evidence(row_of(lmm, term = origin),
                              row_of(llm_level, analysis = "rq1", term = origin))
  ols <- row_of(paper_ols, term = origin)
  ols_text <- if (is.null(ols)) "" else sprintf(
    paste(" The paper's OLS, which counts each of its %s rows (paper ids) as an independent",
          "observation, gives %s for the same effect."),
    fmt_int(ols$n_obs), p_text(ols$p_value))
  verdict <- if (!evidence$decided) {
    "**The effect of an LLM's origin cannot be tested**"
  } else if (!evidence$significant) {
    sprintf(paste("**The effect of an LLM's origin does not survive.** Whether an LLM was made in",
                  "%s or in %s makes no detectable difference to how closely it answers like the",
                  "respondents"), first_nation(), second_nation())
  } else {
    sprintf("**LLMs made in %s answer %s like the respondents than %s LLMs**", first_nation(),
            if (evidence$estimate < 0) "less" else "more", adjective(second_nation()))
  }
  sprintf("%s (%s).%s", verdict, evidence$text, ols_text)
}

interaction_sentence <- function(lmm, llm_level) {
  term <- interaction_term()
  evidence <- origin_evidence(row_of(lmm, term = term),
                              row_of(llm_level, analysis = "rq1", term = term))
  first <- adjective(first_nation())
  second <- adjective(second_nation())
  if (!evidence$decided) {
    sprintf("Whether %s LLMs' nationality gap differs cannot be tested (%s).", first,
            evidence$text)
  } else if (!evidence$significant) {
    sprintf(paste("Nor are %s LLMs closer to %s respondents in particular: their",
                  "nationality gap does not differ detectably from %s LLMs' (%s)."),
            first, first, second, evidence$text)
  } else {
    sprintf("%s LLMs' nationality gap is %s than %s LLMs' (%s).", first,
            if (evidence$estimate > 0) "smaller" else "larger", second, evidence$text)
  }
}

# RQ2: the congruence terms (Holm over the family in rq2_lmm.csv).
congruence_sentence <- function(rq2, llm_level) {
  terms <- c(congruent_language = "a prompt in the respondent's language",
             congruent_persona = "a persona of the respondent's nationality",
             congruent_origin = "an LLM made in the respondent's country")
  if (is.null(rq2) || !"p_adjusted" %in% names(rq2)) return(NULL)
  rows <- rq2[match(names(terms), rq2$term), , drop = FALSE]
  if (anyNA(rows$term)) return(NULL)
  # Origin terms carry a primary test (maker as the unit); their verdict rests on its Holm p.
  primary <- function(i) {
    "p_primary_adjusted" %in% names(rows) && !is.na(rows$p_primary_adjusted[i])
  }
  described <- vapply(seq_along(terms), function(i) {
    p <- if (primary(i)) rows$p_primary_adjusted[i] else rows$p_adjusted[i]
    estimate <- if (primary(i)) rows$primary_estimate[i] else rows$estimate[i]
    evidence <- if (primary(i)) {
      sprintf("primary test over %s: b = %s, SE = %s, Welch t(%s) = %s, %s; mixed model: %s",
              unit_words(rows$primary_unit[i]), fmt_num(estimate),
              fmt_num(rows$primary_std_error[i]), fmt_df(rows$primary_df[i]),
              fmt_num(estimate / rows$primary_std_error[i], 2),
              sub("^p", "Holm p", p_text(p)), test_text(rows[i, ], "p_adjusted", "Holm p"))
    } else {
      test_text(rows[i, ], "p_adjusted", "Holm p")
    }
    sprintf("%s %s (%s)", terms[[i]],
            if (significant(p)) {
              if (estimate > 0) "raises similarity" else "lowers similarity"
            } else {
              "makes no detectable difference"
            },
            evidence)
  }, "")
  origin_llm <- row_of(llm_level, analysis = "rq2", term = "congruent_origin")
  llm_text <- if (is.null(origin_llm)) "" else sprintf(
    paste(" Tested on the per-LLM contrasts ignoring makers, the origin congruence gives",
          "t(%s) = %s, %s, permutation %s."),
    fmt_df(origin_llm$df), fmt_num(origin_llm$statistic, 2), p_text(origin_llm$p_value),
    p_text(origin_llm$p_permutation))
  sprintf("With a persona (RQ2; Holm over the seven congruence terms): %s.%s",
          paste(described, collapse = "; "), llm_text)
}

# RQ3: which removals change which difference, after Holm within each family.
rq3_family_meanings <- function() {
  adjectives <- in_words(adjective(compared_nations()))
  c(
    "nationality x removal" = sprintf("the gap between %s respondents", adjectives),
    "origin x removal" = sprintf("the difference between %s LLMs", adjectives),
    "nationality x origin x removal" = "how that respondent gap differs between LLM origins"
  )
}

removal_sentence <- function(rq3, unit) {
  if (is.null(rq3) || !"p_adjusted" %in% names(rq3)) return(NULL)
  meanings <- rq3_family_meanings()
  parts <- vapply(names(meanings), function(family) {
    rows <- rq3[rq3$family == family, , drop = FALSE]
    kept <- rows[rows$p_adjusted < ALPHA, , drop = FALSE]
    if (nrow(kept) == 0) {
      return(sprintf("removing no single %s changes %s detectably (0 of %d)", unit,
                     meanings[[family]], nrow(rows)))
    }
    units <- sub("^.*removed", "", kept$term)
    sprintf("removing %s changes %s (%d of %d: %s)",
            if (length(units) == 1) units else
              paste(paste(utils::head(units, -1), collapse = ", "), "or", utils::tail(units, 1)),
            meanings[[family]], nrow(kept), nrow(rows),
            paste(sprintf("Holm %s", p_text(kept$p_adjusted)), collapse = ", "))
  }, "")
  sprintf(paste("Leaving one %s out at a time (RQ3, mixed models; Holm within each family of",
                "one test per %s): %s."), unit, unit, paste(parts, collapse = "; "))
}

# The paragraph on what survives proper inference, for one instrument (true respondents):
# the sentences named in `parts`, in that order.
inference_summary <- function(instrument, parts = c("nationality", "origin", "interaction",
                                                    "congruence", "removal")) {
  lmm <- primary_result(instrument, "rq1_lmm.csv")
  llm_level <- primary_result(instrument, "llm_level.csv")
  if (is.null(lmm)) return(missing_note(primary_path(instrument, "rq1_lmm.csv")))
  if (is.null(llm_level)) return(missing_note(primary_path(instrument, "llm_level.csv")))
  unit <- if (instrument == "mfq2") "foundation" else "question"
  sentence <- list(
    nationality = function() nationality_sentence(lmm),
    origin = function() origin_sentence(lmm, llm_level, read_result(instrument, "rq1_ols.csv")),
    interaction = function() interaction_sentence(lmm, llm_level),
    congruence = function() {
      congruence_sentence(primary_result(instrument, "rq2_lmm.csv"), llm_level)
    },
    removal = function() removal_sentence(primary_result(instrument, "rq3_lmm.csv"), unit)
  )
  paste(unlist(lapply(parts, function(part) sentence[[part]]())), collapse = " ")
}

RESEARCH_QUESTIONS <- c(rq1 = "RQ1", rq2 = "RQ2", rq3 = "RQ3")

# p values that decide "significant" in a comparison table: Holm-adjusted where the terms form a
# family (RQ3 tables carry them; RQ2's family is the one named in rq2_lmm.csv).
comparison_p <- function(comparison, instrument, rq) {
  if ("lmm_p_adjusted" %in% names(comparison)) {
    return(list(ols = comparison$ols_p_adjusted, lmm = comparison$lmm_p_adjusted,
                note = "Holm-adjusted within each family"))
  }
  lmm <- primary_result(instrument, paste0(rq, "_lmm.csv"))
  if (!is.null(lmm) && "family" %in% names(lmm) && any(!is.na(lmm$family))) {
    family <- lmm$term[!is.na(lmm$family)]
    in_family <- comparison$term %in% family
    ols <- comparison$ols_p_value
    ols[in_family] <- stats::p.adjust(ols[in_family], method = "holm")
    lmm_p <- lmm$p_adjusted[match(comparison$term, lmm$term)]
    lmm_p[!in_family] <- comparison$lmm_p_value[!in_family]
    return(list(ols = ols, lmm = lmm_p, note = "Holm-adjusted over the congruence terms"))
  }
  list(ols = comparison$ols_p_value, lmm = comparison$lmm_p_value, note = "unadjusted")
}

# For every model with an OLS-versus-mixed table (true respondents): which terms keep and which
# lose significance at the 5% level when the crossed design is respected.
what_changes <- function(instrument) {
  lines <- character()
  for (rq in names(RESEARCH_QUESTIONS)) {
    file <- paste0(rq, "_ols_vs_lmm.csv")
    comparison <- primary_result(instrument, file)
    if (is.null(comparison)) {
      lines <- c(lines, missing_note(primary_path(instrument, file)))
      next
    }
    p <- comparison_p(comparison, instrument, rq)
    keep <- comparison$term != "(Intercept)"
    ols_sig <- p$ols[keep] < ALPHA
    lmm_sig <- p$lmm[keep] < ALPHA
    terms <- comparison$term[keep]
    describe <- function(selected) {
      if (any(selected)) paste(term_label(terms[selected]), collapse = "; ") else "none"
    }
    ratios <- comparison$se_ratio_lmm_over_ols[keep]
    lines <- c(lines, sprintf(
      paste("- **%s %s** (p %s). Significant (p < %s) under both: %s. Significant under OLS",
            "only: %s. Significant in the mixed model only: %s. The mixed model's standard",
            "errors are %s to %s times the OLS ones."),
      instrument_label(instrument), RESEARCH_QUESTIONS[[rq]], p$note,
      drop_leading_zero(fmt_num(ALPHA, 2)),
      describe(ols_sig & lmm_sig), describe(ols_sig & !lmm_sig), describe(!ols_sig & lmm_sig),
      fmt_num(min(ratios), 1), fmt_num(max(ratios), 1)
    ))
  }
  lines
}

# ---- what the null results rule out (equivalence.csv) ------------------------------------------

# "RQ1", "RQ2 simple effects": the result tables' `analysis`, as the book names it.
question_label <- function(analysis) sub("^rq", "RQ", analysis)

EQUIVALENCE_VERDICTS <- c(
  different = "different from zero",
  equivalent = "equivalent to zero within the smallest effect of interest",
  inconclusive = "neither different from zero nor shown equivalent"
)

equivalence_table <- function(equivalence) {
  if (is.null(equivalence)) return(NULL)
  data.frame(
    Question = question_label(equivalence$analysis), Term = term_label(equivalence$term),
    Unit = unit_words(equivalence$primary_unit), Estimate = fmt_num(equivalence$estimate),
    `p (primary)` = fmt_p(equivalence$p_primary),
    `95% CI` = sprintf("[%s, %s]", fmt_num(equivalence$conf_low_95),
                       fmt_num(equivalence$conf_high_95)),
    `Rules out beyond ±` = fmt_num(equivalence$rules_out_beyond),
    SESOI = fmt_num(equivalence$sesoi), `SESOI basis` = equivalence$sesoi_basis,
    `90% CI` = sprintf("[%s, %s]", fmt_num(equivalence$conf_low_90),
                       fmt_num(equivalence$conf_high_90)),
    `TOST p` = fmt_p(equivalence$p_tost), `MDE (80% power)` = fmt_num(equivalence$mde_80),
    Verdict = equivalence$verdict, check.names = FALSE
  )
}

# One null origin term: what its primary test's intervals rule out.
rules_out_text <- function(row) {
  sprintf(paste("%s %s (%s as units): effects beyond ±%s are ruled out (95%% CI [%s, %s]);",
                "90%% CI [%s, %s], TOST %s, so %s; 80%% power only for effects of %s or more"),
          question_label(row$analysis), term_label(row$term), unit_words(row$primary_unit),
          fmt_num(row$rules_out_beyond), fmt_num(row$conf_low_95), fmt_num(row$conf_high_95),
          fmt_num(row$conf_low_90), fmt_num(row$conf_high_90), p_text(row$p_tost),
          EQUIVALENCE_VERDICTS[[row$verdict]], fmt_num(row$mde_80))
}

# The paragraph on the null origin results: one clause per RQ1 and RQ2 term, and the range over
# the RQ3 terms.
equivalence_paragraph <- function(equivalence) {
  if (is.null(equivalence)) return(NULL)
  nulls <- equivalence[!is.na(equivalence$verdict) & equivalence$verdict != "different", ,
                       drop = FALSE]
  if (nrow(nulls) == 0) return("Every origin term tested is different from zero.")
  sesoi <- equivalence[1, ]
  opening <- sprintf(paste("The smallest effect of interest (SESOI) is %s on the %s scale",
                           "(%s; the nationality gap is %s). %d of the %d origin terms are not",
                           "different from zero by their primary test; the data rule out:"),
                     fmt_num(sesoi$sesoi), sesoi$scale, sesoi$sesoi_basis,
                     fmt_num(sesoi$nationality_gap), nrow(nulls), nrow(equivalence))
  named <- nulls[nulls$analysis %in% c("rq1", "rq2"), , drop = FALSE]
  clauses <- vapply(seq_len(nrow(named)), function(i) rules_out_text(named[i, ]), "")
  rq3 <- nulls[nulls$analysis == "rq3", , drop = FALSE]
  if (nrow(rq3) > 0) {
    clauses <- c(clauses, sprintf(
      paste("RQ3 (%d terms): effects beyond ±%s to ±%s are ruled out; %d of them equivalent",
            "to zero within the SESOI"),
      nrow(rq3), fmt_num(min(rq3$rules_out_beyond)), fmt_num(max(rq3$rules_out_beyond)),
      sum(rq3$verdict == "equivalent")))
  }
  sprintf("%s %s.", opening, paste(clauses, collapse = "; "))
}

# ---- calibration (calibration_full.csv, else calibration.csv) ----------------------------------

CALIBRATION_BAND <- c(0.03, 0.07)
CALIBRATION_FILES <- c(
  calibration_full.csv = "make calibrate",
  calibration.csv = "Rscript R/analysis/run.R --calibration-sets N (make report)"
)

# The calibration table the book shows: the full run's when it exists, else the pipeline's.
calibration_result <- function() {
  for (file in names(CALIBRATION_FILES)) {
    table <- read_result(file)
    if (!is.null(table)) return(list(table = table, path = result_path(file)))
  }
  NULL
}

calibration_missing_note <- function() {
  missing_note(result_path("calibration.csv"),
               paste(sprintf("%s (%s)", CALIBRATION_FILES, names(CALIBRATION_FILES)),
                     collapse = "</code> or <code>"))
}

calibration_table_shown <- function(calibration) {
  data.frame(
    Analysis = question_label(calibration$analysis), Test = calibration$test,
    Term = term_label(calibration$term), `Book uses` = ifelse(calibration$book_uses, "yes", "no"),
    `Type-I error` = fmt_num(calibration$rejection_rate),
    `Monte-Carlo 95% CI` = sprintf("[%s, %s]", fmt_num(calibration$mc_conf_low),
                                   fmt_num(calibration$mc_conf_high)),
    Sets = fmt_int(calibration$n_sets),
    `Within [.03, .07]` = ifelse(calibration$within_band, "yes", "no"),
    check.names = FALSE
  )
}

band_text <- function() {
  sprintf("[%s, %s]", drop_leading_zero(fmt_num(CALIBRATION_BAND[1], 2)),
          drop_leading_zero(fmt_num(CALIBRATION_BAND[2], 2)))
}

rate_range <- function(rates) {
  sprintf("%s to %s", drop_leading_zero(fmt_num(min(rates))),
          drop_leading_zero(fmt_num(max(rates))))
}

calibration_paragraph <- function(calibration, path) {
  used <- calibration[calibration$book_uses, , drop = FALSE]
  wrong <- calibration[!calibration$book_uses, , drop = FALSE]
  outside <- used[!used$within_band, , drop = FALSE]
  verdict <- if (nrow(outside) == 0) {
    sprintf("Every test the book uses is within %s.", band_text())
  } else {
    sprintf(paste("Not every test the book uses is within %s: %d of %d are outside (%s), of",
                  "which %d have a Monte-Carlo interval that still reaches into the band."),
            band_text(), nrow(outside), nrow(used),
            paste(sprintf("%s %s, %s: %s", question_label(outside$analysis), outside$test,
                          term_label(outside$term),
                          drop_leading_zero(fmt_num(outside$rejection_rate))), collapse = "; "),
            sum(outside$interval_meets_band))
  }
  wrong_text <- if (nrow(wrong) == 0) "" else sprintf(
    paste(" The tests that ignore makers, which the book does not use, reject %s of the time",
          "(above %s for %d of their %d rows): with makers sharing %s of the by-LLM variance,",
          "treating LLMs as independent fails the calibration."),
    rate_range(wrong$rejection_rate), drop_leading_zero(fmt_num(CALIBRATION_BAND[2], 2)),
    sum(wrong$rejection_rate > CALIBRATION_BAND[2]), nrow(wrong),
    drop_leading_zero(fmt_num(unique(wrong$maker_share)[1], 2)))
  sprintf(paste("On %s simulated data sets with no origin effect (%s), the tests the book uses",
                "reject a true null at .05 %s of the time (%d rows). %s%s"),
          paste(fmt_int(unique(calibration$n_sets)), collapse = "/"), shown_path(path),
          rate_range(used$rejection_rate), nrow(used), verdict, wrong_text)
}

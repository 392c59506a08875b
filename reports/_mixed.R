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
  names(table)[1] <- by_label
  table
}

congruence_table <- function(contrasts) {
  if (is.null(contrasts)) return(NULL)
  contrasts$factor <- term_label(contrasts$factor)
  contrast_table(contrasts, "factor", "Congruent")
}

# The origin terms of RQ1 and RQ2 tested on the per-LLM contrasts (llm_level.csv), with the
# range of the t-test's p when each LLM is left out in turn (llm_level_loo.csv).
llm_level_table <- function(llm_level, leave_one_out = NULL) {
  if (is.null(llm_level)) return(NULL)
  rows <- llm_level[llm_level$analysis %in% c("rq1", "rq2"), , drop = FALSE]
  table <- data.frame(
    Question = toupper(rows$analysis), Term = term_label(rows$term),
    Estimate = fmt_num(rows$estimate), SE = fmt_num(rows$std_error),
    t = fmt_num(rows$statistic, 2), df = fmt_df(rows$df), p = fmt_p(rows$p_value),
    `Permutation p` = fmt_p(rows$p_permutation), `Bootstrap SE` = fmt_num(rows$boot_se),
    check.names = FALSE
  )
  if ("p_maker" %in% names(rows)) table$`Maker-level p` <- fmt_p(rows$p_maker)
  if (!is.null(leave_one_out)) {
    table$`p, one LLM left out` <- vapply(seq_len(nrow(rows)), function(i) {
      p <- leave_one_out$p_value[leave_one_out$analysis == rows$analysis[i] &
                                   leave_one_out$term == rows$term[i]]
      if (length(p) == 0) "" else sprintf("%s to %s", fmt_p(min(p)), fmt_p(max(p)))
    }, "")
  }
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

# An origin term: the mixed model's test, the per-LLM t-test and its permutation test.
origin_evidence <- function(lmm_row, llm_row) {
  parts <- c(
    if (!is.null(lmm_row)) sprintf("mixed model: %s", test_text(lmm_row)),
    if (!is.null(llm_row)) sprintf(
      "per-LLM contrasts, %d %s against %d %s LLMs: t(%s) = %s, %s, permutation %s",
      nation_column(llm_row, "n_", first_nation(), "_llms"), adjective(first_nation()),
      nation_column(llm_row, "n_", second_nation(), "_llms"), adjective(second_nation()),
      fmt_df(llm_row$df),
      fmt_num(llm_row$statistic, 2), p_text(llm_row$p_value), p_text(llm_row$p_permutation))
  )
  p <- c(lmm_row$p_value, llm_row$p_value, llm_row$p_permutation)
  list(text = paste(parts, collapse = "; "), all_null = all(p >= ALPHA),
       all_significant = all(p < ALPHA), estimate = c(lmm_row$estimate, llm_row$estimate)[1])
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
  verdict <- if (evidence$all_null) {
    sprintf(paste("**The effect of an LLM's origin does not survive.** Whether an LLM was made in",
                  "%s or in %s makes no detectable difference to how closely it answers like the",
                  "respondents"), first_nation(), second_nation())
  } else if (evidence$all_significant) {
    sprintf("**LLMs made in %s answer %s like the respondents than %s LLMs**", first_nation(),
            if (evidence$estimate < 0) "less" else "more", adjective(second_nation()))
  } else {
    "**The tests of an LLM's origin disagree**"
  }
  sprintf("%s (%s).%s", verdict, evidence$text, ols_text)
}

interaction_sentence <- function(lmm, llm_level) {
  term <- interaction_term()
  evidence <- origin_evidence(row_of(lmm, term = term),
                              row_of(llm_level, analysis = "rq1", term = term))
  first <- adjective(first_nation())
  second <- adjective(second_nation())
  if (evidence$all_null) {
    sprintf(paste("Nor are %s LLMs closer to %s respondents in particular: their",
                  "nationality gap does not differ detectably from %s LLMs' (%s)."),
            first, first, second, evidence$text)
  } else if (evidence$all_significant) {
    sprintf("%s LLMs' nationality gap is %s than %s LLMs' (%s).", first,
            if (evidence$estimate > 0) "smaller" else "larger", second, evidence$text)
  } else {
    sprintf("The tests of whether %s LLMs' nationality gap differs disagree (%s).", first,
            evidence$text)
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
  described <- vapply(seq_along(terms), function(i) {
    sprintf("%s %s (%s)", terms[[i]],
            if (significant(rows$p_adjusted[i])) {
              if (rows$estimate[i] > 0) "raises similarity" else "lowers similarity"
            } else {
              "makes no detectable difference"
            },
            test_text(rows[i, ], "p_adjusted", "Holm p"))
  }, "")
  origin_llm <- row_of(llm_level, analysis = "rq2", term = "congruent_origin")
  llm_text <- if (is.null(origin_llm)) "" else sprintf(
    paste(" Tested on the per-LLM contrasts, the origin congruence gives t(%s) = %s, %s,",
          "permutation %s."),
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

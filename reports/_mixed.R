# Helpers of the mixed-effects chapter: readable tables of the OLS-versus-mixed comparisons,
# contrasts and diagnostics, and the per-LLM contrast plot (drawn from the results; no model is
# fitted here).

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

diagnostics_table <- function(diagnostics) {
  if (is.null(diagnostics)) return(NULL)
  model <- diagnostics$model
  if ("removed" %in% names(diagnostics)) {
    removed <- diagnostics$removed
    named <- !is.na(removed) & removed != ""
    model[named] <- sprintf("%s (removed: %s)", model[named], removed[named])
  }
  data.frame(
    Model = model, Formula = diagnostics$formula, Observations = fmt_int(diagnostics$n_obs),
    Respondents = fmt_int(diagnostics$n_respondents), LLMs = fmt_int(diagnostics$n_llms),
    df = diagnostics$df_method, Singular = diagnostics$singular,
    `R² marginal` = fmt_num(diagnostics$r2_marginal),
    `R² conditional` = fmt_num(diagnostics$r2_conditional),
    ICC = diagnostics$icc, check.names = FALSE
  )
}

contrast_table <- function(contrasts, by_column, by_label) {
  if (is.null(contrasts)) return(NULL)
  table <- data.frame(
    by = contrasts[[by_column]], Contrast = contrasts$contrast,
    Estimate = fmt_num(contrasts$estimate),
    `95% CI` = sprintf("[%s, %s]", fmt_num(contrasts$conf_low), fmt_num(contrasts$conf_high)),
    SE = fmt_num(contrasts$std_error), df = fmt_df(contrasts$df), p = fmt_p(contrasts$p_value),
    `p (adjusted)` = fmt_p(contrasts$p_adjusted),
    Standardised = fmt_num(contrasts$std_estimate, 2),
    check.names = FALSE
  )
  names(table)[1] <- by_label
  table
}

congruence_table <- function(contrasts) {
  if (is.null(contrasts)) return(NULL)
  contrasts$factor <- term_label(contrasts$factor)
  contrast_table(contrasts, "factor", "Congruent")
}

# The RQ2 terms from the full mixed model and from the LLM-level model, all but the origin main
# effect (net of nationality in the LLM-level model, so a different quantity there).
llm_level_table <- function(full, llm_level) {
  if (is.null(full) || is.null(llm_level)) return(NULL)
  terms <- setdiff(full$term, c("(Intercept)", "congruent_origin"))
  columns <- function(table, label) {
    rows <- table[match(terms, table$term), ]
    stats::setNames(
      data.frame(fmt_num(rows$estimate), fmt_num(rows$std_error), fmt_df(rows$df),
                 fmt_p(rows$p_value)),
      paste(label, c("estimate", "SE", "df", "p"))
    )
  }
  cbind(Term = term_label(terms), columns(full, "Full"), columns(llm_level, "LLM-level"))
}

# Every candidate random-effects structure of the RQ1 and RQ2 models, fitted or not.
selection_table <- function(selection) {
  if (is.null(selection)) return(NULL)
  rows <- selection[selection$model %in% c("rq1_lmm", "rq2_lmm", "rq2_llm_level_lmm"), ]
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

# The colours of R/analysis/figures.R (Okabe-Ito), so that every figure reads alike.
ORIGIN_COLOURS <- c(China = "#D55E00", USA = "#0072B2")

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
    ggplot2::scale_colour_manual(values = ORIGIN_COLOURS, name = "LLM made in") +
    ggplot2::labs(x = "Cosine with Chinese minus American respondents", y = NULL) +
    ggplot2::theme_minimal(base_size = 14) +
    ggplot2::theme(legend.position = "top")
  print(plot)
}

RESEARCH_QUESTIONS <- c(rq1 = "RQ1", rq2 = "RQ2", rq3 = "RQ3")

# For every model with an OLS-versus-mixed table: which terms keep and which lose significance
# at the 5% level when the crossed design is respected.
what_changes <- function(instrument, alpha = 0.05) {
  lines <- character()
  for (rq in names(RESEARCH_QUESTIONS)) {
    comparison <- read_result(instrument, paste0(rq, "_ols_vs_lmm.csv"))
    if (is.null(comparison)) {
      lines <- c(lines, missing_note(result_path(instrument, paste0(rq, "_ols_vs_lmm.csv"))))
      next
    }
    comparison <- comparison[comparison$term != "(Intercept)", , drop = FALSE]
    ols_sig <- comparison$ols_p_value < alpha
    lmm_sig <- comparison$lmm_p_value < alpha
    describe <- function(keep) {
      if (any(keep)) paste(term_label(comparison$term[keep]), collapse = "; ") else "none"
    }
    ratios <- comparison$se_ratio_lmm_over_ols
    lines <- c(lines, sprintf(
      paste("- **%s %s.** Significant (p < %s) under both: %s. Significant under OLS only: %s.",
            "Significant in the mixed model only: %s. The mixed model's standard errors are %s",
            "to %s times the OLS ones."),
      INSTRUMENT_LABELS[[instrument]], RESEARCH_QUESTIONS[[rq]],
      drop_leading_zero(fmt_num(alpha, 2)),
      describe(ols_sig & lmm_sig), describe(ols_sig & !lmm_sig), describe(!ols_sig & lmm_sig),
      fmt_num(min(ratios), 1), fmt_num(max(ratios), 1)
    ))
  }
  lines
}

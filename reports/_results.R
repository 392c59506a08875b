# Helpers of the results chapters: which figure is which, and readable versions of the result
# tables (columns chosen and renamed; no statistic is computed here).

# The PNGs R/analysis/run.R draws into results/figures/; figure 1 has one panel per instrument.
FIGURE_FILES <- c(
  "1" = "fig1_origin_by_nationality", "2" = "fig2_zscores", "3" = "fig3_per_llm",
  "4" = "fig4_language_persona", "5" = "fig5_removal_change"
)

figure_file <- function(instrument, number) {
  name <- FIGURE_FILES[[as.character(number)]]
  if (number == 1) paste0(name, ".png") else sprintf("%s_%s.png", instrument, name)
}

# What a figure's intervals rest on: the note R/analysis/figures.R wrote beside the PNG (the
# `interval_note` column of its CSV), as one sentence for a caption. `folder` is the results
# folder of the run (the paper-id run by default).
figure_interval_note <- function(instrument, number, folder = RESULTS_DIR) {
  data <- read_csv_file(file.path(folder, "figures",
                                  sub("\\.png$", ".csv", figure_file(instrument, number))))
  if (is.null(data) || !"interval_note" %in% names(data)) return("")
  notes <- unique(stats::na.omit(data$interval_note))
  notes <- notes[nzchar(notes)]
  if (length(notes) == 0) return("")
  paste0(" Intervals: ", gsub("\n", "; ", paste(notes, collapse = "; "), fixed = TRUE), ".")
}

figure_caption <- function(instrument, number, text, folder = RESULTS_DIR) {
  paste0(text, figure_interval_note(instrument, number, folder))
}

# A figure of another run's results folder (e.g. the true-respondent run), shown like
# show_result_figure() shows those of the default one.
show_run_figure <- function(folder, file) {
  saved <- RESULTS_DIR
  on.exit(RESULTS_DIR <<- saved)
  RESULTS_DIR <<- folder
  show_result_figure(file)
}

origin_cells <- function(cells) {
  if (is.null(cells)) return(NULL)
  rows <- cells[cells$level == "origin", , drop = FALSE]
  data.frame(
    `LLM origin` = rows$llm_origin, `Respondents` = rows$nationality,
    `Mean cosine` = fmt_cos(rows$mean), `SD of the LLM means` = fmt_cos(rows$sd),
    `95% CI over LLMs` = sprintf("[%s, %s]", fmt_cos(rows$conf_low), fmt_cos(rows$conf_high)),
    df = fmt_df(rows$df), LLMs = rows$n_llms, Rows = fmt_int(rows$n), check.names = FALSE
  )
}

welch_table <- function(welch) {
  if (is.null(welch)) return(NULL)
  nations <- compared_nations()
  table <- data.frame(
    LLM = model_names(welch$llm), Origin = welch$llm_origin,
    first = fmt_cos(nation_column(welch, "mean_", nations[[1]])),
    second = fmt_cos(nation_column(welch, "mean_", nations[[2]])),
    Difference = fmt_num(welch$estimate),
    `95% CI` = sprintf("[%s, %s]", fmt_num(welch$conf_low), fmt_num(welch$conf_high)),
    t = fmt_num(welch$statistic, 2), df = fmt_df(welch$df), p = fmt_p(welch$p_value),
    `p (Holm)` = fmt_p(welch$p_holm),
    `Cohen's d (pooled SD of the two nationalities)` = fmt_num(welch$cohens_d, 2),
    check.names = FALSE
  )
  names(table)[3:4] <- sprintf("Mean (%s resp.)", adjective(nations))
  table
}

followup_table <- function(followup) {
  if (is.null(followup)) return(NULL)
  rows <- followup[followup$term == paste0(TERMS[["participant"]], ":is_human_mean"), ,
                   drop = FALSE]
  data.frame(
    LLM = model_names(rows$llm), Origin = rows$llm_origin, Estimate = fmt_num(rows$estimate),
    SE = fmt_num(rows$std_error), t = fmt_num(rows$statistic, 2), df = fmt_df(rows$df),
    p = fmt_p(rows$p_value), check.names = FALSE
  )
}

# RQ3 coefficients with their Holm family and adjusted p.
rq3_coef_table <- function(rq3) {
  if (is.null(rq3)) return(NULL)
  data.frame(
    Term = term_label(rq3$term), Family = rq3$family, Estimate = fmt_num(rq3$estimate),
    SE = fmt_num(rq3$std_error), t = fmt_num(rq3$statistic, 2), df = fmt_df(rq3$df),
    p = fmt_p(rq3$p_value), `p (Holm)` = fmt_p(rq3$p_adjusted), check.names = FALSE
  )
}

change_table <- function(change) {
  if (is.null(change)) return(NULL)
  data.frame(
    Removed = change$removed, `LLM origin` = change$llm_origin, Respondents = change$nationality,
    `Mean change` = fmt_num(change$mean_change),
    `95% CI over LLMs` = sprintf("[%s, %s]", fmt_num(change$conf_low),
                                 fmt_num(change$conf_high)),
    df = fmt_df(change$df), check.names = FALSE
  )
}

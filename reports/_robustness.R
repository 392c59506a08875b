# Helpers of the robustness chapter: the same coefficient table under two analysis choices, side
# by side (read from the results; nothing is refitted).

MODEL_LABELS <- c(
  rq1_ols = "RQ1, OLS", rq1_lmm = "RQ1, mixed model",
  rq2_ols = "RQ2, OLS", rq2_lmm = "RQ2, mixed model",
  rq3_ols = "RQ3, OLS (no persona)", rq3_lmm = "RQ3, mixed model",
  rq3_persona_ols = "RQ3, OLS (personas)"
)

estimate_cell <- function(estimate, std_error) {
  sprintf("%s (%s)", fmt_num(estimate), fmt_num(std_error))
}

# Two coefficient tables joined by term: estimate (SE) and p under each choice; the p is
# Holm-adjusted (and so labelled) when both tables carry a family's adjusted p.
side_by_side <- function(first, second, labels) {
  terms <- union(first$term, second$term)
  pick <- function(table, column) table[[column]][match(terms, table$term)]
  adjusted <- "p_adjusted" %in% names(first) && "p_adjusted" %in% names(second)
  p_column <- if (adjusted) "p_adjusted" else "p_value"
  p_label <- if (adjusted) "p (Holm)" else "p"
  out <- data.frame(
    Term = term_label(terms),
    a_est = estimate_cell(pick(first, "estimate"), pick(first, "std_error")),
    a_p = fmt_p(pick(first, p_column)),
    b_est = estimate_cell(pick(second, "estimate"), pick(second, "std_error")),
    b_p = fmt_p(pick(second, p_column)),
    check.names = FALSE
  )
  names(out)[-1] <- c(paste(labels[1], "estimate (SE)"), paste(labels[1], p_label),
                      paste(labels[2], "estimate (SE)"), paste(labels[2], p_label))
  out
}

show_ids_comparison <- function(instrument, model) {
  file <- paste0(model, ".csv")
  paper <- read_result(instrument, file)
  respondent <- read_result("respondent", instrument, file)
  caption <- sprintf("%s %s: released labels (paper ids) and real respondents.",
                     instrument_label(instrument), MODEL_LABELS[[model]])
  if (is.null(paper)) return(cat(missing_note(result_path(instrument, file))))
  if (is.null(respondent)) return(cat(missing_note(result_path("respondent", instrument, file))))
  table <- side_by_side(paper, respondent, c("Paper ids", "Respondent ids"))
  cat(html_table(table, caption, class = "result-table numbers"), sep = "\n")
}

# Which RQ1 conclusions (significance at 5%) differ between the two kinds of ids.
ids_summary <- function(instrument, alpha = 0.05) {
  lines <- character()
  for (model in c("rq1_ols", "rq1_lmm")) {
    paper <- read_result(instrument, paste0(model, ".csv"))
    respondent <- read_result("respondent", instrument, paste0(model, ".csv"))
    if (is.null(paper) || is.null(respondent)) next
    terms <- setdiff(intersect(paper$term, respondent$term), "(Intercept)")
    p_paper <- paper$p_value[match(terms, paper$term)]
    p_resp <- respondent$p_value[match(terms, respondent$term)]
    flips <- terms[(p_paper < alpha) != (p_resp < alpha)]
    change <- paper$estimate[match(terms, paper$term)] -
      respondent$estimate[match(terms, respondent$term)]
    largest <- max(abs(change))
    lines <- c(lines, sprintf(
      paste("- **%s %s.** The largest change of a coefficient between the two kinds of ids is %s;",
            "terms whose significance at the 5%% level differs: %s."),
      instrument_label(instrument), MODEL_LABELS[[model]], fmt_num(largest),
      if (length(flips) == 0) "none" else paste(term_label(flips), collapse = "; ")
    ))
  }
  lines
}

show_persona_comparison <- function(instrument) {
  main <- read_result(instrument, "rq3_ols.csv")
  persona <- read_result(instrument, "rq3_persona_ols.csv")
  if (is.null(main)) return(cat(missing_note(result_path(instrument, "rq3_ols.csv"))))
  if (is.null(persona)) return(cat(missing_note(result_path(instrument, "rq3_persona_ols.csv"))))
  caption <- sprintf("%s RQ3, OLS: without persona (main) and with the personas.",
                     instrument_label(instrument))
  table <- side_by_side(main, persona, c("No persona", "Personas"))
  cat(html_table(table, caption, class = "result-table numbers"), sep = "\n")
}

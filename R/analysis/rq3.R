# RQ3: which foundation (MFQ-2) or question (WVS) carries the gap? Leave-one-out cosines,
# stacked with the full cosine; `removed` is a factor with reference level "none".

rq3_data <- function(derived) {
  removed_levels <- c("none", setdiff(sort_removed(unique(derived$removed)), "none"))
  derived |>
    dplyr::filter(!.data$is_human_mean) |>
    code_rq1_factors() |>
    dplyr::mutate(removed = factor(.data$removed, levels = removed_levels))
}

# Foundations in questionnaire order, WVS questions in numeric order.
sort_removed <- function(levels) {
  foundations <- c("Care", "Equality", "Proportionality", "Loyalty", "Authority", "Purity")
  known <- intersect(foundations, levels)
  rest <- setdiff(levels, foundations)
  numeric_rest <- suppressWarnings(as.numeric(rest))
  c(known, rest[order(is.na(numeric_rest), numeric_rest, rest)])
}

rq3_formula <- cosine ~ chinese_participant * chinese_origin * removed

rq3_ols <- function(data, model_name = "rq3_ols") {
  if (!"none" %in% data$removed) {
    stop("RQ3 needs the rows with removed == \"none\" as the reference level", call. = FALSE)
  }
  tidy_lm(stats::lm(rq3_formula, data = data), model_name)
}

# Mean change in cosine (removed minus none) per removed x origin x nationality, paired
# within respondent x LLM x language x persona.
rq3_mean_change <- function(data, changes = rq3_change_scores(data)) {
  changes |>
    dplyr::group_by(.data$removed, .data$llm_origin, .data$nationality) |>
    dplyr::summarise(mean_ci(.data$change), .groups = "drop") |>
    dplyr::rename(mean_change = "mean") |>
    dplyr::arrange(match(.data$removed, levels(data$removed)), .data$llm_origin,
                   .data$nationality)
}

# Mixed model for RQ3, fitted in two parts whose terms are those of the stacked OLS model:
# - the "none" terms ((Intercept), chinese_participant, chinese_origin, their interaction) from
#   the RQ1-type model of the full cosines (`none_fit`: a select_lmm() result for those rows);
# - for each removed unit X, the change score cosine(X removed) - cosine(full) of every
#   respondent x LLM pair, modelled as change ~ chinese_participant * chinese_origin with
#   crossed random effects; its coefficients are removedX, chinese_participant:removedX,
#   chinese_origin:removedX and chinese_participant:chinese_origin:removedX.
# One row per pair and unit makes a respondent x LLM random intercept unnecessary; the stacked
# model with that intercept did not finish at WVS size (1.45 million rows; see benchmarks).
rq3_lmm <- function(data, none_fit = NULL, model_name = "rq3_lmm",
                    changes = rq3_change_scores(data)) {
  if (is.null(none_fit)) {
    none_fit <- select_lmm(rq1_formula, lmm_candidates$rq1,
                           dplyr::filter(data, .data$removed == "none"), model_name)
  }
  units <- setdiff(levels(data$removed), "none")
  per_unit <- parallel::mclapply(units, function(unit) {
    fit_change_model(dplyr::filter(changes, .data$removed == unit), unit, model_name)
  }, mc.cores = analysis_cores())
  failed <- vapply(per_unit, inherits, logical(1), what = "try-error")
  if (any(failed)) stop(per_unit[[which(failed)[1]]], call. = FALSE)
  none_terms <- tidy_lmm(none_fit$model, model_name) |> dplyr::mutate(removed = "none")
  # Standardised on the SD of a single full cosine, like the "none" terms, not on the SD of
  # the change scores.
  unit_terms <- purrr::map_dfr(per_unit, "coefficients") |>
    dplyr::mutate(std_estimate = .data$estimate / total_sd(none_fit$model))
  list(
    coefficients = dplyr::bind_rows(none_terms, unit_terms),
    selection = dplyr::bind_rows(none_fit$selection |>
                                   dplyr::mutate(model = model_name, removed = "none"),
                                 purrr::map_dfr(per_unit, "selection")),
    diagnostics = dplyr::bind_rows(
      lmm_diagnostics(none_fit, model_name) |> dplyr::mutate(removed = "none"),
      purrr::map_dfr(per_unit, "diagnostics")
    ),
    variance_components = dplyr::bind_rows(
      lmm_variance_components(none_fit$model, model_name) |> dplyr::mutate(removed = "none"),
      purrr::map_dfr(per_unit, "variance_components")
    ),
    none_fit = none_fit
  )
}

rq3_change_scores <- function(data) {
  keys <- c("respondent_key", "llm", "language", "persona")
  full <- data |>
    dplyr::filter(.data$removed == "none") |>
    dplyr::select(dplyr::all_of(keys), cosine_full = "cosine")
  data |>
    dplyr::filter(.data$removed != "none") |>
    dplyr::inner_join(full, by = keys) |>
    dplyr::mutate(change = .data$cosine - .data$cosine_full,
                  removed = as.character(.data$removed))
}

change_formula <- change ~ chinese_participant * chinese_origin

# Random effects chosen by the rule of select_lmm(), one process per removed unit.
fit_change_model <- function(changes, unit, model_name) {
  saved <- options(moralign.cores = 1)
  on.exit(options(saved))
  selected <- select_lmm(change_formula, lmm_candidates$rq3_change, changes, model_name,
                         max_rows = lmm_candidate_max_rows()$rq3_change)
  stacked_name <- function(term) {
    ifelse(term == "(Intercept)", paste0("removed", unit), paste0(term, ":removed", unit))
  }
  list(
    coefficients = tidy_lmm(selected$model, model_name) |>
      dplyr::mutate(term = stacked_name(.data$term), removed = unit),
    selection = selected$selection |> dplyr::mutate(removed = unit),
    diagnostics = lmm_diagnostics(selected, model_name) |> dplyr::mutate(removed = unit),
    variance_components = lmm_variance_components(selected$model, model_name) |>
      dplyr::mutate(removed = unit),
    model = selected$model
  )
}

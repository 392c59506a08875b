# RQ3: which foundation (MFQ-2) or question (WVS) carries the gap? Leave-one-out cosines,
# stacked with the full cosine; `removed` is a factor with reference level "none".

rq3_data <- function(derived) {
  removed_levels <- c(nothing_removed(),
                      setdiff(sort_removed(unique(derived$removed)), nothing_removed()))
  derived |>
    dplyr::filter(!.data$is_human_mean) |>
    compared_pair_rows() |>
    code_rq1_factors() |>
    dplyr::mutate(removed = factor(.data$removed, levels = removed_levels))
}

# Foundations in questionnaire order, WVS questions in numeric order.
sort_removed <- function(levels) {
  foundations <- study_contract()$foundations
  known <- intersect(foundations, levels)
  rest <- setdiff(levels, foundations)
  numeric_rest <- suppressWarnings(as.numeric(rest))
  c(known, rest[order(is.na(numeric_rest), numeric_rest, rest)])
}

rq3_formula <- cosine ~ chinese_participant * chinese_origin * removed

rq3_ols <- function(data, model_name = "rq3_ols") {
  if (!nothing_removed() %in% data$removed) {
    stop("RQ3 needs the rows with removed == \"none\" as the reference level", call. = FALSE)
  }
  ols_table(rq3_formula, data, model_name) |> with_rq3_families()
}

# Mean change in cosine (removed minus none) per removed x origin x nationality, paired
# within respondent x LLM x language x persona. The interval is over LLMs (llm_cluster_ci()):
# each LLM's mean change, SD pooled over the origins, df = n_LLM - 2.
rq3_mean_change <- function(data, changes = rq3_change_scores(data)) {
  per_llm <- changes |>
    dplyr::group_by(.data$removed, .data$nationality, .data$llm, .data$llm_origin) |>
    dplyr::summarise(n = dplyr::n(), mean = mean(.data$change), .groups = "drop")
  llm_cluster_ci(per_llm, by = c("removed", "nationality")) |>
    dplyr::left_join(dplyr::count(per_llm, .data$removed, .data$nationality, .data$llm_origin,
                                  wt = .data$n),
                     by = c("removed", "nationality", "llm_origin")) |>
    dplyr::rename(mean_change = "mean") |>
    dplyr::mutate(interval = "llms") |>
    dplyr::relocate("removed", "llm_origin", "nationality", "n", "n_llms") |>
    dplyr::arrange(match(.data$removed, levels(data$removed)), .data$llm_origin,
                   .data$nationality)
}

# The Holm families of the RQ3 tables, one set per instrument: the removal main effects, and
# the removal's interaction with nationality, with LLM origin, and with both (each family has
# one test per removed unit). The terms of the full cosine are the RQ1 questions, not adjusted.
rq3_family <- function(term) {
  dplyr::case_when(
    grepl("^removed", term) ~ "removal",
    grepl("^chinese_participant:chinese_origin:removed", term) ~ "nationality x origin x removal",
    grepl("^chinese_participant:removed", term) ~ "nationality x removal",
    grepl("^chinese_origin:removed", term) ~ "origin x removal",
    TRUE ~ "RQ1 terms (not adjusted)"
  )
}

with_rq3_families <- function(table) {
  family <- rq3_family(table$term)
  adjusted <- grepl("removed", table$term)
  p_adjusted <- table$p_value
  p_adjusted[adjusted] <- stats::ave(table$p_value[adjusted], family[adjusted],
                                     FUN = function(p) stats::p.adjust(p, method = "holm"))
  table |>
    dplyr::mutate(family = family, adjust = ifelse(adjusted, "holm", "none"),
                  p_adjusted = p_adjusted) |>
    dplyr::relocate("family", .after = "term")
}

# OLS and mixed RQ3 coefficients side by side (ols_vs_lmm()), with the family and both
# Holm-adjusted p values.
rq3_ols_vs_lmm <- function(ols, lmm) {
  comparison <- ols_vs_lmm(ols, lmm)
  comparison |>
    dplyr::mutate(
      family = rq3_family(.data$term),
      ols_p_adjusted = ols$p_adjusted[match(.data$term, ols$term)],
      lmm_p_adjusted = lmm$p_adjusted[match(.data$term, lmm$term)],
      .after = "term"
    )
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
                           dplyr::filter(data, .data$removed == nothing_removed()), model_name)
  }
  units <- setdiff(levels(data$removed), nothing_removed())
  per_unit <- parallel::mclapply(units, function(unit) {
    fit_change_model(dplyr::filter(changes, .data$removed == unit), unit, model_name)
  }, mc.cores = analysis_cores())
  failed <- vapply(per_unit, inherits, logical(1), what = "try-error")
  if (any(failed)) stop(per_unit[[which(failed)[1]]], call. = FALSE)
  none_terms <- tidy_lmm(none_fit$model, model_name) |> dplyr::mutate(removed = nothing_removed())
  # Every row divided by the SD of one full cosine (the "none" model's), so removal effects
  # and full-cosine effects share one scale; not by the SD of the change scores.
  full_cosine_sd <- total_sd(none_fit$model)
  coefficients <- dplyr::bind_rows(none_terms, purrr::map_dfr(per_unit, "coefficients")) |>
    dplyr::select(-dplyr::any_of("d_row_sd")) |>
    dplyr::mutate(d_row_sd = .data$estimate / full_cosine_sd, .after = "conf_high") |>
    with_rq3_families()
  list(
    coefficients = coefficients,
    change_cells = purrr::map_dfr(per_unit, "cells"),
    selection = dplyr::bind_rows(none_fit$selection |>
                                   dplyr::mutate(model = model_name, removed = nothing_removed()),
                                 purrr::map_dfr(per_unit, "selection")),
    diagnostics = dplyr::bind_rows(
      lmm_diagnostics(none_fit, model_name) |> dplyr::mutate(removed = nothing_removed()),
      purrr::map_dfr(per_unit, "diagnostics")
    ),
    variance_components = dplyr::bind_rows(
      lmm_variance_components(none_fit$model, model_name) |>
        dplyr::mutate(removed = nothing_removed()),
      purrr::map_dfr(per_unit, "variance_components")
    ),
    none_fit = none_fit
  )
}

rq3_change_scores <- function(data) {
  keys <- c("respondent_key", "llm", "language", "persona")
  full <- data |>
    dplyr::filter(.data$removed == nothing_removed()) |>
    dplyr::select(dplyr::all_of(keys), cosine_full = "cosine")
  data |>
    dplyr::filter(.data$removed != nothing_removed()) |>
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
  codes <- rq1_codes(changes)
  cells <- emm_table(selected$model,
                     emm_grid(selected$model, ~ chinese_participant * chinese_origin, codes),
                     "change cell means", adjust = "none") |>
    relabel_codes(codes) |>
    dplyr::select(-"d_row_sd") |>
    dplyr::rename(nationality = "chinese_participant", llm_origin = "chinese_origin") |>
    dplyr::mutate(removed = unit, interval = "mixed_model", .before = 1)
  list(
    coefficients = tidy_lmm(selected$model, model_name) |>
      dplyr::mutate(term = stacked_name(.data$term), removed = unit),
    cells = cells,
    selection = selected$selection |> dplyr::mutate(removed = unit),
    diagnostics = lmm_diagnostics(selected, model_name) |> dplyr::mutate(removed = unit),
    variance_components = lmm_variance_components(selected$model, model_name) |>
      dplyr::mutate(removed = unit),
    model = selected$model
  )
}

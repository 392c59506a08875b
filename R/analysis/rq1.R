# RQ1: do LLMs made in China answer more like Chinese than American respondents?
# Persona none, same-language pairing, LLM rows only (human means are described, not modelled).

rq1_data <- function(derived) {
  derived |>
    dplyr::filter(!.data$is_human_mean, .data$persona == no_persona(),
                  .data$removed == nothing_removed()) |>
    code_rq1_factors()
}

rq1_formula <- cosine ~ chinese_participant * chinese_origin

rq1_ols <- function(data) {
  tidy_lm(stats::lm(rq1_formula, data = data), "rq1_ols")
}

# Per-LLM Welch two-sample t-tests: Chinese minus American respondents (human means included).
welch_per_llm <- function(derived) {
  rows <- derived |>
    dplyr::filter(.data$persona == no_persona(), .data$removed == nothing_removed()) |>
    dplyr::group_by(.data$llm, .data$llm_origin, .data$is_human_mean) |>
    dplyr::group_modify(function(group, key) {
      china <- group$cosine[group$nationality == first_nation()]
      usa <- group$cosine[group$nationality == second_nation()]
      test <- stats::t.test(china, usa, var.equal = FALSE)
      pooled_sd <- sqrt((stats::var(china) + stats::var(usa)) / 2)
      tibble::tibble(
        term = nation_gap_label(),
        mean_china = mean(china), mean_usa = mean(usa),
        n_china = length(china), n_usa = length(usa),
        estimate = mean(china) - mean(usa),
        std_error = unname(test$stderr),
        statistic = unname(test$statistic), df = unname(test$parameter),
        p_value = test$p.value,
        conf_low = test$conf.int[1], conf_high = test$conf.int[2],
        cohens_d = (mean(china) - mean(usa)) / pooled_sd
      )
    }) |>
    dplyr::ungroup()
  llm_rows <- !rows$is_human_mean
  rows$p_holm <- NA_real_
  rows$p_holm[llm_rows] <- stats::p.adjust(rows$p_value[llm_rows], method = "holm")
  rows |>
    dplyr::arrange(.data$is_human_mean, dplyr::desc(.data$llm_origin == first_nation()), .data$llm)
}

# Descriptives of cosine by LLM x nationality (interval over respondents) and by origin x
# nationality (LLMs only; interval over LLMs, see llm_cluster_ci()).
rq1_cells <- function(derived) {
  derived |>
    dplyr::filter(.data$persona == no_persona(), .data$removed == nothing_removed()) |>
    dplyr::group_by(.data$llm, .data$llm_origin, .data$is_human_mean, .data$nationality) |>
    dplyr::summarise(mean_ci(.data$cosine), .groups = "drop") |>
    dplyr::mutate(level = "llm") |>
    with_origin_cells_over_llms(by = "nationality") |>
    dplyr::relocate("level", "llm", "llm_origin", "is_human_mean", "nationality", "n",
                    "n_llms", "mean", "sd", "se", "df", "conf_low", "conf_high", "interval")
}

# Mixed model for RQ1: same fixed effects, crossed random effects chosen by select_lmm().
rq1_lmm <- function(data) {
  select_lmm(rq1_formula, lmm_candidates$rq1, data, "rq1_lmm")
}

rq1_codes <- function(data) {
  list(
    chinese_participant = coded_levels(data, "chinese_participant",
                                       data$nationality == first_nation(),
                                       study_contract()$nations),
    chinese_origin = coded_levels(data, "chinese_origin", data$llm_origin == first_nation(),
                                  study_contract()$nations)
  )
}

china_minus_usa <- function() stats::setNames(list(c(1, -1)), nation_gap_label())

# Cell means, nationality gap within each LLM origin, origin gap within each nationality.
rq1_emmeans <- function(model, data) {
  codes <- rq1_codes(data)
  grid <- emm_grid(model, ~ chinese_participant * chinese_origin, codes)
  by_origin <- emm_grid(model, ~ chinese_participant | chinese_origin, codes)
  by_nationality <- emm_grid(model, ~ chinese_origin | chinese_participant, codes)
  list(
    emmeans_rq1_cells = emm_table(model, grid, "cell means", adjust = "none"),
    emmeans_rq1_nationality_within_origin = emm_table(
      model, emmeans::contrast(by_origin, china_minus_usa()), "nationality within origin"
    ),
    emmeans_rq1_origin_within_nationality = emm_table(
      model, emmeans::contrast(by_nationality, china_minus_usa()), "origin within nationality"
    )
  ) |>
    lapply(relabel_codes, codes = codes)
}

# Per-LLM nationality gaps from one mixed model with LLM as a fixed factor and a random
# intercept per respondent (every respondent contributes to all 20 gaps); Holm over LLMs.
rq1_per_llm_lmm <- function(data) {
  data <- dplyr::mutate(data, nationality = factor(.data$nationality, study_contract()$nations),
                        llm = factor(.data$llm))
  model <- as_lmm_test(fit_lmm(cosine ~ llm * nationality + (1 | respondent_key), data))$model
  grid <- emmeans::emmeans(model, ~ nationality | llm, lmer.df = "asymptotic")
  table <- emm_table(model, emmeans::contrast(grid, china_minus_usa()), "nationality within LLM")
  origins <- dplyr::distinct(data, llm = as.character(.data$llm), .data$llm_origin)
  table |>
    dplyr::mutate(llm = as.character(.data$llm), contrast = as.character(.data$contrast)) |>
    dplyr::left_join(origins, by = "llm") |>
    dplyr::relocate("llm_origin", .after = "llm")
}

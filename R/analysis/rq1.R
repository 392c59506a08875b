# RQ1: do LLMs made in China answer more like Chinese than American respondents?
# Persona none, same-language pairing, LLM rows only (human means are described, not modelled).

rq1_data <- function(derived) {
  derived |>
    dplyr::filter(!.data$is_human_mean, .data$persona == no_persona(),
                  .data$removed == nothing_removed()) |>
    compared_pair_rows() |>
    code_rq1_factors()
}

rq1_formula <- cosine ~ chinese_participant * chinese_origin

rq1_ols <- function(data) {
  ols_table(rq1_formula, data, "rq1_ols")
}

# Per-LLM Welch two-sample t-tests: Chinese minus American respondents (human means included).
welch_per_llm <- function(derived) {
  rows <- derived |>
    dplyr::filter(.data$persona == no_persona(), .data$removed == nothing_removed(),
                  .data$nationality %in% study_contract()$nations) |>
    dplyr::mutate(china = .data$nationality == first_nation()) |>
    dplyr::group_by(.data$llm, .data$llm_origin, .data$is_human_mean) |>
    dplyr::summarise(
      mean_china = mean(.data$cosine[.data$china]), mean_usa = mean(.data$cosine[!.data$china]),
      var_china = stats::var(.data$cosine[.data$china]),
      var_usa = stats::var(.data$cosine[!.data$china]),
      n_china = sum(.data$china), n_usa = sum(!.data$china), .groups = "drop"
    )
  too_few <- rows$n_china < 2 | rows$n_usa < 2
  if (any(too_few)) {
    stop(sprintf("Welch test of LLM `%s`: fewer than two respondents of one nationality",
                 rows$llm[which(too_few)[1]]), call. = FALSE)
  }
  constant <- rows$var_china == 0 & rows$var_usa == 0
  if (any(constant)) {
    stop(sprintf("Welch test of LLM `%s`: its cosines are constant within both nationalities",
                 rows$llm[which(constant)[1]]), call. = FALSE)
  }
  # The Welch test as stats::t.test(var.equal = FALSE) computes it, for all LLMs at once.
  share_china <- rows$var_china / rows$n_china
  share_usa <- rows$var_usa / rows$n_usa
  std_error <- sqrt(share_china + share_usa)
  df <- std_error^4 / (share_china^2 / (rows$n_china - 1) + share_usa^2 / (rows$n_usa - 1))
  estimate <- rows$mean_china - rows$mean_usa
  interval <- t_interval(estimate, std_error, df)
  rows <- rows |>
    dplyr::mutate(
      term = nation_gap_label(), estimate = estimate, std_error = std_error,
      statistic = estimate / std_error, df = df,
      p_value = 2 * stats::pt(-abs(estimate / std_error), df),
      conf_low = interval$low, conf_high = interval$high,
      cohens_d = estimate / sqrt((.data$var_china + .data$var_usa) / 2),
      .after = "is_human_mean"
    ) |>
    dplyr::select(-"var_china", -"var_usa") |>
    dplyr::relocate("mean_china", "mean_usa", "n_china", "n_usa", .after = "term")
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
    summarise_mean_ci(.data$cosine) |>
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

# Simulated derived tables in the contract format, with known fixed effects and crossed random
# effects (respondent, LLM, respondent x LLM). Used by the tests and the benchmarks.

simulation_truth <- list(
  rq1 = c(intercept = 0.20, chinese_participant = -0.15, chinese_origin = -0.02,
          interaction = 0.01),
  rq2 = c(intercept = 0.20, congruent_language = 0.02, congruent_persona = 0.015,
          congruent_origin = 0.01),
  sd = c(respondent = 0.10, llm = 0.04, llm_slope = 0.05, llm_condition_slope = 0.015,
         pair = 0.05, residual = 0.08, removed = 0.02)
)

simulate_design <- function(n_china, n_usa, n_llms, seed) {
  set.seed(seed)
  respondents <- tibble::tibble(
    nationality = rep(c("China", "USA"), c(n_china, n_usa)),
    respondent = c(seq_len(n_china), seq_len(n_usa))
  )
  respondents$u <- stats::rnorm(nrow(respondents), 0, simulation_truth$sd[["respondent"]])
  llms <- tibble::tibble(
    llm = sprintf("llm-%02d", seq_len(n_llms)),
    llm_origin = rep(c("China", "USA"), length.out = n_llms),
    v = stats::rnorm(n_llms, 0, simulation_truth$sd[["llm"]]),
    v_slope = stats::rnorm(n_llms, 0, simulation_truth$sd[["llm_slope"]])
  )
  pairs <- tidyr::crossing(respondents, llms)
  pairs$w <- stats::rnorm(nrow(pairs), 0, simulation_truth$sd[["pair"]])
  pairs
}

contract_columns <- function(rows, language, persona, removed = "none") {
  rows |>
    dplyr::mutate(
      respondent = as.integer(.data$respondent),
      is_human_mean = FALSE,
      language = language, persona = persona, removed = removed,
      congruent_language = .data$language == ifelse(.data$nationality == "China",
                                                    "Chinese", "English"),
      congruent_persona = if (all(.data$persona %in% c("China", "USA"))) {
        .data$persona == .data$nationality
      } else {
        NA
      },
      congruent_origin = .data$llm_origin == .data$nationality
    ) |>
    dplyr::select(dplyr::all_of(derived_columns))
}

# RQ1 table: cosine = fixed effects (+/-0.5 codes) + respondent + LLM intercept and
# nationality slope + residual.
simulate_rq1 <- function(n_china = 150, n_usa = 150, n_llms = 20, seed = 1) {
  truth <- simulation_truth$rq1
  pairs <- simulate_design(n_china, n_usa, n_llms, seed)
  cp <- ifelse(pairs$nationality == "China", 0.5, -0.5)
  co <- ifelse(pairs$llm_origin == "China", 0.5, -0.5)
  pairs$cosine <- truth[["intercept"]] + truth[["chinese_participant"]] * cp +
    truth[["chinese_origin"]] * co + truth[["interaction"]] * cp * co +
    pairs$u + pairs$v + pairs$v_slope * cp +
    stats::rnorm(nrow(pairs), 0, simulation_truth$sd[["residual"]])
  pairs$language <- ifelse(pairs$nationality == "China", "Chinese", "English")
  contract_columns(pairs, pairs$language, "none")
}

# RQ2 table: every pair in both languages x both personas; the language and persona
# congruence effects also vary by LLM.
simulate_rq2 <- function(n_china = 150, n_usa = 150, n_llms = 20, seed = 2) {
  truth <- simulation_truth$rq2
  pairs <- simulate_design(n_china, n_usa, n_llms, seed)
  condition_sd <- simulation_truth$sd[["llm_condition_slope"]]
  llm_language <- stats::setNames(stats::rnorm(n_llms, 0, condition_sd), unique(pairs$llm))
  llm_persona <- stats::setNames(stats::rnorm(n_llms, 0, condition_sd), unique(pairs$llm))
  conditions <- tidyr::crossing(language = c("English", "Chinese"), persona = c("China", "USA"))
  rows <- tidyr::crossing(pairs, conditions)
  code <- function(condition) ifelse(condition, 0.5, -0.5)
  own_language <- ifelse(rows$nationality == "China", "Chinese", "English")
  language_code <- code(rows$language == own_language)
  persona_code <- code(rows$persona == rows$nationality)
  rows$cosine <- truth[["intercept"]] +
    (truth[["congruent_language"]] + llm_language[rows$llm]) * language_code +
    (truth[["congruent_persona"]] + llm_persona[rows$llm]) * persona_code +
    truth[["congruent_origin"]] * code(rows$llm_origin == rows$nationality) +
    rows$u + rows$v + rows$v_slope * code(rows$llm_origin == rows$nationality) + rows$w +
    stats::rnorm(nrow(rows), 0, simulation_truth$sd[["residual"]])
  contract_columns(rows, rows$language, rows$persona)
}

# RQ3 table: the RQ1 cosines plus one block per removed unit, each shifting cosine by a
# unit-specific amount that also varies by LLM and by respondent.
simulate_rq3 <- function(n_china = 150, n_usa = 150, n_llms = 20,
                         removed = c("Care", "Equality", "Proportionality", "Loyalty",
                                     "Authority", "Purity"),
                         seed = 3) {
  full <- simulate_rq1(n_china, n_usa, n_llms, seed)
  shifts <- stats::setNames(stats::rnorm(length(removed), 0, 0.02), removed)
  spread <- simulation_truth$sd[["removed"]]
  blocks <- lapply(removed, function(unit) {
    by_llm <- stats::setNames(stats::rnorm(n_llms, 0, spread / 2), unique(full$llm))
    by_respondent <- stats::rnorm(n_china + n_usa, 0, spread / 2)
    respondent_index <- ifelse(full$nationality == "China", 0, n_china) + full$respondent
    full |>
      dplyr::mutate(removed = unit,
                    cosine = .data$cosine + shifts[[unit]] + by_llm[.data$llm] +
                      by_respondent[respondent_index] + stats::rnorm(dplyr::n(), 0, spread))
  })
  dplyr::bind_rows(full, blocks)
}

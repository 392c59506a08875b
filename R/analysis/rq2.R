# RQ2: does congruence with the respondent (prompt language, persona, LLM origin) raise
# similarity? Personas China and USA, both languages, LLMs only.

rq2_data <- function(derived) {
  derived |>
    dplyr::filter(!.data$is_human_mean, .data$persona %in% c("China", "USA"),
                  .data$removed == "none") |>
    code_congruence_factors()
}

rq2_formula <- cosine ~ congruent_language * congruent_persona * congruent_origin

rq2_ols <- function(data) {
  tidy_lm(stats::lm(rq2_formula, data = data), "rq2_ols")
}

# Mean cosine per LLM x language x persona x respondent nationality (figure 4), and by origin.
rq2_cells <- function(derived) {
  rows <- derived |>
    dplyr::filter(!.data$is_human_mean, .data$persona %in% c("China", "USA"),
                  .data$removed == "none")
  by_llm <- rows |>
    dplyr::group_by(.data$llm, .data$llm_origin, .data$language, .data$persona,
                    .data$nationality) |>
    dplyr::summarise(mean_ci(.data$cosine), .groups = "drop") |>
    dplyr::mutate(level = "llm", .before = 1)
  by_origin <- rows |>
    dplyr::group_by(.data$llm_origin, .data$language, .data$persona, .data$nationality) |>
    dplyr::summarise(mean_ci(.data$cosine), .groups = "drop") |>
    dplyr::mutate(level = "origin", llm = NA_character_, .before = 1)
  dplyr::bind_rows(by_llm, by_origin) |> dplyr::relocate("level", "llm")
}

rq2_lmm <- function(data) {
  select_lmm(rq2_formula, lmm_candidates$rq2, data, "rq2_lmm",
             max_rows = lmm_candidate_max_rows()$rq2)
}

# The LLM-level view of RQ2: mean cosine over the respondents of each nationality, per LLM x
# language x persona (8 cells per LLM), so that respondents are no longer sampled units. It fits
# in milliseconds at any respondent count and checks the language and persona effects where the
# full model cannot carry their by-LLM slopes. chinese_participant stands in for what the
# respondent intercepts absorb in the full model; so congruent_origin here is net of respondent
# nationality, unlike in the full model, whose by-LLM origin slope carries the nationality gap.
rq2_llm_level_data <- function(rq2_rows) {
  rq2_rows |>
    dplyr::group_by(.data$llm, .data$llm_origin, .data$language, .data$persona,
                    .data$nationality) |>
    dplyr::summarise(cosine = mean(.data$cosine), n_respondents = dplyr::n(),
                     .groups = "drop") |>
    dplyr::mutate(
      congruent_language = .data$language == ifelse(.data$nationality == "China",
                                                    "Chinese", "English"),
      congruent_persona = .data$persona == .data$nationality,
      congruent_origin = .data$llm_origin == .data$nationality
    ) |>
    code_congruence_factors() |>
    dplyr::mutate(chinese_participant = effect_code(.data$nationality == "China"))
}

rq2_llm_level_formula <- stats::update(rq2_formula, . ~ . + chinese_participant)

rq2_llm_level_lmm <- function(rq2_rows) {
  select_lmm(rq2_llm_level_formula, lmm_candidates$rq2_llm_level,
             rq2_llm_level_data(rq2_rows), "rq2_llm_level_lmm")
}

rq2_codes <- function(data) {
  variables <- c("congruent_language", "congruent_persona", "congruent_origin")
  congruent <- list(
    congruent_language = data$language == ifelse(data$nationality == "China", "Chinese", "English"),
    congruent_persona = data$persona == data$nationality,
    congruent_origin = data$llm_origin == data$nationality
  )
  stats::setNames(lapply(variables, function(variable) {
    coded_levels(data, variable, congruent[[variable]], c("congruent", "incongruent"))
  }), variables)
}

congruent_minus_incongruent <- list("congruent - incongruent" = c(1, -1))

# Each congruence effect averaged over the other two factors (one Holm family of three), and
# within each combination of them (a Holm family per effect).
rq2_emmeans <- function(model, data) {
  codes <- rq2_codes(data)
  variables <- names(codes)
  main <- purrr::map_dfr(variables, function(variable) {
    grid <- emm_grid(model, stats::as.formula(paste("~", variable)), codes)
    emm_table(model, emmeans::contrast(grid, congruent_minus_incongruent),
              "congruence effects", adjust = "none") |>
      dplyr::mutate(factor = variable, .after = "family")
  }) |>
    # the three effects are one family: adjust them together
    dplyr::mutate(p_adjusted = stats::p.adjust(.data$p_value, method = "holm"), adjust = "holm")
  simple <- purrr::map_dfr(variables, function(variable) {
    others <- setdiff(variables, variable)
    specs <- stats::as.formula(paste("~", variable, "|", paste(others, collapse = "*")))
    emm_table(model, emmeans::contrast(emm_grid(model, specs, codes),
                                       congruent_minus_incongruent),
              paste("simple effects of", variable), adjust = "holm") |>
      dplyr::mutate(factor = variable, .after = "family")
  }) |>
    dplyr::relocate(dplyr::all_of(variables), .after = "contrast")
  cells <- emm_table(model, emm_grid(model, ~ congruent_language * congruent_persona *
                                       congruent_origin, codes), "cell means", adjust = "none")
  list(
    emmeans_rq2_congruence = main,
    emmeans_rq2_simple_congruence = simple,
    emmeans_rq2_cells = cells
  ) |>
    lapply(relabel_codes, codes = codes)
}

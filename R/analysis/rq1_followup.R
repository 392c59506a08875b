# RQ1 follow-up: is each LLM's gap between Chinese and American respondents different from
# the gap of the Chinese human mean? One OLS per LLM on that LLM plus "Human mean, China".

followup_reference <- function() human_mean_id(first_nation())

rq1_followup_data <- function(derived, llm_id) {
  rows <- derived |>
    dplyr::filter(.data$persona == no_persona(), .data$removed == nothing_removed(),
                  .data$llm %in% c(llm_id, followup_reference()))
  if (!any(rows$llm == followup_reference())) {
    stop(sprintf("RQ1 follow-up needs rows for \"%s\" in the rq1 table", followup_reference()),
         call. = FALSE)
  }
  rows |>
    dplyr::mutate(
      chinese_participant = effect_code(.data$nationality == first_nation()),
      # Not centred, as in the paper: +0.5 for the human mean, -0.5 for the LLM.
      is_human_mean = ifelse(.data$llm == followup_reference(), 0.5, -0.5)
    )
}

rq1_followup_ols <- function(derived) {
  llms <- derived |>
    dplyr::filter(!.data$is_human_mean) |>
    dplyr::distinct(.data$llm, .data$llm_origin)
  purrr::pmap_dfr(llms, function(llm, llm_origin) {
    model <- stats::lm(cosine ~ chinese_participant * is_human_mean,
                       data = rq1_followup_data(derived, llm))
    tidy_lm(model, "rq1_followup_ols") |>
      dplyr::mutate(llm = llm, llm_origin = llm_origin, .after = "model")
  })
}

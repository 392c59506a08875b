# RQ1 follow-up: is each LLM's gap between Chinese and American respondents different from
# the gap of the Chinese human mean? One OLS per LLM on that LLM plus "Human mean, China".

followup_reference <- function() human_mean_id(first_nation())

rq1_followup_data <- function(derived, llm_id) {
  keep <- derived$persona == no_persona() & derived$removed == nothing_removed() &
    derived$llm %in% c(llm_id, followup_reference())
  rows <- derived[keep, , drop = FALSE]
  if (!any(rows$llm == followup_reference())) {
    stop(sprintf("RQ1 follow-up needs rows for \"%s\" in the rq1 table", followup_reference()),
         call. = FALSE)
  }
  rows$chinese_participant <- effect_code(rows$nationality == first_nation())
  # Not centred, as in the paper: +0.5 for the human mean, -0.5 for the LLM.
  rows$is_human_mean <- ifelse(rows$llm == followup_reference(), 0.5, -0.5)
  rows
}

rq1_followup_ols <- function(derived) {
  # Subset once: the per-LLM subsets below then scan 1/5 of the rows.
  derived <- derived[derived$persona == no_persona() & derived$removed == nothing_removed(), ]
  llms <- dplyr::distinct(derived[!derived$is_human_mean, ], .data$llm, .data$llm_origin)
  purrr::pmap_dfr(llms, function(llm, llm_origin) {
    ols_table(cosine ~ chinese_participant * is_human_mean, rq1_followup_data(derived, llm),
              "rq1_followup_ols") |>
      dplyr::mutate(llm = llm, llm_origin = llm_origin, .after = "model")
  })
}

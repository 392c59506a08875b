# What a null result rules out. For every origin term of the llm_level table: the primary test's
# estimate and SE (maker or LLM level, llm_level.R), two one-sided tests against a smallest
# effect of interest (SESOI), the 90% interval that goes with them, the 95% interval's largest
# absolute bound (no effect beyond it in either direction is compatible with the data) and the
# minimum detectable effect at 80% power of the two-sided .05 test.
#
# SESOI: a fraction (default a tenth) of the nationality gap, the mean over LLMs of each LLM's
# cosine with the first nation's respondents minus that with the second nation's (RQ1, no
# persona; the chinese_participant contrast). Every origin term is a difference of cosines or
# of cosine differences, so one SESOI on the cosine scale serves them all. An absolute SESOI
# replaces it when given.

default_sesoi_fraction <- 0.1

# The SESOI and what it was derived from, from the llm_level inputs' RQ1 per-LLM gaps.
smallest_effect_of_interest <- function(rq1_crossed, fraction = default_sesoi_fraction,
                                        absolute = NULL) {
  gap_term <- list(nationality_gap = llm_term(1, -1))
  gap <- mean(per_llm_values(rq1_crossed, gap_term)[, 1])
  list(sesoi = if (is.null(absolute)) fraction * abs(gap) else absolute,
       basis = if (is.null(absolute)) sprintf("%g x |nationality gap|", fraction) else "set",
       nationality_gap = gap, fraction = if (is.null(absolute)) fraction else NA_real_)
}

# One row per term: TOST, intervals, minimum detectable effect, verdict.
equivalence_tests <- function(estimate, std_error, df, p_primary, sesoi, alpha = 0.05,
                              power = 0.8) {
  lower <- stats::pt((estimate + sesoi) / std_error, df, lower.tail = FALSE)
  upper <- stats::pt((estimate - sesoi) / std_error, df)
  ci90 <- t_interval(estimate, std_error, df, 1 - 2 * alpha)
  ci95 <- t_interval(estimate, std_error, df, 1 - alpha)
  p_tost <- pmax(lower, upper)
  tibble::tibble(
    conf_low_90 = ci90$low, conf_high_90 = ci90$high, p_tost = p_tost,
    conf_low_95 = ci95$low, conf_high_95 = ci95$high,
    rules_out_beyond = pmax(abs(ci95$low), abs(ci95$high)),
    mde_80 = (stats::qt(1 - alpha / 2, df) + stats::qt(power, df)) * std_error,
    verdict = dplyr::case_when(
      is.na(p_primary) ~ "not tested",
      p_primary < alpha ~ "different",
      p_tost < alpha ~ "equivalent",
      TRUE ~ "inconclusive"
    )
  )
}

# The equivalence table from the llm_level table (primary columns) and the SESOI.
equivalence_table <- function(llm_level_table, smallest) {
  rows <- dplyr::filter(llm_level_table, !is.na(.data$p_primary))
  tests <- equivalence_tests(rows$primary_estimate, rows$primary_std_error, rows$primary_df,
                             rows$p_primary, smallest$sesoi)
  rows |>
    dplyr::select("analysis", "term", "primary_unit", "primary_test",
                  estimate = "primary_estimate", std_error = "primary_std_error",
                  df = "primary_df", "p_primary") |>
    dplyr::mutate(sesoi = smallest$sesoi, sesoi_basis = smallest$basis,
                  nationality_gap = smallest$nationality_gap,
                  sesoi_fraction = smallest$fraction) |>
    dplyr::bind_cols(tests) |>
    dplyr::mutate(scale = "cosine (difference)")
}

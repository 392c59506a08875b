# Type-I error of the origin terms on simulated data with no origin effect at all but with the
# nationality, language and persona effects (and their by-LLM variation) of the MFQ-2 release.
# A handful of data sets: rates far above .05 mean a model mistakes between-LLM variation for
# an origin effect (benchmarks/calibration.R runs 1,000 and checks the .03-.07 band).

test_that("the project's models keep the origin terms near their nominal level", {
  rates <- dplyr::bind_rows(
    null_rejection_rates("rq2_lmm", 100, cores = 1, n_per_nationality = 30),
    null_rejection_rates("rq1_llm_level", 100, cores = 1, n_per_nationality = 30)
  )
  expect_equal(nrow(rates), 4 + 2)
  expect_true(all(rates$rejection_rate < 0.15), info = paste(format(rates), collapse = "\n"))
})

test_that("the previous RQ2 model fails the same check", {
  rates <- null_rejection_rates("previous_rq2_lmm", 20, cores = 1, n_per_nationality = 20)
  expect_true(any(rates$rejection_rate >= 0.15))
  # the interactions tested against row-level error are the ones far off
  expect_gt(max(rates$rejection_rate[rates$term == "congruent_language:congruent_origin"]), 0.3)
})

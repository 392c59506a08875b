# The paper's published MFQ-2 RQ1 model, on the derived table of the release (paper mode).
published_rq1 <- tibble::tribble(
  ~term, ~estimate, ~std_error,
  "(Intercept)", 0.207, 0.001,
  "chinese_participant", -0.179, 0.002,
  "chinese_origin", -0.008, 0.002,
  "chinese_participant:chinese_origin", -0.002, 0.004
)

derived_root <- Sys.getenv("MORALIGN_DERIVED_DIR", file.path(project_root, "data", "derived"))

test_that("MFQ-2 RQ1 OLS reproduces the published coefficients", {
  derived_dir <- file.path(derived_root, "paper")
  skip_if_not(has_derived(derived_dir, "mfq2", "rq1"),
              sprintf("no derived table %s", derived_path(derived_dir, "mfq2", "rq1")))
  table <- rq1_ols(rq1_data(read_derived(derived_dir, "mfq2", "rq1")))
  expect_equal(table$n_obs[1], 20640)
  expect_equal(table$term, published_rq1$term)
  expect_equal(round(table$estimate, 3), published_rq1$estimate)
  expect_equal(round(table$std_error, 3), published_rq1$std_error)
  expect_equal(round(coefficient(table, "chinese_origin", "p_value"), 4), 0.0006)
  expect_equal(round(coefficient(table, "chinese_participant:chinese_origin", "p_value"), 2),
               0.71)
})

# simulate.R types the effects and variance components fitted on the release, so that tests and
# the calibration run without it; this keeps the typed values equal to a refit (to their 3
# decimals) and fails when the data or the models change under them.
test_that("the simulation's truth is what RQ1 and RQ2 fit on the release", {
  derived_dir <- file.path(derived_root, "paper")
  skip_if_not(has_derived(derived_dir, "mfq2", "rq2"),
              sprintf("no derived table %s", derived_path(derived_dir, "mfq2", "rq2")))
  rq1 <- rq1_lmm(rq1_data(read_derived(derived_dir, "mfq2", "rq1")))
  expect_equal(round(lme4::fixef(rq1$model), 3), simulation_truth$rq1)
  components <- lmm_variance_components(rq1$model, "rq1_lmm")
  components <- components[components$term2 == "", ]
  expect_equal(round(components$sd_or_cor, 3), unname(simulation_truth$rq1_sd))

  rq2 <- rq2_lmm(rq2_data(read_derived(derived_dir, "mfq2", "rq2")))
  fixed <- stats::setNames(rq2$table$estimate, rq2$table$term)
  expect_equal(round(fixed[names(simulation_truth$rq2)], 3), simulation_truth$rq2)
  components <- rq2_variance_components(rq2)
  sds <- stats::setNames(round(components$sd_or_cor, 3), components$group)
  expect_equal(unname(sds[names(sds) == "llm"]), unname(simulation_truth$rq2_sd$llm))
  expect_equal(unname(sds[names(sds) == "respondent_key"]),
               unname(simulation_truth$rq2_sd$respondent))
  expect_equal(unname(sds["respondent_key:llm"]), simulation_truth$rq2_sd$pair)
  expect_equal(unname(sds["Residual"]), simulation_truth$rq2_sd$residual)
})

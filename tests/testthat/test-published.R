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

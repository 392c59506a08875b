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
  expect_equal(unname(sds[names(sds) == "respondent_key:llm"]),
               unname(simulation_truth$rq2_sd$pair))
  expect_equal(unname(sds["Residual"]), simulation_truth$rq2_sd$residual)
})

# The calibration's truth comes from the true-respondent mode, with the by-LLM structure the
# plain simulation leaves out (simulate.R: calibration_truth).
test_that("the calibration's truth is what the release gives with true respondent ids", {
  derived_dir <- file.path(derived_root, "respondent")
  skip_if_not(has_derived(derived_dir, "mfq2", "rq2"),
              sprintf("no derived table %s", derived_path(derived_dir, "mfq2", "rq2")))
  truth <- calibration_truth
  rq1_rows <- rq1_data(read_derived(derived_dir, "mfq2", "rq1"))
  rq1 <- rq1_lmm(rq1_rows)
  expect_equal(round(lme4::fixef(rq1$model), 3), truth$rq1)
  components <- lmm_variance_components(rq1$model, "rq1_lmm")
  components <- components[components$term2 == "", ]
  expect_equal(round(components$sd_or_cor, 3), unname(truth$rq1_sd))
  crossed <- llm_level_inputs(rq1_rows)$rq1$crossed
  values <- per_llm_values(crossed, list(llm = llm_term(0.5, 0.5),
                                         llm_nationality = llm_term(1, -1)))
  first <- crossed$origin == first_nation()
  ratio <- apply(values[first, ], 2, stats::var) / apply(values[!first, ], 2, stats::var)
  expect_equal(round(ratio, 2), truth$rq1_variance_ratio)

  rq2 <- rq2_lmm(rq2_data(read_derived(derived_dir, "mfq2", "rq2")))
  fixed <- stats::setNames(rq2$table$estimate, rq2$table$term)
  expect_equal(round(fixed[names(truth$rq2)], 3), truth$rq2)
  components <- rq2_variance_components(rq2)
  sds <- stats::setNames(round(components$sd_or_cor, 3), components$group)
  for (group in c("llm", "respondent_key", "respondent_key:llm")) {
    part <- c(llm = "llm", respondent_key = "respondent", "respondent_key:llm" = "pair")[[group]]
    expect_equal(unname(sds[names(sds) == group]), unname(truth$rq2_sd[[part]]), label = group)
  }
  expect_equal(unname(sds["Residual"]), truth$rq2_sd$residual)
  first <- rq2$origin_china
  expect_equal(round(apply(rq2$d[first, ], 2, stats::var) / apply(rq2$d[!first, ], 2, stats::var),
                     2), truth$rq2_variance_ratio)
  expect_equal(round(stats::cor(rq2$d), 2), truth$rq2_llm_correlation)
})

test_that("the calibration's makers are the release's: LLMs per maker within each origin", {
  path <- file.path(project_root, "data", "canonical", "models.csv")
  skip_if_not(file.exists(path), sprintf("no %s", path))
  models <- readr::read_csv(path, show_col_types = FALSE)
  models <- models[models$kind == "llm", ]
  sizes <- lapply(c(first = "China", second = "USA"), function(origin) {
    sort(as.vector(table(models$maker[models$origin == origin])))
  })
  expect_equal(sizes, lapply(calibration_truth$maker_sizes, sort))
})

# ols_table() fits on cells; these tests hold it to stats::lm() on the rows.

lm_table <- function(formula, data) {
  model <- stats::lm(formula, data = data)
  coefs <- summary(model)$coefficients
  list(term = rownames(coefs), estimate = unname(coefs[, 1]), std_error = unname(coefs[, 2]),
       p_value = unname(coefs[, 4]), df = stats::df.residual(model),
       confint = unname(stats::confint(model)))
}

expect_same_as_lm <- function(formula, data) {
  table <- ols_table(formula, data, "m")
  reference <- lm_table(formula, data)
  expect_named(table, c("model", "term", "estimate", "std_error", "statistic", "df", "p_value",
                        "conf_low", "conf_high", "n_obs"))
  expect_equal(table$term, reference$term)
  expect_equal(table$estimate, reference$estimate, tolerance = 1e-10)
  expect_equal(table$std_error, reference$std_error, tolerance = 1e-10)
  expect_equal(table$p_value, reference$p_value, tolerance = 1e-8)
  expect_equal(unique(table$df), reference$df)
  expect_equal(cbind(table$conf_low, table$conf_high), reference$confint, tolerance = 1e-10)
  expect_equal(unique(table$n_obs), nrow(data))
}

test_that("ols_table equals lm on an unbalanced stacked RQ3 design with a factor", {
  rows <- rq3_data(validate_derived(simulate_rq3(23, 31, 6, seed = 3)))
  rows <- rows[-(1:37), ] # unbalanced cells
  expect_same_as_lm(rq3_formula, rows)
})

test_that("ols_table equals lm on the RQ1 and RQ2 models", {
  expect_same_as_lm(rq1_formula, rq1_data(validate_derived(simulate_rq1(17, 25, 6, seed = 4))))
  expect_same_as_lm(rq2_formula, rq2_data(validate_derived(simulate_rq2(15, 12, 4, seed = 5))))
})

test_that("ols_table equals lm with a continuous predictor and an unsaturated model", {
  expect_same_as_lm(mpg ~ wt, mtcars)
  expect_same_as_lm(mpg ~ factor(cyl) + am, dplyr::mutate(mtcars, cyl = factor(cyl)))
})

test_that("ols_table names the model and column it cannot fit", {
  data <- tibble::tibble(y = c(1, 2, 3, 5), x = c(0, 1, 0, 1), z = 2 * c(0, 1, 0, 1))
  expect_error(ols_table(y ~ x + z, data, "collinear"), "collinear: the predictors are collinear")
  data$x[3] <- NA
  expect_error(ols_table(y ~ x, data, "gappy"), "gappy: column `x` has missing values \\(row 3\\)")
})

test_that("ols_table refuses formulas it would not fit as lm does", {
  data <- dplyr::mutate(mtcars, n = 1, mean = 2)
  for (formula in list(log(mpg) ~ wt, mpg ~ poly(wt, 2), mpg ~ wt + offset(hp), mpg ~ I(wt^2))) {
    expect_error(ols_table(formula, data, "m"), "m: ols_table\\(\\) takes columns.*stats::lm")
  }
  # columns named like the cell summaries do not get in the way
  expect_same_as_lm(mpg ~ n + am, dplyr::mutate(data, n = cyl))
})

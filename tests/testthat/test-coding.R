test_that("effect_code gives +0.5/-0.5 centred on the data", {
  condition <- c(TRUE, TRUE, TRUE, FALSE)
  code <- effect_code(condition)
  expect_equal(mean(code), 0)
  expect_equal(code[1] - code[4], 1)
  expect_equal(unique(code[condition]), 0.25)
})

test_that("effect_code refuses missing values", {
  expect_error(effect_code(c(TRUE, NA)), "missing values")
})

test_that("coded_levels names the centred value of each level", {
  data <- tibble::tibble(x = effect_code(c(TRUE, FALSE, FALSE)), flag = c(TRUE, FALSE, FALSE))
  levels <- coded_levels(data, "x", data$flag, c("yes", "no"))
  expect_equal(unname(levels["yes"]), 2 / 3)
  expect_equal(unname(levels["no"]), -1 / 3)
})

test_that("validate_derived names the file, row and column of bad input", {
  rows <- simulate_rq1(5, 5, 4)
  expect_error(validate_derived(dplyr::select(rows, -"cosine"), "x.rds"),
               "x.rds: missing column\\(s\\) cosine")
  bad <- rows
  bad$nationality[7] <- "France"
  expect_error(validate_derived(bad, "x.rds"), "row 7, column `nationality`.*France")
  bad <- rows
  bad$cosine[3] <- NA
  expect_error(validate_derived(bad, "x.rds"), "row 3, column `cosine`")
})

test_that("respondent ids restarting per nationality stay distinct", {
  rows <- validate_derived(simulate_rq1(5, 5, 2))
  expect_equal(dplyr::n_distinct(rows$respondent_key), 10)
})

test_that("read_derived explains a missing table", {
  expect_error(read_derived(tempdir(), "mfq2", "rq1"), "moralign similarity")
})

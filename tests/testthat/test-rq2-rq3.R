test_that("RQ2 OLS has the congruence terms in R's order", {
  data <- rq2_data(validate_derived(simulate_rq2(40, 40, 6)))
  table <- rq2_ols(data)
  expect_equal(table$term, c(
    "(Intercept)", "congruent_language", "congruent_persona", "congruent_origin",
    "congruent_language:congruent_persona", "congruent_language:congruent_origin",
    "congruent_persona:congruent_origin",
    "congruent_language:congruent_persona:congruent_origin"
  ))
  expect_equal(coefficient(table, "congruent_language"),
               simulation_truth$rq2[["congruent_language"]], tolerance = 0.5)
})

test_that("RQ2 refuses persona rows without congruence codes", {
  rows <- validate_derived(simulate_rq2(5, 5, 2))
  rows$congruent_persona[4] <- NA
  expect_error(rq2_data(rows), "congruent_persona.*row 4")
})

test_that("RQ3 uses 'none' as the reference level and names terms like the paper", {
  data <- rq3_data(validate_derived(simulate_rq3(20, 20, 4)))
  expect_equal(levels(data$removed)[1], "none")
  expect_equal(levels(data$removed)[-1],
               c("Care", "Equality", "Proportionality", "Loyalty", "Authority", "Purity"))
  table <- rq3_ols(data)
  expect_true(all(c("removedCare", "chinese_participant:removedCare",
                    "chinese_participant:chinese_origin:removedPurity") %in% table$term))
})

test_that("RQ3 orders WVS questions numerically", {
  expect_equal(sort_removed(c("none", "195", "177", "18")), c("18", "177", "195", "none"))
})

test_that("RQ3 mean change is removed minus none within each pair", {
  data <- rq3_data(validate_derived(simulate_rq3(10, 10, 2, removed = c("Care", "Purity"))))
  changes <- rq3_mean_change(data)
  expect_equal(nrow(changes), 2 * 2 * 2)
  cell <- function(removed) {
    data |>
      dplyr::filter(.data$removed == !!removed, .data$llm_origin == "China",
                    .data$nationality == "USA") |>
      dplyr::arrange(.data$respondent_key, .data$llm)
  }
  expected <- mean(cell("Purity")$cosine - cell("none")$cosine)
  got <- changes$mean_change[changes$removed == "Purity" & changes$llm_origin == "China" &
                               changes$nationality == "USA"]
  expect_equal(got, expected)
  expect_equal(unique(changes$removed), c("Care", "Purity"))
})

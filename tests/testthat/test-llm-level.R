# LLM-level tests of the origin terms (llm_level.R).

llm_rows <- simulated_rq1(30, 30, 8, seed = 12)
llm_input <- llm_level_inputs(llm_rows)$rq1
makers <- stats::setNames(rep(c("a", "b", "c", "d"), each = 2), sprintf("llm-%02d", 1:8))

test_that("per-LLM contrasts are the LLM's nationality means", {
  values <- per_llm_values(llm_input$crossed, rq1_llm_terms)
  means <- llm_rows |>
    dplyr::group_by(.data$llm, .data$nationality) |>
    dplyr::summarise(cosine = mean(.data$cosine), .groups = "drop") |>
    tidyr::pivot_wider(names_from = "nationality", values_from = "cosine")
  means <- means[match(rownames(values), means$llm), ]
  expect_equal(unname(values[, "chinese_origin"]), (means$China + means$USA) / 2)
  expect_equal(unname(values[, "chinese_participant:chinese_origin"]), means$China - means$USA)
})

test_that("the permutation test enumerates every origin split", {
  table <- llm_level_tests(llm_input$crossed, rq1_llm_terms, "rq1", makers, reps = 199)
  expect_equal(unique(table$permutations), choose(8, 4))
  values <- per_llm_values(llm_input$crossed, rq1_llm_terms)[, "chinese_origin"]
  china <- llm_input$crossed$origin == "China"
  observed <- abs(mean(values[china]) - mean(values[!china]))
  splits <- utils::combn(8, 4)
  brute <- mean(apply(splits, 2, function(s) {
    abs(mean(values[s]) - mean(values[-s])) >= observed - 1e-12
  }))
  expect_equal(table$p_permutation[table$term == "chinese_origin"], brute)
  expect_equal(table$df, c(6, 6))
  expect_true(all(c("maker_std_error", "maker_df", "p_maker") %in% names(table)))
})

test_that("the cluster bootstrap is seeded and its SE is near the t-test's", {
  first <- cluster_bootstrap(llm_input$crossed, rq1_llm_terms, reps = 499)
  second <- cluster_bootstrap(llm_input$crossed, rq1_llm_terms, reps = 499)
  expect_identical(first, second)
  t_se <- llm_level_tests(llm_input$crossed, rq1_llm_terms, "rq1", reps = 499)$std_error
  # the bootstrap resamples 8 LLMs (biased low by about sqrt(6/8)) and respondents too
  expect_true(all(first / t_se > 0.5 & first / t_se < 1.5))
})

test_that("leave-one-out drops each LLM once", {
  loo <- llm_level_leave_one_out(llm_input$crossed, rq1_llm_terms, "rq1")
  expect_equal(nrow(loo), 8 * 2)
  expect_setequal(loo$left_out, llm_input$crossed$llms)
  expect_equal(unique(loo$df), 5)
})

test_that("RQ3 terms are origin differences of the change scores", {
  data <- rq3_data(validate_derived(simulate_rq3(10, 10, 4, removed = c("Care", "Purity"))))
  input <- llm_level_inputs(dplyr::filter(data, .data$removed == "none"), rq3_rows = data)$rq3
  values <- per_llm_values(input$crossed, input$terms)
  changes <- rq3_change_scores(data) |>
    dplyr::filter(.data$removed == "Care") |>
    dplyr::group_by(.data$llm, .data$nationality) |>
    dplyr::summarise(change = mean(.data$change), .groups = "drop") |>
    dplyr::group_by(.data$llm) |>
    dplyr::summarise(change = mean(.data$change))
  expect_equal(unname(values[changes$llm, "chinese_origin:removedCare"]), changes$change)
})

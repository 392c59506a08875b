test_that("RQ1 OLS has the paper's terms and recovers simulated effects", {
  data <- simulated_rq1(200, 200, 20, seed = 11)
  table <- rq1_ols(data)
  expect_equal(table$term, c("(Intercept)", "chinese_participant", "chinese_origin",
                             "chinese_participant:chinese_origin"))
  truth <- simulation_truth$rq1
  # Centred codes with equal group sizes: the intercept is the grand mean, up to the sampled
  # random effects; the nationality effect is the best determined.
  expect_equal(coefficient(table, "chinese_participant"), truth[["chinese_participant"]],
               tolerance = 0.05 / 0.15)
  expect_equal(table$n_obs[1], 8000)
})

test_that("RQ1 data keep LLM rows without persona only", {
  rows <- simulate_rq1(10, 10, 4)
  human <- rows[1:3, ]
  human$llm <- "Human mean, China"
  human$is_human_mean <- TRUE
  data <- rq1_data(validate_derived(dplyr::bind_rows(rows, human)))
  expect_false(any(data$is_human_mean))
  expect_equal(nrow(data), nrow(rows))
})

test_that("Welch tests per LLM match t.test and adjust with Holm", {
  rows <- validate_derived(simulate_rq1(30, 40, 6, seed = 5))
  table <- welch_per_llm(rows)
  expect_equal(nrow(table), 6)
  one <- rows[rows$llm == "llm-03", ]
  reference <- stats::t.test(one$cosine[one$nationality == "China"],
                             one$cosine[one$nationality == "USA"])
  expect_equal(table$statistic[table$llm == "llm-03"], unname(reference$statistic))
  expect_equal(table$df[table$llm == "llm-03"], unname(reference$parameter))
  expect_equal(table$p_holm, stats::p.adjust(table$p_value, "holm"))
})

test_that("RQ1 cells give means with t intervals by LLM and by origin", {
  rows <- validate_derived(simulate_rq1(20, 20, 4, seed = 8))
  cells <- rq1_cells(rows)
  per_llm <- cells[cells$level == "llm" & cells$llm == "llm-01" & cells$nationality == "USA", ]
  expected <- rows$cosine[rows$llm == "llm-01" & rows$nationality == "USA"]
  expect_equal(per_llm$mean, mean(expected))
  expect_equal(per_llm$n, length(expected))
  expect_equal(per_llm$conf_high - per_llm$mean,
               stats::qt(0.975, length(expected) - 1) * stats::sd(expected) /
                 sqrt(length(expected)))
  origin <- cells[cells$level == "origin" & cells$llm_origin == "China" &
                    cells$nationality == "USA", ]
  expect_equal(origin$mean, mean(rows$cosine[rows$llm_origin == "China" &
                                               rows$nationality == "USA"]))
  expect_equal(origin$n_llms, 2)
  expect_equal(sum(cells$level == "llm"), 8)
})

test_that("RQ1 follow-up fits one model per LLM against the Chinese human mean", {
  rows <- simulate_rq1(20, 20, 3, seed = 9)
  human <- rows[rows$llm == "llm-01", ]
  human$llm <- "Human mean, China"
  human$llm_origin <- "China"
  human$is_human_mean <- TRUE
  human$cosine <- human$cosine + ifelse(human$nationality == "China", 0.3, 0)
  table <- rq1_followup_ols(validate_derived(dplyr::bind_rows(rows, human)))
  expect_equal(sort(unique(table$llm)), c("llm-01", "llm-02", "llm-03"))
  expect_equal(unique(table$term), c("(Intercept)", "chinese_participant", "is_human_mean",
                                     "chinese_participant:is_human_mean"))
  # For llm-01 the human mean is the same cosines plus 0.3 for Chinese respondents only.
  expect_equal(coefficient(table[table$llm == "llm-01", ],
                           "chinese_participant:is_human_mean"), 0.3)
})

test_that("RQ1 follow-up needs the Chinese human mean", {
  expect_error(rq1_followup_data(validate_derived(simulate_rq1(5, 5, 2)), "llm-01"),
               "Human mean, China")
})

test_that("Welch tests refuse an LLM whose cosines are constant", {
  rows <- validate_derived(simulate_rq1(10, 10, 2, seed = 6))
  rows$cosine[rows$llm == "llm-01"] <- 0.2
  expect_error(welch_per_llm(rows), "LLM `llm-01`: its cosines are constant")
})

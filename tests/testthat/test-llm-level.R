# LLM-level tests of the origin terms (llm_level.R).

llm_rows <- simulated_rq1(30, 30, 8, seed = 12)
llm_input <- llm_level_inputs(llm_rows)$rq1
# LLMs alternate between the origins: Chinese 01, 03, 05, 07; American 02, 04, 06, 08.
makers <- stats::setNames(c("a", "d", "a", "e", "b", "e", "c", "f"), sprintf("llm-%02d", 1:8))

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
  expect_true(all(c("maker_model_std_error", "maker_model_df", "p_maker_model") %in%
                    names(table)))
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

test_that("the primary test permutes origin over the makers' means, every split", {
  table <- llm_level_tests(llm_input$crossed, rq1_llm_terms, "rq1", makers, reps = 19)
  values <- per_llm_values(llm_input$crossed, rq1_llm_terms)[, "chinese_origin"]
  by_maker <- tapply(values, makers[names(values)], mean)
  china <- c(a = TRUE, b = TRUE, c = TRUE, d = FALSE, e = FALSE, f = FALSE)[names(by_maker)]
  welch <- function(first) {
    test <- stats::t.test(by_maker[first], by_maker[!first])
    abs(test$statistic)
  }
  splits <- utils::combn(6, 3)
  brute <- mean(apply(splits, 2, function(s) welch(seq_len(6) %in% s) >= welch(china) - 1e-9))
  reference <- stats::t.test(by_maker[china], by_maker[!china])
  row <- table[table$term == "chinese_origin", ]
  expect_equal(row$primary_unit, "maker")
  expect_equal(row$primary_permutations, choose(6, 3))
  expect_equal(row$p_primary, brute)
  expect_equal(row$primary_estimate, unname(diff(rev(reference$estimate))))
  expect_equal(row$primary_std_error, reference$stderr)
  expect_equal(row$primary_df, unname(reference$parameter))
  expect_equal(c(row$primary_conf_low, row$primary_conf_high), as.numeric(reference$conf.int))
  expect_equal(row$p_primary_welch, reference$p.value)
  expect_false(is.na(row$p_maker_model))
})

test_that("unknown makers, one maker per LLM or too few makers fall back to the LLM", {
  test <- function(m) llm_level_tests(llm_input$crossed, rq1_llm_terms, "rq1", m, reps = 19)
  unknown <- test(NULL)
  expect_equal(unique(unknown$primary_unit), "llm")
  expect_match(unknown$primary_note[1], "makers unknown for 8 of 8 LLMs")
  expect_equal(unknown$primary_estimate, unknown$estimate)
  expect_equal(unique(unknown$maker_model_note), "makers unknown")
  partly <- makers
  partly[["llm-03"]] <- NA
  expect_match(test(partly)$primary_note[1], "makers unknown for 1 of 8")
  own <- test(stats::setNames(sprintf("m%d", 1:8), names(makers)))
  expect_equal(unique(own$primary_unit), "maker")
  expect_equal(own$primary_estimate, own$estimate)
  expect_match(own$primary_note[1], "each LLM its own maker")
  expect_match(own$maker_model_note[1], "no maker variance")
  one_side <- test(stats::setNames(c("a", "d", "a", "e", "a", "e", "a", "f"), names(makers)))
  expect_equal(unique(one_side$primary_unit), "llm")
  expect_match(one_side$primary_note[1], "fewer than two makers of China LLMs")
  spanning <- test(stats::setNames(c("a", "a", "b", "e", "b", "e", "c", "f"), names(makers)))
  expect_match(spanning$primary_note[1], "both origins split by origin: a")
  expect_equal(unique(spanning$n_units_first), 3)
})

test_that("fewer than two LLMs of one origin gives a row that says no test is possible", {
  rows <- dplyr::filter(llm_rows, .data$llm_origin == "USA" | .data$llm == "llm-01")
  input <- llm_level_inputs(rows)$rq1
  table <- llm_level_tests(input$crossed, rq1_llm_terms, "rq1", makers, reps = 19)
  expect_equal(nrow(table), 2)
  expect_match(table$primary_note, "not possible: 1 China LLM")
  expect_true(all(is.na(table$p_primary)))
})

test_that("origin within each nationality gets the maker-level test of that nationality's means", {
  table <- tibble::tibble(chinese_participant = c("China", "USA"), estimate = 0)
  out <- with_primary_origin_within_nationality(table, llm_rows, makers)
  means <- llm_rows |>
    dplyr::filter(.data$nationality == "USA") |>
    dplyr::group_by(.data$llm) |>
    dplyr::summarise(cosine = mean(.data$cosine))
  by_maker <- tapply(means$cosine, makers[means$llm], mean)
  reference <- stats::t.test(by_maker[c("a", "b", "c")], by_maker[c("d", "e", "f")])
  row <- out[out$chinese_participant == "USA", ]
  expect_equal(row$primary_estimate, unname(diff(rev(reference$estimate))))
  expect_equal(row$primary_std_error, reference$stderr)
  expect_equal(row$p_primary_welch, reference$p.value)
  expect_equal(out$p_primary_adjusted, stats::p.adjust(out$p_primary, "holm"))
})

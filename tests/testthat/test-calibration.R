# Type-I error of the origin terms on simulated data with no origin effect at all but with the
# nationality, language and persona effects (and their by-LLM variation) of the MFQ-2 release.
# A handful of data sets: rates far above .05 mean a model mistakes between-LLM variation for
# an origin effect (benchmarks/calibration.R runs 1,000 and checks the .03-.07 band).

test_that("the project's models keep the origin terms near their nominal level", {
  rates <- dplyr::bind_rows(
    null_rejection_rates("rq2_lmm", 100, n_per_nationality = 30),
    null_rejection_rates("rq1_llm_level", 100, n_per_nationality = 30)
  )
  expect_equal(nrow(rates), 4 + 2)
  expect_true(all(rates$rejection_rate < 0.15), info = paste(format(rates), collapse = "\n"))
})

test_that("the previous RQ2 model fails the same check", {
  rates <- null_rejection_rates("previous_rq2_lmm", 20, n_per_nationality = 20)
  expect_true(any(rates$rejection_rate >= 0.15))
  # the interactions tested against row-level error are the ones far off
  expect_gt(max(rates$rejection_rate[rates$term == "congruent_language:congruent_origin"]), 0.3)
})

# Per-LLM values of one origin term under a true null: by-LLM effects of which makers share
# `maker_share` of the variance (the release's 7 + 4 makers), one column per simulated set.
null_per_llm_values <- function(n_sets, maker_share, ratio = 1, seed = 7) {
  structure <- calibration_structure(maker_share = maker_share)
  llms <- simulate_llms(20, structure$maker_sizes)
  withr::with_seed(seed, {
    values <- simulate_llm_effects(llms[rep(seq_len(20), n_sets), ] |>
                                     dplyr::mutate(maker = paste(.data$maker,
                                                                 rep(seq_len(n_sets), each = 20))),
                                   c(term = 1), ratio = ratio, maker_share = maker_share)
  })
  list(values = matrix(values, 20, dimnames = list(llms$llm, NULL)),
       origin_first = llms$llm_origin == first_nation(), makers = stats::setNames(llms$maker,
                                                                                  llms$llm))
}

t_rejection_rate <- function(values, origin_first) {
  n1 <- sum(origin_first)
  n2 <- sum(!origin_first)
  difference <- colMeans(values[origin_first, , drop = FALSE]) -
    colMeans(values[!origin_first, , drop = FALSE])
  se <- sqrt(pooled_within_variance(values, origin_first) * (1 / n1 + 1 / n2))
  mean(2 * stats::pt(abs(difference / se), n1 + n2 - 2, lower.tail = FALSE) < 0.05)
}

test_that("the calibration can fail: the LLM-level t ignoring makers rejects too often", {
  for (ratio in c(1, 3.8, 0.4)) {
    sets <- null_per_llm_values(3000, maker_share = 0.4, ratio = ratio)
    wrong <- t_rejection_rate(sets$values, sets$origin_first)
    units <- inference_units(rownames(sets$values), sets$origin_first, sets$makers)
    by_maker <- unit_means(sets$values, sets$origin_first, units$unit)
    primary <- unit_origin_tests(by_maker$values, by_maker$origin_first)
    rates <- c(wrong = wrong, welch = mean(primary$p_welch < 0.05),
               permutation = mean(primary$p_permutation < 0.05))
    info <- paste(names(rates), round(rates, 3), collapse = ", ")
    expect_gt(rates[["wrong"]], 0.07)
    expect_true(all(rates[-1] >= 0.03 & rates[-1] <= 0.07), info = info)
  }
  # without a maker share the LLM-level t is right again
  independent <- null_per_llm_values(4000, maker_share = 0)
  plain <- t_rejection_rate(independent$values, independent$origin_first)
  expect_true(plain >= 0.03 && plain <= 0.07, info = sprintf("LLM t %.3f", plain))
})

test_that("the pipeline's calibration table has every test, its run size and MC interval", {
  table <- calibration_table(2, n_per_nationality = 10)
  expect_setequal(unique(table$analysis), c("rq1", "rq2", "rq2 simple effects"))
  expect_equal(unique(table$n_sets), 2)
  expect_true(all(table$mc_conf_low <= table$rejection_rate &
                    table$rejection_rate <= table$mc_conf_high))
  expect_equal(sort(unique(table$test[table$book_uses])),
               c("maker permutation (primary)", "maker Welch t", "maker Welch t (primary)"))
  expect_equal(unique(table$n_makers), 11)
})

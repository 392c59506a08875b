# Power by simulation (power.R) against closed-form power, and its table's bookkeeping.

# A truth under which the LLM-level t is exactly a two-sample t on independent, equal-variance
# per-LLM values: no maker share, equal variances between the origins, no respondent origin
# slope (whose respondent mean would shift one origin's LLMs together).
closed_form_truth <- function() {
  truth <- calibration_truth
  truth$rq1_sd[["respondent_origin"]] <- 0
  truth$rq1_variance_ratio <- c(llm = 1, llm_nationality = 1)
  truth
}

test_that("simulated power of the LLM-level t matches power.t.test within Monte-Carlo error", {
  truth <- closed_form_truth()
  design <- data.frame(llms_per_origin = 5, makers_per_origin = 5, respondents = 10)
  effects <- c(0, 0.3, 0.6)
  table <- power_grid(design, effects, n_sets = 300, seed = 3, truth = truth, maker_share = 0,
                      analyses = "rq1")
  sd <- truth$rq1_sd
  n <- design$respondents
  # SD of one LLM's contrast: its by-LLM effect plus the mean of its respondent x LLM residuals
  # (over 2n respondents for the origin term; first minus second nation's n for the interaction)
  term_sd <- c(chinese_origin = sqrt(sd[["llm"]]^2 + sd[["residual"]]^2 / (2 * n)),
               "chinese_participant:chinese_origin" =
                 sqrt(sd[["llm_nationality"]]^2 + 2 * sd[["residual"]]^2 / n))
  rows <- dplyr::filter(table, .data$test == "LLM t, ignoring makers")
  expect_equal(nrow(rows), 2 * length(effects))
  closed <- mapply(function(effect, term) {
    if (effect == 0) return(0.05)
    stats::power.t.test(n = 5, delta = effect * abs(truth$rq1[["chinese_participant"]]),
                        sd = term_sd[[term]])$power
  }, rows$effect, rows$term)
  # within the 99.9% binomial interval of the simulated rate (six comparisons)
  low <- stats::qbinom(0.0005, rows$n_sets, closed) / rows$n_sets
  high <- stats::qbinom(0.9995, rows$n_sets, closed) / rows$n_sets
  info <- paste(rows$term, rows$effect, round(rows$power, 3), round(closed, 3), collapse = "\n")
  expect_true(all(rows$power >= low & rows$power <= high), info = info)
  # the grid spans power well below and above the closed form's .8 for the origin term
  expect_true(any(closed < 0.5) && any(closed > 0.8), info = info)
  # each LLM its own maker: the primary test is the exact permutation over LLMs, level kept
  primary <- dplyr::filter(table, .data$test == "maker permutation (primary)", .data$effect == 0)
  expect_true(all(primary$power <= 0.1), info = paste(primary$power, collapse = " "))
})

test_that("an impossible design or effect grid is refused with what was expected", {
  expect_error(power_grid(data.frame(llms_per_origin = 4, makers_per_origin = 5,
                                     respondents = 10), 0, 1, 1),
               "between 1 and the LLMs per origin \\(4\\), not 5")
  expect_error(power_grid(data.frame(llms_per_origin = 4, respondents = 10), 0, 1, 1),
               "missing column\\(s\\) makers_per_origin")
  expect_error(power_grid(data.frame(llms_per_origin = 4, makers_per_origin = 2,
                                     respondents = 1), 0, 1, 1),
               "row 1: respondents must be a whole number >= 2, not 1")
  expect_error(power_grid(data.frame(llms_per_origin = 4, makers_per_origin = 2,
                                     respondents = 5), -1, 1, 1), "effects must be numbers >= 0")
})

test_that("the minimum detectable effect is interpolated between grid points", {
  expect_equal(interpolated_mde(c(0, 0.5, 1), c(0.05, 0.6, 0.9), 0.8), 0.5 + 0.2 / 0.3 * 0.5)
  expect_true(is.na(interpolated_mde(c(0, 1), c(0.05, 0.7), 0.8)))
  expect_equal(even_maker_sizes(5, 2), list(first = c(3, 2), second = c(3, 2)))
})

test_that("makers cost power: with two makers per origin the exact test cannot reach .05", {
  design <- data.frame(llms_per_origin = 4, makers_per_origin = c(4, 2), respondents = 10)
  table <- power_grid(design, c(0, 1), n_sets = 20, seed = 9, analyses = "rq1")
  few <- dplyr::filter(table, .data$makers_per_origin == 2,
                       .data$test == "maker permutation (primary)")
  # 2 + 2 makers: 6 splits, the smallest two-sided p value is 1/3
  expect_true(all(few$power == 0))
  expect_true(all(is.na(few$mde)))
  many <- dplyr::filter(table, .data$makers_per_origin == 4,
                        .data$test == "maker permutation (primary)",
                        .data$term == "chinese_origin", .data$effect == 1)
  expect_gt(many$power, 0.3)
  expect_match(unique(table$effect_scale), "units of the human nationality gap \\(0.195")
})

test_that("the power table is identical sequentially and on two multisession workers", {
  design <- data.frame(llms_per_origin = 3, makers_per_origin = 3, respondents = 5)
  run <- function(plan) {
    withr::with_options(list(moralign.future_plan = plan),
                        power_grid(design, c(0, 0.5), n_sets = 6, seed = 21))
  }
  sequential <- run("sequential")
  expect_identical(run("multisession:2"), sequential)
  # RQ1 and the four RQ2 congruence terms that involve origin, every calibration test
  expect_equal(nrow(sequential), 2 * (2 + 4) * nrow(calibration_tests))
})

test_that("the power curves plot the primary and the LLM-level t with Monte-Carlo intervals", {
  table <- power_grid(data.frame(llms_per_origin = 3, makers_per_origin = 3, respondents = 4),
                      c(0, 1), n_sets = 3, seed = 2, analyses = "rq1")
  plot <- plot_power_curves(table)
  expect_setequal(unique(plot$data$test), c("maker permutation (primary)",
                                            "LLM t, ignoring makers"))
  expect_match(plot$labels$caption, "over 3 simulated data sets")
  folder <- withr::local_tempdir()
  save_figure(plot, folder, "power_curves")
  expect_true(file.exists(file.path(folder, "figures", "power_curves.png")))
  written <- readr::read_csv(file.path(folder, "figures", "power_curves.csv"),
                             show_col_types = FALSE)
  expect_equal(unique(written$interval_note), plot$labels$caption)
})

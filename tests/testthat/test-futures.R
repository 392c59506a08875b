# Simulations on the future framework: the same seed gives the same numbers on any plan.

test_that("calibration gives identical numbers sequentially and on two multisession workers", {
  sequential <- withr::with_options(list(moralign.future_plan = "sequential"),
                                    calibration_table(4, n_per_nationality = 10))
  parallel <- withr::with_options(list(moralign.future_plan = "multisession:2"),
                                  calibration_table(4, n_per_nationality = 10))
  expect_identical(parallel, sequential)
  # the plan was restored afterwards
  expect_true(inherits(future::plan(), "sequential"))
})

test_that("streams drawn from a seed do not depend on the plan or on the number of workers", {
  draw <- function() unlist(simulation_lapply(1:5, function(i) stats::runif(2), seed = 11))
  sequential <- withr::with_options(list(moralign.future_plan = "sequential"), draw())
  two <- withr::with_options(list(moralign.future_plan = "multisession:2"), draw())
  expect_identical(two, sequential)
  expect_false(identical(
    withr::with_options(list(moralign.future_plan = "sequential"),
                        unlist(simulation_lapply(1:5, function(i) stats::runif(2), seed = 12))),
    sequential
  ))
  # a plan the caller set is used when no setting names one
  withr::local_options(moralign.future_plan = NULL)
  withr::local_envvar(MORALIGN_FUTURE_PLAN = "")
  old <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old), add = TRUE)
  pids <- unlist(simulation_lapply(1:4, function(i) Sys.getpid(), seed = 1))
  expect_false(any(pids == Sys.getpid()))
})

test_that("a plan setting that is not understood is refused, naming what is allowed", {
  expect_null(parse_future_plan(""))
  expect_equal(parse_future_plan("multisession:3"), list(strategy = "multisession", workers = 3L))
  expect_error(parse_future_plan("multisession:0"), "multisession:N \\(N >= 1\\), not `multisession:0`")
  expect_error(parse_future_plan("cluster"), "not `cluster`")
  expect_error(parse_future_plan("sequential:2"), "not `sequential:2`")
})

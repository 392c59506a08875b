test_that("background jobs are all finished when the function that started them returns", {
  withr::local_options(moralign.cores = 2)
  folder <- withr::local_tempdir()
  write_three <- function() {
    use_background_jobs()
    for (i in 1:3) {
      path <- file.path(folder, paste0(i, ".txt"))
      run_in_background(function() {
        Sys.sleep(0.2)
        writeLines(as.character(Sys.getpid()), path)
      }, path)
    }
    expect_true(isTRUE(getOption("moralign.background_jobs")))
    Sys.getpid()
  }
  parent <- write_three()
  pids <- vapply(file.path(folder, paste0(1:3, ".txt")), readLines, "")
  if (.Platform$OS.type == "unix") expect_false(any(pids == parent))
  expect_null(getOption("moralign.background_jobs"))
  expect_equal(length(background_jobs), 0)
})

test_that("a failing background job stops the analysis, naming the job", {
  withr::local_options(moralign.cores = 2)
  fails <- function() {
    use_background_jobs()
    run_in_background(function() stop("no space left"), "figures/fig9.png")
    wait_for_background()
  }
  expect_error(fails(), "figures/fig9.png failed: no space left")
  expect_equal(length(background_jobs), 0)
})

test_that("the caller's own error wins over a failing job, which becomes a warning", {
  withr::local_options(moralign.cores = 2)
  both_fail <- function() {
    use_background_jobs()
    run_in_background(function() stop("figure broke"), "fig")
    stop("analysis broke")
  }
  expect_warning(expect_error(both_fail(), "analysis broke"), "fig failed: figure broke")
  expect_equal(length(background_jobs), 0)
})

test_that("a label already running is refused, and the cores setting is checked", {
  withr::local_options(moralign.cores = 2)
  twice <- function() {
    use_background_jobs()
    run_in_background(function() Sys.sleep(0.2), "same.png")
    run_in_background(function() NULL, "same.png")
  }
  expect_error(twice(), "a background job `same.png` is already running")
  expect_equal(length(background_jobs), 0)
  withr::local_options(moralign.cores = NULL)
  withr::local_envvar(MORALIGN_CORES = "two")
  expect_error(analysis_cores(), "must be a whole number >= 1, not `two`")
  withr::local_envvar(MORALIGN_CORES = "3")
  expect_equal(analysis_cores(), 3L)
})

test_that("with one core, or outside use_background_jobs(), work runs at once", {
  value <- NULL
  run_in_background(function() value <<- "done", "inline")
  expect_equal(value, "done")
  withr::local_options(moralign.cores = 1)
  one_core <- function() {
    use_background_jobs()
    run_in_background(function() value <<- "one core", "inline")
    value
  }
  expect_equal(one_core(), "one core")
})

test_that("after a failure the other jobs still finish before the error is raised", {
  withr::local_options(moralign.cores = 2)
  folder <- withr::local_tempdir()
  fails_first <- function() {
    use_background_jobs()
    run_in_background(function() stop("broken"), "first")
    run_in_background(function() {
      Sys.sleep(0.5)
      writeLines("late", file.path(folder, "late.txt"))
    }, "second")
    wait_for_background()
  }
  expect_error(fails_first(), "first failed: broken")
  expect_true(file.exists(file.path(folder, "late.txt")))
  expect_equal(length(background_jobs), 0)
})

# Work that writes files and returns nothing the analysis needs (a figure's PNG, the tables of
# an independent block) can run in a forked R process while the analysis goes on. After
# use_background_jobs(), run_in_background() does so, at most analysis_cores() jobs at a time,
# and every job is finished (or its error raised) before the calling function returns.
# Elsewhere, and where R cannot fork (Windows) or has one core, the work runs at once.

background_jobs <- new.env(parent = emptyenv())

use_background_jobs <- function(caller = parent.frame()) {
  outermost <- !isTRUE(getOption("moralign.background_jobs"))
  if (outermost && .Platform$OS.type == "unix" && analysis_cores() > 1) {
    previous <- options(moralign.background_jobs = TRUE)
    withr::defer({
      options(previous)
      wait_for_background()
    }, envir = caller)
  }
  invisible()
}

# `work`: a function of no arguments; `label` names it in errors (a file or table name).
run_in_background <- function(work, label) {
  if (!isTRUE(getOption("moralign.background_jobs"))) {
    work()
    return(invisible())
  }
  while (length(background_jobs) >= analysis_cores()) wait_for_background(first_only = TRUE)
  # TRUE marks success: a job whose process dies returns NULL
  assign(label, parallel::mcparallel({
    work()
    TRUE
  }), envir = background_jobs)
  invisible()
}

# Collects finished jobs until none is running (or, with `first_only`, at least one). After a
# failure it still waits for the others, then raises the first failure.
wait_for_background <- function(first_only = FALSE) {
  failures <- character()
  while (length(background_jobs) > 0) {
    jobs <- mget(ls(background_jobs), envir = background_jobs)
    done <- parallel::mccollect(jobs, wait = FALSE, timeout = 1)
    pids <- vapply(jobs, function(job) as.character(job$pid), "")
    for (pid in names(done)) {
      label <- names(pids)[pids == pid]
      rm(list = label, envir = background_jobs)
      result <- done[[pid]]
      if (!isTRUE(result)) {
        failures <- c(failures, sprintf("%s failed: %s", label,
                                        if (is.null(result)) "its process ended without a result"
                                        else conditionMessage(attr(result, "condition"))))
      }
    }
    if (first_only && length(done) > 0 && length(failures) == 0) break
  }
  if (length(failures) > 0) stop(failures[1], call. = FALSE)
  invisible()
}

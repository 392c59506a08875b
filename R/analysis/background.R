# Work that writes files and returns nothing the analysis needs (a figure's PNG) can run in a
# forked R process while the analysis goes on. After use_background_jobs(), run_in_background()
# does so, at most analysis_cores() jobs at a time; the caller ends with wait_for_background(),
# which raises the first failure. Should the caller stop with an error first, its jobs are still
# collected on the way out, their failures turned into warnings so that the caller's error is
# the one reported. Nested callers share the outermost one's jobs. Where R cannot fork
# (Windows), with one core, and outside use_background_jobs(), the work runs at once.

# Cores for parallel work: option moralign.cores, else MORALIGN_CORES, else 2.
analysis_cores <- function() {
  cores <- getOption("moralign.cores", Sys.getenv("MORALIGN_CORES", "2"))
  whole <- suppressWarnings(as.integer(cores))
  if (length(whole) != 1 || is.na(whole) || whole < 1 || whole != as.numeric(cores)) {
    stop(sprintf("MORALIGN_CORES (or option moralign.cores) must be a whole number >= 1, not `%s`",
                 paste(cores, collapse = " ")), call. = FALSE)
  }
  whole
}

background_jobs <- new.env(parent = emptyenv())

use_background_jobs <- function(caller = parent.frame()) {
  outermost <- !isTRUE(getOption("moralign.background_jobs"))
  if (outermost && .Platform$OS.type == "unix" && analysis_cores() > 1) {
    previous <- options(moralign.background_jobs = TRUE)
    withr::defer({
      options(previous)
      wait_for_background(report = warning)
    }, envir = caller)
  }
  invisible()
}

# `work`: a function of no arguments; `label` names the job in errors (a unique file name).
run_in_background <- function(work, label) {
  if (!isTRUE(getOption("moralign.background_jobs"))) {
    work()
    return(invisible())
  }
  if (exists(label, envir = background_jobs, inherits = FALSE)) {
    stop(sprintf("a background job `%s` is already running", label), call. = FALSE)
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
# failure it still waits for the others, then passes the first failure to `report`.
wait_for_background <- function(first_only = FALSE, report = stop) {
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
  if (length(failures) > 0) report(failures[1], call. = FALSE)
  invisible()
}

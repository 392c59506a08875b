# Simulations (calibration, power) run through R's `future` framework (future.apply), so that
# whoever runs them chooses where: the plan named by option moralign.future_plan, else by the
# environment variable MORALIGN_FUTURE_PLAN ("sequential", "multisession" or "multisession:N"
# for N workers), else whatever plan the caller set with future::plan() (sequential unless set:
# a cluster plan such as batchtools_slurm of the package future.batchtools works the same way).
# Every element gets its own parallel-safe random-number stream (L'Ecuyer-CMRG, future.seed),
# so the same seed gives the same numbers whatever the plan and the number of workers.

# The folder of the analysis files, for workers that start without them (multisession, cluster).
analysis_dir <- normalizePath(".")

future_plan_setting <- function() {
  getOption("moralign.future_plan", Sys.getenv("MORALIGN_FUTURE_PLAN", ""))
}

# The future strategy a setting names, with its arguments; NULL for "" (keep the current plan).
parse_future_plan <- function(setting) {
  if (identical(setting, "")) return(NULL)
  parts <- strsplit(setting, ":", fixed = TRUE)[[1]]
  workers <- if (length(parts) == 2) suppressWarnings(as.integer(parts[2])) else NA_integer_
  known <- c("sequential", "multisession")
  if (!parts[1] %in% known || length(parts) > 2 ||
      (length(parts) == 2 && (parts[1] != "multisession" || is.na(workers) || workers < 1))) {
    stop(sprintf(paste("MORALIGN_FUTURE_PLAN (or option moralign.future_plan) must be",
                       "sequential, multisession or multisession:N (N >= 1), not `%s`"), setting),
         call. = FALSE)
  }
  list(strategy = parts[1], workers = if (is.na(workers)) NULL else workers)
}

# lapply(x, f) under the chosen plan, each element with its own random-number stream drawn from
# `seed`. Each element runs with moralign.cores = 1 (no parallel work nested in a worker).
simulation_lapply <- function(x, f, seed) {
  plan <- parse_future_plan(future_plan_setting())
  if (!is.null(plan)) {
    previous <- if (is.null(plan$workers)) {
      future::plan(plan$strategy)
    } else {
      future::plan(plan$strategy, workers = plan$workers)
    }
    on.exit(future::plan(previous), add = TRUE)
  }
  dir <- analysis_dir
  worker <- function(element) {
    if (!exists("simulation_lapply", envir = globalenv(), inherits = FALSE)) {
      source(file.path(dir, "load.R"), chdir = TRUE)
    }
    saved <- options(moralign.cores = 1)
    on.exit(options(saved))
    f(element)
  }
  future.apply::future_lapply(x, worker, future.seed = as.integer(seed),
                              future.packages = character())
}

# A seed for functions that set their own (simulate_rq1() ...), drawn from the element's stream.
stream_seed <- function() sample.int(.Machine$integer.max, 1)

# Entry point: Rscript R/analysis/run.R --derived data/derived/paper --results results
#   [--instruments mfq2,wvs7] [--no-mixed] [--no-measures] [--sesoi-fraction 0.1 | --sesoi X]
#   [--calibration-sets N]
# --sesoi-fraction / --sesoi: the smallest effect of interest of the equivalence table, as a
# fraction of the nationality gap or on the cosine scale (equivalence.R). --calibration-sets N:
# calibration.csv from N simulated null data sets per test (0: none; simulate.R).
# --no-mixed --no-measures runs what the study's own scripts compute: the OLS models, the per-LLM
# Welch tests and figures 1-5.

usage <- paste(
  "usage: Rscript R/analysis/run.R --derived DIR --results DIR",
  "[--instruments mfq2,wvs7] [--no-mixed] [--no-measures] [--sesoi-fraction F | --sesoi X]",
  "[--calibration-sets N]"
)
numeric_options <- c("sesoi-fraction", "sesoi", "calibration-sets")

parse_arguments <- function(args) {
  options <- list(derived = "data/derived/paper", results = "results",
                  instruments = "mfq2,wvs7", mixed = TRUE, measures = TRUE, settings = list())
  i <- 1
  while (i <= length(args)) {
    name <- sub("^--", "", args[i])
    if (name %in% c("no-mixed", "no-measures")) {
      options[[sub("^no-", "", name)]] <- FALSE
    } else if (name %in% c("derived", "results", "instruments") && i < length(args)) {
      options[[name]] <- args[i + 1]
      i <- i + 1
    } else if (name %in% numeric_options && i < length(args)) {
      value <- suppressWarnings(as.numeric(args[i + 1]))
      if (is.na(value) || value < 0) {
        stop(sprintf("option `%s`: expected a number >= 0, found `%s`", args[i], args[i + 1]),
             call. = FALSE)
      }
      options$settings[[gsub("-", "_", name)]] <- value
      i <- i + 1
    } else {
      stop(sprintf("unknown or incomplete option `%s`\n%s", args[i], usage), call. = FALSE)
    }
    i <- i + 1
  }
  options$instruments <- strsplit(options$instruments, ",", fixed = TRUE)[[1]]
  options
}

script_dir <- function() {
  file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(file_arg) == 0) "R/analysis" else dirname(sub("^--file=", "", file_arg[1]))
}

main <- function() {
  # The analysis is vectorised and its heavy parts are compiled package code; R's default JIT
  # compiles each of its functions on first call, which costs more than it saves (0.8 of 6 s
  # for the OLS set of MFQ-2).
  compiler::enableJIT(0)
  options <- parse_arguments(commandArgs(trailingOnly = TRUE))
  source(file.path(script_dir(), "load.R"), chdir = TRUE)
  settings <- utils::modifyList(default_settings(), options$settings)
  done <- analyse_all(options$derived, options$results, options$instruments,
                      mixed = options$mixed, measures = options$measures, settings = settings)
  message(sprintf("results for %s written under %s", paste(done, collapse = ", "),
                  options$results))
}

main()

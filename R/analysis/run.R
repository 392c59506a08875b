# Entry point: Rscript R/analysis/run.R --derived data/derived/paper --results results
#   [--instruments mfq2,wvs7] [--no-mixed]

usage <- paste(
  "usage: Rscript R/analysis/run.R --derived DIR --results DIR",
  "[--instruments mfq2,wvs7] [--no-mixed]"
)

parse_arguments <- function(args) {
  options <- list(derived = "data/derived/paper", results = "results",
                  instruments = "mfq2,wvs7", mixed = TRUE)
  i <- 1
  while (i <= length(args)) {
    name <- sub("^--", "", args[i])
    if (name == "no-mixed") {
      options$mixed <- FALSE
    } else if (name %in% c("derived", "results", "instruments") && i < length(args)) {
      options[[name]] <- args[i + 1]
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
  options <- parse_arguments(commandArgs(trailingOnly = TRUE))
  source(file.path(script_dir(), "load.R"), chdir = TRUE)
  done <- analyse_all(options$derived, options$results, options$instruments, options$mixed)
  message(sprintf("results for %s written under %s", paste(done, collapse = ", "),
                  options$results))
}

main()

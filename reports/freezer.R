#!/usr/bin/env Rscript
# Keeps Quarto's freezer (_freeze/) true to what the chapters read; _quarto.yml runs it before
# (`thaw`) and after (`record`) every `quarto render`, by hand or through reports/render.R.
#
#   Rscript reports/freezer.R thaw     empty _freeze/ if the shared inputs changed since `record`
#   Rscript reports/freezer.R record   note the shared inputs (only after rendering every chapter)
#
# Quarto's `freeze: auto` knits a chapter again only when the chapter's own text changed. Every
# chapter also reads the results folder (MORALIGN_RESULTS_DIR, else results/), the helpers
# reports/_* and the R packages of renv.lock: when any of them changed, every chapter must be
# knitted again, so `thaw` empties the freezer. A render of some chapters only records nothing,
# so that the next full render checks again.

root <- normalizePath(".")  # Quarto runs the script in the project root
freezer <- file.path(root, "_freeze")
record_file <- file.path(freezer, "shared-inputs.txt")

shared_inputs <- function() {
  results <- normalizePath(Sys.getenv("MORALIGN_RESULTS_DIR", file.path(root, "results")),
                           mustWork = FALSE)
  files <- c(
    list.files(results, recursive = TRUE, full.names = TRUE, all.files = TRUE),
    list.files(file.path(root, "reports"), pattern = "^_", full.names = TRUE),
    file.path(root, c("renv.lock", "_quarto.yml"))
  )
  files <- sort(files[file.exists(files) & !dir.exists(files)])
  sums <- tools::md5sum(files)
  c(paste("results:", results), paste(sums, sub(paste0(root, "/"), "", names(sums), fixed = TRUE)))
}

command <- commandArgs(TRUE)[1]
if (identical(command, "thaw")) {
  recorded <- if (file.exists(record_file)) readLines(record_file) else NULL
  if (!identical(recorded, shared_inputs()) && dir.exists(freezer)) {
    cat("freezer: the results or the chapters' helpers changed, every chapter is knitted again\n")
    unlink(freezer, recursive = TRUE)
  }
} else if (identical(command, "record")) {
  if (nzchar(Sys.getenv("QUARTO_PROJECT_RENDER_ALL"))) {
    dir.create(freezer, showWarnings = FALSE)
    writeLines(shared_inputs(), record_file)
  }
} else {
  stop("usage: Rscript reports/freezer.R thaw|record", call. = FALSE)
}

# Loads the analysis functions for every test file.
local({
  dir <- normalizePath(".")
  while (!file.exists(file.path(dir, "R", "analysis", "load.R")) && dirname(dir) != dir) {
    dir <- dirname(dir)
  }
  source(file.path(dir, "R", "analysis", "load.R"), chdir = TRUE)
  assign("project_root", dir, envir = globalenv())
})
options(moralign.cores = 1)

simulated_rq1 <- function(...) rq1_data(validate_derived(simulate_rq1(...)))

coefficient <- function(table, term, column = "estimate") {
  table[[column]][table$term == term]
}

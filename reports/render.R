#!/usr/bin/env Rscript
# Render the book of results with Quarto.
#
#   Rscript reports/render.R [--results DIR] [--output-dir DIR]
#   Rscript reports/render.R --list-chapters
#
# Runs `quarto render` in the project root, which knits every chapter listed in _quarto.yml in an
# R session of its own, with the project root as its working directory. The book reads the
# pipeline's results from results/ (or --results DIR, exported to the chapters as
# MORALIGN_RESULTS_DIR) and fits no model; its title is the study's (`title` of
# <results>/study.json) when that file exists, else _quarto.yml's. It goes to _book/ (or
# --output-dir DIR): Quarto writes index.html, reports/<chapter>.html, site_libs/ and search.json.
#
# Quarto is the one the project installed (.venv/bin/quarto, tools/install_quarto.sh), else the
# QUARTO_PATH or `quarto` on the PATH. Chapters are frozen (_quarto.yml, `freeze: auto`): a
# chapter is knitted again only when its text changed, or when anything every chapter reads
# changed (the results, reports/_* helpers, renv.lock; see reports/freezer.R).

usage <- paste(
  "usage: Rscript reports/render.R [--results DIR] [--output-dir DIR]",
  "       Rscript reports/render.R --list-chapters   (print the chapter files, in order)",
  sep = "\n"
)

parse_args <- function(args) {
  options <- list(output_dir = NULL, results = NULL, list_chapters = FALSE)
  flags <- c("--output-dir" = "output_dir", "--results" = "results")
  i <- 1
  while (i <= length(args)) {
    arg <- args[[i]]
    if (arg %in% c("-h", "--help")) {
      cat(usage, "\n")
      quit(status = 0)
    }
    if (arg == "--list-chapters") {
      options$list_chapters <- TRUE
      i <- i + 1
      next
    }
    if (!arg %in% names(flags) || i == length(args)) {
      stop("unexpected argument '", arg, "'\n", usage, call. = FALSE)
    }
    options[[flags[[arg]]]] <- args[[i + 1]]
    i <- i + 2
  }
  options
}

# The project root: the folder above the one holding this script.
project_root <- function() {
  file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(file_arg) == 0) return(normalizePath("."))
  dirname(dirname(normalizePath(sub("^--file=", "", file_arg[[1]]))))
}

book_files <- function(config) c(unlist(config$book$chapters), unlist(config$book$appendices))

read_book_config <- function(root) {
  path <- file.path(root, "_quarto.yml")
  if (!file.exists(path)) stop(path, " does not exist: the book's configuration", call. = FALSE)
  config <- yaml::read_yaml(path)
  chapters <- unlist(config$book$chapters)
  if (length(chapters) == 0 || chapters[[1]] != "index.qmd") {
    stop(path, ": book.chapters must list the chapter files, index.qmd first", call. = FALSE)
  }
  files <- book_files(config)
  missing <- files[!file.exists(file.path(root, files))]
  if (length(missing) > 0) {
    stop(path, " lists chapters that do not exist under ", root, ": ",
         paste(missing, collapse = ", "), call. = FALSE)
  }
  config
}

# The quarto to run, with where it was found as its "why" attribute.
find_quarto <- function(root) {
  own <- file.path(root, ".venv", "bin", "quarto")
  if (file.exists(own)) return(structure(own, why = "installed by tools/install_quarto.sh"))
  given <- Sys.getenv("QUARTO_PATH")
  if (nzchar(given)) return(structure(given, why = "QUARTO_PATH"))
  on_path <- Sys.which("quarto")
  if (nzchar(on_path)) return(structure(unname(on_path), why = "on the PATH"))
  stop("Quarto is not installed: `tools/setup.sh --quarto` installs it (`make report` does)",
       call. = FALSE)
}

# Quarto's knitr engine knits the chapters with these packages: say so before Quarto starts.
check_knitr_engine <- function() {
  ready <- c(knitr = requireNamespace("knitr", quietly = TRUE),
             rmarkdown = requireNamespace("rmarkdown", quietly = TRUE))
  if (!all(ready)) {
    stop("Quarto knits the chapters with the R packages knitr and rmarkdown; missing: ",
         paste(names(ready)[!ready], collapse = ", "), " (tools/setup.sh installs them)",
         call. = FALSE)
  }
}

# The book's title and description are the study's (`title`, `description` of
# <results>/study.json): they go to _quarto-study.yml, the profile _quarto.yml turns on by
# default, so that `quarto render` by hand shows them too. Without that file, _quarto.yml's.
write_study_profile <- function(root, results) {
  profile <- file.path(root, "_quarto-study.yml")
  unlink(profile)
  path <- file.path(results, "study.json")
  if (!file.exists(path)) return(invisible())
  study <- jsonlite::read_json(path)
  fields <- Filter(function(x) is.character(x) && length(x) == 1 && nzchar(x),
                   list(title = study$title, description = study$description))
  if (length(fields) > 0) yaml::write_yaml(list(book = fields), profile)
}

render_book <- function(root, quarto, output_dir, results) {
  old <- setwd(root)
  on.exit(setwd(old), add = TRUE)
  write_study_profile(root, results)
  # Another study's book: the default study's title again for renders by hand.
  default_results <- normalizePath(file.path(root, "results"), mustWork = FALSE)
  if (results != default_results) on.exit(write_study_profile(root, default_results), add = TRUE)
  args <- c("render", "--to", "html", "--output-dir", shQuote(output_dir))
  status <- system2(quarto, args)
  if (status != 0) stop("quarto render failed with status ", status, call. = FALSE)
}

main <- function() {
  options <- parse_args(commandArgs(TRUE))
  root <- project_root()
  config <- read_book_config(root)
  if (options$list_chapters) {
    cat(book_files(config), sep = "\n")
    return(invisible())
  }
  results <- normalizePath(options$results %||% Sys.getenv("MORALIGN_RESULTS_DIR",
                                                           file.path(root, "results")),
                           mustWork = TRUE)
  Sys.setenv(MORALIGN_ROOT = root, MORALIGN_RESULTS_DIR = results)
  quarto <- find_quarto(root)
  check_knitr_engine()
  output_dir <- options$output_dir %||% file.path(root, config$project$`output-dir` %||% "_book")
  dir.create(output_dir, recursive = TRUE, showWarnings = FALSE)
  output_dir <- normalizePath(output_dir)

  cat(sprintf("Rendering the book with Quarto %s (%s: %s) into %s\n",
              quarto_version(quarto), attr(quarto, "why"), quarto, output_dir))
  started <- Sys.time()
  render_book(root, quarto, output_dir, results)
  seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))
  index <- file.path(output_dir, "index.html")
  if (!file.exists(index)) stop("rendering finished but ", index, " does not exist", call. = FALSE)
  cat(sprintf("Book rendered with Quarto in %.1f s: %s\n", seconds, index))
}

quarto_version <- function(quarto) {
  system2(quarto, "--version", stdout = TRUE)[[1]]
}

`%||%` <- function(x, y) if (is.null(x)) y else x

main()

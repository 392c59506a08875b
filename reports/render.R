#!/usr/bin/env Rscript
# Render the book of results.
#
#   Rscript reports/render.R [--engine auto|quarto|bookdown] [--output-dir DIR] [--results DIR]
#   Rscript reports/render.R --list-chapters
#
# The engine is `--engine`, else the environment variable MORALIGN_BOOK_ENGINE, else `auto`:
# `quarto render` in the project root when quarto is on the PATH, otherwise bookdown (gitbook,
# self-contained pages that open offline). The script says which engine it used and why. Both
# read the chapter list from the root's _quarto.yml, and under both every chapter's code runs with
# the project root as its working directory and in an R session of its own. Quarto writes
# index.html, reports/<chapter>.html, site_libs/ and search.json; bookdown writes every page at
# the top of the output folder. Rendering only reads what the pipeline wrote to results/ (or to
# --results DIR, exported to the chapters as MORALIGN_RESULTS_DIR); it fits no model.

usage <- paste(
  paste("usage: Rscript reports/render.R [--engine auto|quarto|bookdown] [--output-dir DIR]",
        "[--results DIR]"),
  "       Rscript reports/render.R --list-chapters   (print the chapter files, in order)",
  sep = "\n"
)

parse_args <- function(args) {
  engine <- Sys.getenv("MORALIGN_BOOK_ENGINE", unset = "")
  options <- list(engine = if (nzchar(engine)) engine else "auto", output_dir = NULL,
                  results = NULL, list_chapters = FALSE)
  flags <- c("--engine" = "engine", "--output-dir" = "output_dir", "--results" = "results")
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
  if (!options$engine %in% c("auto", "quarto", "bookdown")) {
    stop("--engine (or MORALIGN_BOOK_ENGINE) must be auto, quarto or bookdown, not '",
         options$engine, "'", call. = FALSE)
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
  clashes <- unique(basename(files)[duplicated(basename(files))])
  if (length(clashes) > 0) {
    stop(path, ": chapters in different folders share a file name (",
         paste(clashes, collapse = ", "), "); bookdown writes one page per file name",
         call. = FALSE)
  }
  config
}

render_with_quarto <- function(root, output_dir) {
  old <- setwd(root)
  on.exit(setwd(old), add = TRUE)
  status <- system2("quarto", c("render", "--to", "html", "--output-dir", shQuote(output_dir)))
  if (status != 0) stop("quarto render failed with status ", status, call. = FALSE)
}

# The index page gets the book's title as front matter (Quarto takes it from _quarto.yml).
front_matter <- function(book) {
  fields <- book[intersect(c("title", "subtitle", "author", "date"), names(book))]
  c("---", sub("\n$", "", yaml::as.yaml(fields)), "---", "")
}

# Copy the chapters into `stage_dir` as .Rmd files (which bookdown expects), named by their file
# names. Only the chapter text moves: the chunks run in the project root and source their helpers
# from there.
stage_chapters <- function(root, config, stage_dir) {
  chapters <- unlist(config$book$chapters)
  appendices <- unlist(config$book$appendices)
  staged <- character()
  for (chapter in c(chapters, appendices)) {
    text <- readLines(file.path(root, chapter), encoding = "UTF-8", warn = FALSE)
    if (chapter == chapters[[1]]) text <- c(front_matter(config$book), text)
    if (length(appendices) > 0 && chapter == appendices[[1]]) {
      text <- c("# (APPENDIX) Appendix {-}", "", text)
    }
    target <- sub("\\.qmd$", ".Rmd", basename(chapter))
    writeLines(text, file.path(stage_dir, target), useBytes = TRUE)
    staged <- c(staged, target)
  }
  staged
}

# The stylesheets _quarto.yml names (relative to the project root), as absolute paths.
book_css <- function(root, config) {
  css <- unlist(config$format$html$css)
  if (length(css) == 0) return(NULL)
  paths <- file.path(root, css)
  absent <- css[!file.exists(paths)]
  if (length(absent) > 0) {
    stop(file.path(root, "_quarto.yml"), " names a stylesheet that does not exist: ",
         paste(absent, collapse = ", "), call. = FALSE)
  }
  normalizePath(paths)
}

# Each chapter is knitted in a fresh R session (as Quarto does), with the project root as the
# working directory of its code (Quarto's `execute-dir: project`).
render_with_bookdown <- function(root, config, output_dir) {
  stage_dir <- tempfile("book-")
  dir.create(stage_dir)
  on.exit(unlink(stage_dir, recursive = TRUE), add = TRUE)
  staged <- stage_chapters(root, config, stage_dir)
  yaml::write_yaml(
    list(book_filename = "moralign-book", rmd_files = staged, output_dir = output_dir,
         delete_merged_file = TRUE, new_session = TRUE),
    file.path(stage_dir, "_bookdown.yml")
  )
  format <- bookdown::gitbook(
    self_contained = TRUE, split_by = "chapter", css = book_css(root, config),
    config = list(search = FALSE, sharing = NULL, download = NULL, info = FALSE,
                  toc = list(collapse = "section", before = NULL, after = NULL))
  )
  old <- setwd(stage_dir)
  on.exit(setwd(old), add = TRUE, after = FALSE)
  bookdown::render_book(staged[[1]], output_format = format, quiet = TRUE, envir = new.env(),
                        knit_root_dir = root)
  # bookdown leaves each chapter's intermediate markdown beside the pages.
  intermediates <- c(sub("\\.Rmd$", ".md", staged), "404.html", "search_index.json",
                     "reference-keys.txt")
  unlink(file.path(output_dir, intermediates))
}

main <- function() {
  options <- parse_args(commandArgs(TRUE))
  root <- project_root()
  config <- read_book_config(root)
  if (options$list_chapters) {
    cat(book_files(config), sep = "\n")
    return(invisible())
  }
  Sys.setenv(MORALIGN_ROOT = root)
  if (!is.null(options$results)) {
    Sys.setenv(MORALIGN_RESULTS_DIR = normalizePath(options$results, mustWork = TRUE))
  }
  engine <- choose_engine(options$engine)
  default_output <- file.path(root, config$project$`output-dir` %||% "_book")
  output_dir <- options$output_dir %||% default_output
  dir.create(output_dir, recursive = TRUE, showWarnings = FALSE)
  output_dir <- normalizePath(output_dir)

  cat(sprintf("Rendering the book with %s (%s) into %s\n", engine, attr(engine, "why"),
              output_dir))
  started <- Sys.time()
  if (engine == "quarto") {
    render_with_quarto(root, output_dir)
  } else {
    render_with_bookdown(root, config, output_dir)
  }
  seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))
  index <- file.path(output_dir, "index.html")
  if (!file.exists(index)) stop("rendering finished but ", index, " does not exist", call. = FALSE)
  cat(sprintf("Book rendered with %s in %.1f s: %s\n", engine, seconds, index))
}

# The engine to use, with the reason for the choice as its "why" attribute.
choose_engine <- function(requested) {
  has_quarto <- nzchar(Sys.which("quarto"))
  if (requested == "quarto" && !has_quarto) {
    stop("quarto is not on the PATH: install Quarto, or render with --engine bookdown",
         call. = FALSE)
  }
  if (requested != "auto") {
    return(structure(requested, why = "chosen by --engine or MORALIGN_BOOK_ENGINE"))
  }
  if (has_quarto) {
    structure("quarto", why = "found on the PATH; --engine bookdown to use bookdown")
  } else {
    structure("bookdown", why = "quarto is not on the PATH")
  }
}

`%||%` <- function(x, y) if (is.null(x)) y else x

main()

#!/usr/bin/env Rscript
# Knit one chapter of the book the way Quarto's knitr engine does, without Quarto, and write the
# markdown that Quarto would hand on to pandoc:
#
#   Rscript tests/report/knit_as_quarto.R CHAPTER OUT_DIR     (from the project root)
#
# CHAPTER is root-relative, as _quarto.yml lists it. As under `quarto render` with
# `execute-dir: project`: chunk options in `#|` form, code run with the project root as working
# directory, one R session per chapter, knitr told that Quarto is knitting (`quarto.version`),
# Quarto's chunk defaults for HTML (an error stops the render; warnings and messages are shown).
# Quarto's knitr hooks put each chunk's output in a `::: {.cell}` div, except `results: asis`
# output of a chunk with nothing that needs a div: a table label, extra classes, or an attribute,
# such as the `layout-align` that any fig-align other than "default" gives it. A figure is written
# with its chunk's label as id and its caption. The markdown goes to OUT_DIR/CHAPTER (with .md),
# figures beside it in <chapter>_files/figure-html/, where Quarto puts them.

args <- commandArgs(TRUE)
if (length(args) != 2) {
  stop("usage: Rscript tests/report/knit_as_quarto.R CHAPTER OUT_DIR", call. = FALSE)
}
chapter <- args[[1]]
out_dir <- args[[2]]
root <- normalizePath(".")
if (!file.exists(file.path(root, "_quarto.yml"))) {
  stop("run from the project root (the folder of _quarto.yml)", call. = FALSE)
}
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
input <- file.path(normalizePath(out_dir), chapter)
dir.create(dirname(input), recursive = TRUE, showWarnings = FALSE)
if (!file.copy(file.path(root, chapter), input, overwrite = TRUE)) {
  stop("cannot copy ", chapter, " to ", input, call. = FALSE)
}
stem <- tools::file_path_sans_ext(basename(chapter))

library(knitr)
opts_knit$set(root.dir = root, quarto.version = 1, rmarkdown.pandoc.to = "html",
              rmarkdown.version = 3, rmarkdown.runtime = "static")
render_markdown()
opts_chunk$set(fig.width = 7, fig.height = 5, dev = "png", dpi = 96, error = FALSE, echo = TRUE,
               warning = TRUE, message = TRUE, include = TRUE, comment = NA,
               fig.path = paste0(stem, "_files/figure-html/"))

# The attributes Quarto's cell div would carry for these chunk options.
cell_attributes <- function(options) {
  attributes <- character()
  for (name in c("fig.align", "fig.valign")) {
    value <- options[[name]]
    if (!is.null(value) && !identical(value, "default")) {
      attributes <- c(attributes, sprintf('layout-%s="%s"', sub("fig.", "", name), value))
    }
  }
  for (name in c("layout", "layout-ncol", "layout-nrow", "column")) {
    if (!is.null(options[[name]])) attributes <- c(attributes, sprintf('%s="%s"', name,
                                                                       options[[name]]))
  }
  attributes
}

needs_cell <- function(options) {
  !identical(options$results, "asis") || grepl("^tbl-", options$label) ||
    length(options$classes) > 0 || length(cell_attributes(options)) > 0 ||
    !is.null(options$fig.subcap)
}

knit_hooks$set(
  chunk = function(x, options) {
    if (!needs_cell(options)) return(x)
    id <- if (grepl("^tbl-", options$label)) paste0("#", options$label, " ") else ""
    header <- paste(c(paste0(id, ".cell"), options$classes, cell_attributes(options)),
                    collapse = " ")
    paste0("\n::: {", header, "}\n", x, "\n:::\n")
  },
  plot = function(x, options) {
    id <- if (grepl("^fig-", options$label)) sprintf("{#%s}", options$label) else ""
    sprintf("![%s](%s)%s", options$fig.cap %||% "", x, id)
  }
)

`%||%` <- function(x, y) if (is.null(x)) y else x

# Quarto knits from the chapter's folder (knitr's output.dir, where figures go); the code itself
# runs in root.dir.
setwd(dirname(input))
knit(basename(input), output = sub("\\.qmd$", ".md", basename(input)), envir = new.env(),
     quiet = TRUE)

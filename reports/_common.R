# Helpers shared by the book's chapters: where the pipeline's outputs live, reading them, and
# formatting numbers. Chapters only read files the pipeline wrote to the results folder; nothing
# here fits a model.

suppressPackageStartupMessages({
  library(knitr)
})

# No global fig.align: under Quarto any alignment other than "default" wraps every chunk, even a
# `results: asis` one, in a cell div, and the headings such chunks emit then drop out of the
# page's table of contents. Figure chunks that need centring say so themselves.
knitr::opts_chunk$set(
  echo = FALSE, message = FALSE, out.width = "100%", fig.width = 9, fig.height = 5, dpi = 110
)
options(knitr.kable.NA = "", dplyr.summarise.inform = FALSE)

# ---- where things are -------------------------------------------------------------------------

# The project root: the first folder at or above `start` that holds the book's _quarto.yml. A
# chapter's chunks run there under Quarto; RStudio's "Run chunk" runs them in the
# chapter's own folder, from where this finds the root too.
find_project_root <- function(start = getwd()) {
  dir <- normalizePath(start, mustWork = FALSE)
  repeat {
    if (file.exists(file.path(dir, "_quarto.yml"))) return(dir)
    parent <- dirname(dir)
    if (parent == dir) stop("cannot find the project root (a folder with _quarto.yml) above ", start)
    dir <- parent
  }
}

PROJECT_ROOT <- if (nzchar(Sys.getenv("MORALIGN_ROOT"))) {
  normalizePath(Sys.getenv("MORALIGN_ROOT"))
} else {
  find_project_root()
}

RESULTS_DIR <- normalizePath(
  Sys.getenv("MORALIGN_RESULTS_DIR", unset = file.path(PROJECT_ROOT, "results")),
  mustWork = FALSE
)

# A path as the reader should see it: relative to the project root when it lies inside it.
shown_path <- function(path) {
  path <- normalizePath(path, mustWork = FALSE)
  prefix <- paste0(PROJECT_ROOT, "/")
  ifelse(startsWith(path, prefix), substring(path, nchar(prefix) + 1), path)
}

result_path <- function(...) file.path(RESULTS_DIR, ...)

# Text with the project's absolute location removed (paths in messages the pipeline wrote).
shown_text <- function(text) gsub(paste0(PROJECT_ROOT, "/"), "", text, fixed = TRUE)

# Source one of the chapters' helper files (reports/_*.R) wherever the chunk runs.
source_helper <- function(name) source(file.path(PROJECT_ROOT, "reports", name))

# ---- reading ----------------------------------------------------------------------------------

read_csv_file <- function(path) {
  if (!file.exists(path)) return(NULL)
  utils::read.csv(path, stringsAsFactors = FALSE, check.names = FALSE, encoding = "UTF-8",
                  na.strings = c("", "NA"))
}

read_result <- function(...) read_csv_file(result_path(...))

# Stop with the file, the missing columns and the command that writes them (a stale table).
require_columns <- function(table, columns, path, producer) {
  missing <- setdiff(columns, names(table))
  if (length(missing) > 0) {
    stop(shown_path(path), " has no column ", paste0("'", missing, "'", collapse = ", "),
         "; it was written by an older version of `", producer, "`: run it again", call. = FALSE)
  }
  invisible(table)
}

# Display names of model ids, from the models table of the results (the id when it has none).
model_names <- function(ids) {
  models <- read_result("models.csv")
  if (is.null(models)) return(ids)
  names <- models$display_name[match(ids, models$model)]
  ifelse(is.na(names), ids, names)
}

read_json_file <- function(path) {
  if (!file.exists(path)) return(NULL)
  jsonlite::read_json(path, simplifyVector = TRUE)
}

read_result_json <- function(...) read_json_file(result_path(...))

# The command that writes the files the book reads besides the models' results.
BOOK_INPUTS <- "moralign book-inputs"

# The analyses each figure shows, for figures whose file name does not name the analysis.
FIGURE_ANALYSES <- c(fig3_per_llm = "rq1", fig4_language_persona = "rq2",
                     fig5_removal_change = "rq3")

# Why the study could not support the analysis whose table or figure `path` is
# (<instrument>/not_possible.csv of the analysis run), or NULL when it could.
not_possible_reason <- function(path) {
  file <- sub("\\.[a-z]+$", "", basename(path))
  folder <- basename(dirname(path))
  instrument <- if (folder == "figures") sub("_.*$", "", file) else folder
  not_possible <- read_result(instrument, "not_possible.csv")
  if (is.null(not_possible) || nrow(not_possible) == 0) return(NULL)
  shown <- if (folder == "figures") sub(paste0("^", instrument, "_"), "", file) else file
  # "<analysis> models" (models of origin with one origin) covers its OLS, LMM and emmeans tables.
  named <- function(entry) {
    analysis <- sub(" models$", "", entry)
    if (analysis != entry && !grepl("(^|_)(ols|lmm|emmeans)(_|$)", shown)) return(FALSE)
    grepl(paste0("(^|_)", analysis, "(_|$)"), shown) &&
      !grepl(paste0("(^|_)", analysis, "_persona(_|$)"), shown) ||
      identical(FIGURE_ANALYSES[shown][[1]], analysis)
  }
  hit <- Filter(named, not_possible$analysis)
  if (length(hit) == 0) return(NULL)
  not_possible$reason[match(hit[1], not_possible$analysis)]
}

# The note a page shows in place of a table or figure the pipeline did not produce: why the study
# cannot support its analysis, or the command that writes it.
missing_note <- function(path, producer = "Rscript R/analysis/run.R") {
  reason <- not_possible_reason(path)
  if (!is.null(reason)) {
    return(sprintf(paste0('\n<p class="missing-result"><strong>Not possible in this study:</strong> ',
                          "%s.</p>\n"), html_escape(reason)))
  }
  # Pandoc reads the note as Markdown and would turn a command's "--" into a dash.
  producer <- gsub("--", "&#45;&#45;", producer, fixed = TRUE)
  sprintf(
    paste0('\n<p class="missing-result"><strong>Not available:</strong> <code>%s</code> was not ',
           "produced. It is written by <code>%s</code>.</p>\n"),
    shown_path(path), producer
  )
}

# `table` with each of `columns` it lacks as a column of NA: a result table leaves out the
# columns of a test that was not possible (too few LLMs of an origin).
with_columns <- function(table, columns) {
  table[setdiff(columns, names(table))] <- NA
  table
}

# ---- formatting numbers -----------------------------------------------------------------------

fmt_num <- function(x, digits = 3) {
  x <- as.numeric(x) # a column read back with no value at all is logical
  rounded <- round(x, digits) + 0 # adding zero turns a negative zero into zero
  ifelse(is.na(x), "", formatC(rounded, format = "f", digits = digits))
}

# Values bounded by 1 (p values, cosines) without the leading zero, as in the paper.
drop_leading_zero <- function(text) sub("^(-?)0\\.", "\\1.", text)

fmt_cos <- function(x, digits = 3) drop_leading_zero(fmt_num(x, digits))

fmt_p <- function(p, digits = 3) {
  out <- drop_leading_zero(fmt_num(p, digits))
  out[!is.na(p) & p < 10^-digits] <- paste0("< ", drop_leading_zero(fmt_num(10^-digits, digits)))
  out
}

# "p = .012" or "p < .001", for prose.
p_text <- function(p) {
  formatted <- fmt_p(p)
  ifelse(startsWith(formatted, "<"), paste("p", formatted), paste("p =", formatted))
}

fmt_int <- function(x) formatC(round(x), format = "d", big.mark = ",")

# Degrees of freedom: whole numbers with thousands marks; Satterthwaite's small df to one decimal.
fmt_df <- function(df) {
  out <- rep("", length(df))
  finite <- is.finite(df)
  whole <- finite & (df >= 100 | abs(df - round(df)) < 1e-9)
  out[whole] <- fmt_int(round(df[whole]))
  out[finite & !whole] <- fmt_num(df[finite & !whole], 1)
  out[is.infinite(df)] <- "∞"
  out
}

# ---- the study's vocabulary ------------------------------------------------------------------

# Every word that names something of the study (nations, their adjectives, languages, personas,
# instruments, foundations, models, the human-mean rows) is read from the contract the analysis
# run wrote into the results folder, and the title and description from the study file's summary
# that `moralign book-inputs` wrote. Nothing here types them.
ANALYSIS_RUN <- "Rscript R/analysis/run.R"
RESULTS_MANIFEST <- "manifest.json"
STUDY_SUMMARY <- "study.json"

# The contract of the analysis run (manifest.json holds it, under `contract` or as a whole).
study_contract <- function() {
  manifest <- read_result_json(RESULTS_MANIFEST)
  if (is.null(manifest)) return(NULL)
  manifest$contract %||% manifest
}

study_summary <- function() read_result_json(STUDY_SUMMARY)

# One field of the contract, or NULL when the manifest or the field is missing.
vocabulary <- function(field) study_contract()[[field]]

# The note a chapter shows when the manifest lacks fields its sentences need.
vocabulary_note <- function(fields = c("nations", "nation_adjectives", "language_of_nation",
                                       "personas", "no_persona", "instrument_labels",
                                       "human_mean_ids")) {
  contract <- study_contract()
  path <- result_path(RESULTS_MANIFEST)
  if (is.null(contract)) return(missing_note(path, ANALYSIS_RUN))
  missing <- fields[vapply(fields, function(f) is.null(contract[[f]]), logical(1))]
  if (length(missing) == 0) return("")
  sprintf(paste0('\n<p class="missing-result"><strong>Not available:</strong> <code>%s</code> ',
                 "has no %s. It is written by <code>%s</code>.</p>\n"),
          shown_path(path), paste0("<code>", missing, "</code>", collapse = ", "), ANALYSIS_RUN)
}

NOT_AVAILABLE <- "(not available)"

# The two nations a two-nation analysis contrasts; the first is coded +0.5.
compared_nations <- function() {
  nations <- unlist(vocabulary("nations"))
  if (length(nations) == 2) nations else c(NOT_AVAILABLE, NOT_AVAILABLE)
}
first_nation <- function() compared_nations()[[1]]
second_nation <- function() compared_nations()[[2]]

# The study's adjective of a nation (the nation's name when it has none).
adjective <- function(nation) {
  adjectives <- vocabulary("nation_adjectives")
  vapply(nation, function(n) adjectives[[n]] %||% n, "", USE.NAMES = FALSE)
}

# The language a nation's respondents answered in.
language_of <- function(nation) {
  languages <- vocabulary("language_of_nation")
  vapply(nation, function(n) languages[[n]] %||% NOT_AVAILABLE, "", USE.NAMES = FALSE)
}

no_persona <- function() vocabulary("no_persona") %||% NOT_AVAILABLE

persona_label <- function(persona) ifelse(persona == no_persona(), "no persona", persona)

# Each persona's place in the study's order (no persona first), for sorting rows.
persona_rank <- function(personas) {
  match(personas, unique(c(no_persona(), unlist(vocabulary("personas")), personas)))
}

# The instrument's short label, its id when the manifest has none.
instrument_label <- function(instrument) {
  labels <- vocabulary("instrument_labels")
  vapply(instrument, function(i) labels[[i]] %||% i, "", USE.NAMES = FALSE)
}

# The study's instruments: those of the manifest, in its order.
study_instruments <- function() names(vocabulary("instrument_labels"))

# The model id of the rows that stand for a nation's mean respondent.
human_mean_id <- function(nation) {
  ids <- vocabulary("human_mean_ids")
  ids[[nation]] %||% NOT_AVAILABLE
}

# A list in prose: "a", "a and b", "a, b and c".
in_words <- function(values) {
  values <- as.character(values)
  if (length(values) == 0) return(NOT_AVAILABLE)
  if (length(values) == 1) return(values)
  paste(paste(utils::head(values, -1), collapse = ", "), "and", utils::tail(values, 1))
}

# Whether the study asked an instrument's items (study.json; the manifest's instruments when
# study.json is missing; when neither says, the results chapters say what is missing).
asked <- function(instrument) {
  instruments <- unlist(study_summary()$instruments) %||% study_instruments()
  is.null(instruments) || instrument %in% instruments
}

# The instruments whose results the pipeline produced (some need a user-supplied file).
present_instruments <- function() {
  known <- study_instruments()
  known[file.exists(result_path(known, "rq1_ols.csv"))]
}

# ---- model terms ------------------------------------------------------------------------------

# The names R/analysis gives its effect-coded terms (+0.5 for the first compared nation), by what
# they code. Their labels are made from the study's words.
TERMS <- c(participant = "chinese_participant", origin = "chinese_origin",
           language = "chinese_language", persona = "china_persona")

term_labels <- function() {
  first <- first_nation()
  c(
    "(Intercept)" = "Intercept",
    stats::setNames(c(paste(adjective(first), "participant"), paste(adjective(first), "LLM"),
                      paste(language_of(first), "prompt"), paste(first, "persona")),
                    TERMS),
    is_human_mean = "Human mean (vs LLM)",
    congruent_language = "Congruent language",
    congruent_persona = "Congruent persona",
    congruent_origin = "Congruent origin"
  )
}

term_label <- function(term) {
  labels <- term_labels()
  one <- function(part) {
    if (part %in% names(labels)) return(labels[[part]])
    if (grepl("^removed", part)) return(paste0("Removed: ", sub("^removed", "", part)))
    gsub("_", " ", part)
  }
  vapply(strsplit(term, ":", fixed = TRUE),
         function(parts) paste(vapply(parts, one, ""), collapse = " × "), "")
}

interaction_term <- function() paste(TERMS[["participant"]], TERMS[["origin"]], sep = ":")

# "makers" or "LLMs": the units of an origin term's primary test (`primary_unit`; empty when no
# test was possible).
unit_words <- function(unit) {
  ifelse(is.na(unit), "none", ifelse(unit == "llm", "LLMs", paste0(unit, "s")))
}

# R/analysis names the columns of the compared nations by position, whatever the study's nations:
# "china" holds the first nation's values, "usa" the second's (mean_china, n_usa_llms).
PAIR_COLUMN_NAMES <- c("china", "usa")

# The column `prefix` + the nation's position name + `suffix` of a result table.
nation_column <- function(table, prefix, nation, suffix = "") {
  position <- match(nation, compared_nations())
  if (is.na(position)) return(rep(NA, NROW(table)))
  table[[paste0(prefix, PAIR_COLUMN_NAMES[[position]], suffix)]] %||% rep(NA, NROW(table))
}

# "a * b * c": the model formula's right-hand side, read from the terms of a fitted table.
formula_terms <- function(table) {
  if (is.null(table)) return(NOT_AVAILABLE)
  parts <- strsplit(setdiff(table$term, "(Intercept)"), ":", fixed = TRUE)
  widest <- parts[[which.max(lengths(parts))]]
  paste(widest, collapse = " * ")
}

# One coefficient row, looked up by its term; NULL-safe so prose never breaks a build.
coef_row <- function(table, term) {
  if (is.null(table)) return(NULL)
  row <- table[table$term == term, , drop = FALSE]
  if (nrow(row) != 1) stop("term '", term, "' appears ", nrow(row), " times in a coefficient table")
  row
}

# "b = -0.179, SE = 0.002, p < .001" for prose.
coef_text <- function(table, term, digits = 3) {
  row <- coef_row(table, term)
  if (is.null(row)) return("(not available)")
  sprintf("b = %s, SE = %s, %s", fmt_num(row$estimate, digits), fmt_num(row$std_error, digits),
          p_text(row$p_value))
}

# "larger than" or "smaller than", comparing sizes (absolute values) for prose.
compare_sizes <- function(a, b) {
  if (is.na(a) || is.na(b)) return("(not comparable with)")
  if (abs(a) > abs(b)) "larger than" else if (abs(a) < abs(b)) "smaller than" else "as large as"
}

# ---- tables -----------------------------------------------------------------------------------

# An HTML table with its caption, as lines of HTML. The caption is written into the table here
# rather than by kable, so that Quarto does not number it as a table of its own.
html_table <- function(table, caption = NULL, escape = TRUE, align = NULL, class = "result-table") {
  if (is.null(align)) align <- ifelse(vapply(table, looks_numeric, logical(1)), "r", "l")
  html <- knitr::kable(table, format = "html", escape = escape, align = align, row.names = FALSE,
                       table.attr = sprintf('class="table table-sm %s"', class))
  if (!is.null(caption)) {
    html <- sub("(<table[^>]*>)", paste0("\\1\n<caption>", caption, "</caption>"), html)
  }
  # A table wider than the page scrolls inside its own box (reports/_book.css).
  c('<div class="table-scroll">', html, "</div>")
}

# Numbers, p values and intervals as formatted above ("0.207", "< .001", "[-0.2, 0.1]", "1,032").
looks_numeric <- function(column) {
  values <- as.character(column[!is.na(column) & column != ""])
  length(values) > 0 && all(grepl("^[-<∞\\[(.,0-9 ]+[])]?$", values))
}

# Print a coefficient table (term, estimate, std_error, statistic, df, p_value).
coef_kable <- function(table, caption, digits = 3) {
  shown <- data.frame(
    Term = term_label(table$term),
    Estimate = fmt_num(table$estimate, digits),
    SE = fmt_num(table$std_error, digits),
    Statistic = fmt_num(table$statistic, 2),
    df = fmt_df(table$df),
    p = fmt_p(table$p_value),
    check.names = FALSE
  )
  html_table(shown, caption, align = "lrrrrr", class = "result-table numbers")
}

# For chunks with `results: asis`: the coefficient table of `file`, or a note that it is missing.
show_coef_table <- function(instrument, file, caption) {
  path <- result_path(instrument, file)
  table <- read_csv_file(path)
  if (is.null(table)) return(cat(missing_note(path)))
  cat(coef_kable(table, caption), sep = "\n")
}

# For chunks with `results: asis`: any tidy table with readable column names.
show_table <- function(table, caption, digits = 3, path = NULL, class = "result-table numbers") {
  if (is.null(table)) return(cat(missing_note(path)))
  numeric <- vapply(table, is.numeric, logical(1))
  is_whole <- function(col) is.numeric(col) && all(is.na(col) | col == round(col))
  whole <- vapply(table, is_whole, logical(1))
  table[numeric & !whole] <- lapply(table[numeric & !whole], fmt_num, digits = digits)
  table[whole] <- lapply(table[whole], function(col) ifelse(is.na(col), "", fmt_int(col)))
  cat(html_table(table, caption, class = class), sep = "\n")
}

# ---- figures ----------------------------------------------------------------------------------

# Show a PNG the pipeline drew. The file is copied into knitr's figure folder so that Quarto
# treats it as the chunk's own figure (caption from the chunk's `fig-cap`, number from
# its `fig-` label). Chunks run in the project root, while the figure folder is relative to the
# page being written (knitr's output.dir). Outside knitting (a chunk run in RStudio) the PNG is
# shown where it is.
# `folder`: the figures' folder under the results (another respondent-id mode's, for instance).
show_result_figure <- function(file, folder = "figures") {
  path <- result_path(folder, file)
  if (!file.exists(path)) return(knitr::asis_output(missing_note(path)))
  if (!isTRUE(getOption("knitr.in.progress"))) return(knitr::include_graphics(path))
  copied_name <- if (folder == "figures") file else paste0(gsub("/", "_", folder), "_", file)
  copy <- paste0(knitr::opts_current$get("fig.path"), copied_name)
  target <- if (xfun::is_abs_path(copy)) copy else
    file.path(knitr::opts_knit$get("output.dir") %||% ".", copy)
  dir.create(dirname(target), recursive = TRUE, showWarnings = FALSE)
  if (!file.copy(path, target, overwrite = TRUE)) stop("cannot copy ", path, " to ", target)
  knitr::include_graphics(copy, error = FALSE)
}

# A cross-reference to the figure chunk labelled `label` (fig-...), for prose: Quarto resolves
# "@fig-..." into "Figure 3.1". `source` is the file the figure shows or is drawn from: without
# it the chunk shows a note instead, and the figure is named without a reference.
fig_ref <- function(label, source) {
  if (!file.exists(source)) return("figure not available in this build")
  paste0("@", label)
}

# ---- the instrument chapters ------------------------------------------------------------------

INSTRUMENT_CHAPTER <- "reports/_instrument-results.qmd"

# The body of an instrument's results chapter: the child document knitted for that instrument
# (its {{instrument}} placeholders filled in first, so that figure labels differ between the
# chapters), or what to do when the pipeline produced no results for it.
instrument_results <- function(instrument) {
  if (!asked(instrument)) {
    return(sprintf("This study did not ask the items of %s (`%s` lists its instruments).",
                   instrument_label(instrument), shown_path(result_path(STUDY_SUMMARY))))
  }
  if (!file.exists(result_path(instrument, "rq1_ols.csv"))) {
    return(absent_instrument_note(instrument))
  }
  env <- new.env(parent = globalenv())
  env$instrument <- instrument
  text <- knitr::knit_expand(file.path(PROJECT_ROOT, INSTRUMENT_CHAPTER), instrument = instrument)
  # knitr leaves a child in the page's folder; the chapter's code runs in the project root.
  working_dir <- setwd(getwd())
  on.exit(setwd(working_dir), add = TRUE)
  knitr::knit_child(text = text, envir = env, quiet = TRUE)
}

absent_instrument_note <- function(instrument) {
  label <- instrument_label(instrument)
  status <- read_result_json("exclusions.json")$paper[[instrument]]
  lines <- c(
    sprintf(paste('<p class="missing-result"><strong>No %s results in this build.</strong> The',
                  "folder <code>%s</code> holds no <code>rq1_ols.csv</code>.</p>"),
            label, shown_path(result_path(instrument))),
    ""
  )
  if (!is.null(status$reason)) {
    lines <- c(lines, sprintf("The similarity step reported: %s", shown_text(status$reason)), "")
  }
  c(lines, instrument_steps(instrument)) |> paste(collapse = "\n")
}

# How to add an instrument's results; for one whose human data users download themselves, where
# from (as data/sources.toml says, through the provenance the pipeline wrote).
instrument_steps <- function(instrument) {
  manual <- read_result_json("provenance.json")$manual
  manual <- if (is.null(manual)) NULL else manual[manual$name == instrument, , drop = FALSE]
  fetch <- if (is.null(manual) || nrow(manual) == 0) {
    "1. Fetch the data: `moralign data fetch`."
  } else {
    c(sprintf("1. Download %s from <%s> (%s).", manual$title, manual$url, manual$terms),
      sprintf("2. Put the file at `%s`, or set `%s` to its path.", manual$expected_path,
              manual$environment_variable))
  }
  c("To add it:", "", fetch,
    sprintf(paste("%d. Rebuild the results and this book: `make report` (each step is listed in",
                  "the appendix)."), length(fetch) + 1))
}

html_escape <- function(text) {
  text <- gsub("&", "&amp;", text, fixed = TRUE)
  text <- gsub("<", "&lt;", text, fixed = TRUE)
  gsub(">", "&gt;", text, fixed = TRUE)
}

`%||%` <- function(x, y) if (is.null(x)) y else x

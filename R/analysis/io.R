# Reading the derived similarity tables and writing result tables.

derived_columns <- function() study_contract()$columns

derived_path <- function(derived_dir, instrument, analysis) {
  file.path(derived_dir, instrument, paste0(analysis, ".rds"))
}

# Display names of the models, from the manifest the similarity step writes beside the tables.
model_display_names <- function(derived_dir) {
  path <- file.path(derived_dir, "manifest.json")
  if (!file.exists(path)) return(character())
  manifest <- jsonlite::read_json(path)
  models <- study_models(manifest$contract)
  named <- models[!is.na(models$display_name), ]
  if (nrow(named) > 0) return(stats::setNames(named$display_name, named$llm))
  unlist(manifest$options$display_names)
}

# A derived .rds as a tibble. Text columns arrive as factors (quicker to write from Python);
# the analysis works with character vectors.
read_rds_table <- function(path) {
  data <- readRDS(path)
  data[] <- lapply(data, function(column) if (is.factor(column)) as.character(column) else column)
  tibble::as_tibble(data)
}

# The analyses of an instrument the study cannot support (a condition it lacks, no LLM left),
# with the similarity step's reason: a tibble of analysis and reason, from the manifest.
not_possible_analyses <- function(derived_dir, instrument) {
  none <- tibble::tibble(analysis = character(), reason = character())
  path <- file.path(derived_dir, "manifest.json")
  if (!file.exists(path)) return(none)
  tables <- jsonlite::read_json(path)$instruments[[instrument]]$tables
  marked <- Filter(function(table) identical(table$status, "not possible"), tables)
  if (length(marked) == 0) return(none)
  tibble::tibble(analysis = names(marked),
                 reason = vapply(marked, function(table) table$reason, ""))
}

has_derived <- function(derived_dir, instrument, analysis) {
  file.exists(derived_path(derived_dir, instrument, analysis))
}

# Reads one derived table and checks it against the contract, naming the
# file and the offending column when it does not match.
read_derived <- function(derived_dir, instrument, analysis) {
  path <- derived_path(derived_dir, instrument, analysis)
  if (!file.exists(path)) {
    stop(sprintf("derived table not found: %s (run `moralign similarity` first)", path),
         call. = FALSE)
  }
  validate_derived(read_rds_table(path), path)
}

validate_derived <- function(data, path = "<data>") {
  missing <- setdiff(derived_columns(), names(data))
  if (length(missing) > 0) {
    stop(sprintf("%s: missing column(s) %s; expected columns %s", path,
                 paste(missing, collapse = ", "), paste(derived_columns(), collapse = ", ")),
         call. = FALSE)
  }
  check_values <- function(column, allowed) {
    bad <- setdiff(unique(data[[column]]), allowed)
    if (length(bad) > 0) {
      row <- match(bad[1], data[[column]])
      stop(sprintf("%s: row %d, column `%s`: value %s not in {%s}", path, row, column,
                   encodeString(as.character(bad[1]), quote = "\""),
                   paste(allowed, collapse = ", ")), call. = FALSE)
    }
  }
  allowed <- study_contract()$allowed_values
  for (column in names(allowed)) check_values(column, allowed[[column]])
  if (!is.numeric(data$cosine) || anyNA(data$cosine)) {
    row <- which(is.na(suppressWarnings(as.numeric(data$cosine))))[1]
    stop(sprintf("%s: row %d, column `cosine`: expected a number, found %s", path, row,
                 as.character(data$cosine[row])), call. = FALSE)
  }
  if (anyNA(data$respondent)) {
    stop(sprintf("%s: row %d, column `respondent`: missing respondent id", path,
                 which(is.na(data$respondent))[1]), call. = FALSE)
  }
  data$is_human_mean <- as.logical(data$is_human_mean)
  data$removed <- as.character(data$removed)
  # Respondent ids restart within each nationality, so the key combines both.
  data$respondent_key <- paste(data$nationality, data$respondent, sep = ":")
  data
}

# Tables written since the last start_results_manifest(), for <results>/manifest.json.
written_tables <- new.env(parent = emptyenv())

write_result <- function(table, results_dir, instrument, name) {
  folder <- file.path(results_dir, instrument)
  dir.create(folder, recursive = TRUE, showWarnings = FALSE)
  path <- file.path(folder, paste0(name, ".csv"))
  readr::write_csv(table, path, na = "")
  record_written(instrument, name)
  invisible(path)
}

# Adds a table (file <instrument>/<name>.csv, or <name>.csv for "") to the results manifest.
record_written <- function(instrument, name) {
  file <- paste0(name, ".csv")
  written_tables$rows[[length(written_tables$rows) + 1]] <- list(
    instrument = instrument, name = name,
    file = if (instrument == "") file else file.path(instrument, file)
  )
}

start_results_manifest <- function() written_tables$rows <- list()

# <results>/manifest.json: the contract the analysis used (as the similarity step wrote it, the
# book's source of labels), where it came from, and every table written since
# start_results_manifest().
write_results_manifest <- function(derived_dir, results_dir, settings = list()) {
  source <- file.path(derived_dir, "manifest.json")
  manifest <- list(
    derived_manifest = source,
    contract = jsonlite::read_json(source)$contract,
    settings = settings,
    tables = written_tables$rows
  )
  dir.create(results_dir, recursive = TRUE, showWarnings = FALSE)
  jsonlite::write_json(manifest, file.path(results_dir, "manifest.json"), auto_unbox = TRUE,
                       pretty = TRUE, null = "null", na = "null", digits = NA)
}

# Helpers of the overview and the data-and-methods chapters: the models table, the prompts,
# exclusions and provenance, all as `moralign book-inputs` wrote them into the results folder.

# ---- models -----------------------------------------------------------------------------------

# One value per model: the value itself when every instrument's calls agree, otherwise each
# instrument's values, labelled.
collapse_by_instrument <- function(values, instruments) {
  if (length(unique(values)) == 1) return(as.character(values[[1]]))
  parts <- tapply(as.character(values), instruments,
                  function(v) paste(sort(unique(v)), collapse = ", "))
  paste0(parts, " (", instrument_label(names(parts)), ")", collapse = "; ")
}

# The table of the LLMs studied: name, maker, origin and where/how each was called.
models_table <- function(models, calls) {
  require_columns(models, "maker", result_path("models.csv"), BOOK_INPUTS)
  llms <- models[models$kind == "llm", , drop = FALSE]
  llms <- llms[order(llms$origin, tolower(llms$display_name)), , drop = FALSE]
  per_model <- function(column) {
    vapply(llms$model, function(m) {
      rows <- calls[calls$model == m, , drop = FALSE]
      if (nrow(rows) == 0) return("")
      collapse_by_instrument(rows[[column]], rows$instrument)
    }, character(1))
  }
  data.frame(
    Model = llms$display_name, Maker = llms$maker, Origin = llms$origin,
    Provider = per_model("provider"), `API model id` = per_model("api_model"),
    Temperature = per_model("temperature"), `Collected on` = per_model("collected_on"),
    check.names = FALSE, row.names = NULL
  )
}


# A message for an HTML table cell: escaped, line breaks kept (newlines as <br>, since the cell
# must stay on one line of the table's HTML).
html_lines <- function(text) {
  paste0('<span class="prompt">', gsub("\n", "<br>", html_escape(text), fixed = TRUE), "</span>")
}

# The system messages (per language and persona) and user message (per language) of each
# instrument's first item, as the collector's prompt function rendered them (prompts.csv).
prompt_tables <- function(prompts) {
  if (is.null(prompts)) return(cat(missing_note(result_path("prompts.csv"), BOOK_INPUTS)))
  for (instrument in unique(prompts$instrument)) {
    rows <- prompts[prompts$instrument == instrument, , drop = FALSE]
    label <- instrument_label(instrument)
    cat(sprintf("\n### %s\n\n", label))
    system_table <- data.frame(
      Language = rows$language, Persona = persona_label(rows$persona),
      `System message` = html_lines(rows$system), check.names = FALSE
    )
    cat(html_table(system_table, sprintf("%s system messages.", label), escape = FALSE),
        sep = "\n")
    user_table <- unique(data.frame(Language = rows$language, User = html_lines(rows$user)))
    names(user_table)[2] <- sprintf("User message (item %d; the same for every persona)",
                                    rows$item[[1]])
    cat(html_table(user_table, sprintf("%s user messages.", label), escape = FALSE), sep = "\n")
  }
}

ANALYSIS_LABELS <- c(
  rq1 = "RQ1 (no persona)", rq2 = "RQ2 (personas)", rq3 = "RQ3 (leave one out, no persona)",
  rq3_persona = "RQ3 (leave one out, personas)"
)

# Kept and dropped LLMs (and dropped respondents) of every analysis with paper ids, as the
# similarity step recorded them (exclusions.json).
show_exclusions <- function(exclusions) {
  by_instrument <- exclusions$paper
  if (is.null(by_instrument)) {
    return(cat(missing_note(result_path("exclusions.json"), BOOK_INPUTS)))
  }
  rows <- list()
  for (instrument in names(by_instrument)) {
    entry <- by_instrument[[instrument]]
    label <- instrument_label(instrument)
    if (!identical(entry$status, "built")) {
      rows[[length(rows) + 1]] <- data.frame(
        Instrument = label, Analysis = "all", `LLMs kept` = "",
        `LLMs dropped` = paste("not built:", shown_text(entry$reason)), Rows = "",
        check.names = FALSE)
      next
    }
    for (analysis in names(entry$analyses)) {
      table <- entry$analyses[[analysis]]
      if (identical(table$status, "not possible")) {
        rows[[length(rows) + 1]] <- data.frame(
          Instrument = label, Analysis = ANALYSIS_LABELS[[analysis]] %||% analysis,
          `LLMs kept` = "", `LLMs dropped` = paste("not possible:", table$reason), Rows = "",
          check.names = FALSE)
        next
      }
      dropped <- table$llms_dropped
      dropped_text <- if (NROW(dropped) == 0) "none" else
        paste0(dropped$model, " (", dropped$reason, ")", collapse = "; ")
      rows[[length(rows) + 1]] <- data.frame(
        Instrument = label, Analysis = ANALYSIS_LABELS[[analysis]] %||% analysis,
        `LLMs kept` = as.character(table$llms_kept), `LLMs dropped` = dropped_text,
        Rows = fmt_int(table$rows), check.names = FALSE)
    }
    respondents <- unlist(entry$respondents)
    straight <- unlist(entry$straight_liners)
    cat(sprintf("\n%s: %s respondents; dropped as straight-liners: %s.\n", label,
                paste(fmt_int(respondents), names(respondents), collapse = ", "),
                paste(straight, names(straight), collapse = ", ")))
  }
  cat(html_table(do.call(rbind, rows), "LLMs kept and dropped per analysis (paper ids)."),
      sep = "\n")
}

# The files the study reads, with where they come from and their sha256 (provenance.json, from
# data/sources.toml), and the data sets users download themselves.
show_provenance <- function(provenance) {
  if (is.null(provenance)) {
    return(cat(missing_note(result_path("provenance.json"), BOOK_INPUTS)))
  }
  datasets <- provenance$datasets
  for (i in seq_len(NROW(datasets))) {
    files <- datasets$files[[i]]
    cat(sprintf("\n**%s.** %s. Repository %s, commit `%s`. Licence: %s.\n\n", datasets$title[[i]],
                datasets$citation[[i]], datasets$repository[[i]], datasets$commit[[i]],
                datasets$licence[[i]]))
    table <- data.frame(
      check.names = FALSE,
      File = sprintf("<code>%s</code>", html_escape(files$local)),
      `Path in the repository (link)` = sprintf('<a href="%s">%s</a>', files$url,
                                                html_escape(files$path)),
      sha256 = sprintf("<code>%s</code>", files$sha256)
    )
    caption <- paste("Files downloaded (or copied from a mirror) and checked by",
                     "<code>moralign data fetch</code>.")
    cat(html_table(table, caption, escape = FALSE, class = "result-table provenance"), sep = "\n")
  }
  manual <- provenance$manual
  for (i in seq_len(NROW(manual))) {
    cat(sprintf(paste("\n**%s.** %s. Not redistributable (%s): download it from <%s> and put it",
                      "at `%s`, or point `%s` at it.\n"),
                manual$title[[i]], manual$citation[[i]], manual$terms[[i]], manual$url[[i]],
                manual$expected_path[[i]], manual$environment_variable[[i]]))
  }
  project <- provenance$project
  commit <- if (is.null(project$commit)) "not a git checkout" else
    sprintf("commit `%s`%s", project$commit,
            if (isTRUE(project$modified)) ", with local changes" else "")
  tables <- provenance$canonical_tables
  cat(sprintf(paste("\nThis build: moralign %s (%s), study file `%s` (sha256 `%s`). The canonical",
                    "tables it was built from:\n\n"),
              provenance$moralign, commit, provenance$study_file$path,
              provenance$study_file$sha256))
  table <- data.frame(
    Table = sprintf("<code>%s</code>", html_escape(vapply(tables, `[[`, "", "path"))),
    Rows = fmt_int(vapply(tables, `[[`, 1, "rows")),
    sha256 = sprintf("<code>%s</code>", vapply(tables, `[[`, "", "sha256")),
    check.names = FALSE, row.names = NULL
  )
  cat(html_table(table, "Canonical tables (<code>moralign data import</code>).", escape = FALSE,
                 class = "result-table provenance"), sep = "\n")
}

# ---- the overview: the study's own words and counts -------------------------------------------

# The study's title and description (study.json), or a note naming the step that writes it.
study_introduction <- function(study) {
  if (is.null(study)) return(missing_note(result_path(STUDY_SUMMARY), BOOK_INPUTS))
  title <- study$title %||% study$name
  c(sprintf("This book describes the study *%s* (study file `%s`, %s repetitions of every call).",
            title, study$file %||% "(not recorded)", study$repetitions %||% "(not recorded)"),
    "", study$description %||% "", "")
}

# Origins in the order the book shows them: the compared pair first, then the others.
origins_in_order <- function(origins) {
  c(intersect(compared_nations(), origins), sort(setdiff(origins, compared_nations())))
}

# "<n> LLMs made in <origin>, <n> made in <origin> and ...".
llms_by_origin <- function(design) {
  counts <- design$llms_by_origin
  if (is.null(counts)) return("(not available)")
  origins <- origins_in_order(names(counts))
  parts <- sprintf("%s made in %s", fmt_int(unlist(counts[origins])), origins)
  parts[[1]] <- sub(" made in", " LLMs made in", parts[[1]])
  in_words(parts)
}

# "<n> <instrument> items and ...".
items_by_instrument <- function(design) {
  items <- design$items
  if (is.null(items)) return("(not available)")
  in_words(sprintf("%s %s items", fmt_int(unlist(items)), instrument_label(names(items))))
}

# Which answers each compared nation's respondents are compared with, and who else answered.
respondents_and_languages <- function() {
  nations <- compared_nations()
  pairs <- sprintf("%s respondents with their answers to %s prompts", adjective(nations),
                   language_of(nations))
  pairs[[1]] <- sub(" with their", " are compared with the LLMs'", pairs[[1]])
  sentence <- paste0(in_words(pairs), ".")
  others <- setdiff(unlist(vocabulary("human_groups")), nations)
  if (length(others) > 0) {
    sentence <- paste(sentence, sprintf(
      "The study also holds respondents from %s, shown where the tables carry them.",
      in_words(others)))
  }
  sentence
}

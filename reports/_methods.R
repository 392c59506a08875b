# Helpers of the overview and the data-and-methods chapters: the models table, the prompts (from
# the collector's own prompt function), exclusions (from the similarity manifests), provenance.

# ---- models -----------------------------------------------------------------------------------

# One value per model: the value itself when every instrument's calls agree, otherwise each
# instrument's values, labelled.
collapse_by_instrument <- function(values, instruments) {
  if (length(unique(values)) == 1) return(as.character(values[[1]]))
  parts <- tapply(as.character(values), instruments,
                  function(v) paste(sort(unique(v)), collapse = ", "))
  paste0(parts, " (", INSTRUMENT_LABELS[names(parts)], ")", collapse = "; ")
}

# The table of the LLMs studied: name, maker, origin and where/how each was called.
models_table <- function(models, calls) {
  require_columns(models, "maker", file.path(CANONICAL_DIR, "models.csv"), "moralign data import")
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

PERSONA_LABELS <- c(none = "no persona", China = "China", USA = "USA")

# The system messages (per language and persona) and user message (per language) of each
# instrument's first item, rendered by the collector's prompt function.
prompt_tables <- function(study, prompts_module) {
  for (instrument in names(study$instruments)) {
    spec <- study$instruments[[instrument]]
    item <- as.integer(spec$items[[1]])
    rows <- list()
    for (language in unlist(study$languages)) {
      for (persona in unlist(study$personas)) {
        messages <- prompts_module$render_prompts(study, instrument, language, persona, item)
        rows[[length(rows) + 1]] <- data.frame(
          Language = language, Persona = PERSONA_LABELS[[persona]],
          System = html_lines(messages[[1]]), User = html_lines(messages[[2]])
        )
      }
    }
    rows <- do.call(rbind, rows)
    cat(sprintf("\n### %s\n\n", INSTRUMENT_LABELS[[instrument]]))
    system_table <- rows[, c("Language", "Persona", "System")]
    names(system_table)[3] <- "System message"
    label <- INSTRUMENT_LABELS[[instrument]]
    cat(html_table(system_table, sprintf("%s system messages.", label), escape = FALSE),
        sep = "\n")
    user_table <- unique(rows[, c("Language", "User")])
    names(user_table)[2] <- sprintf("User message (item %d; the same for every persona)", item)
    cat(html_table(user_table, sprintf("%s user messages.", label), escape = FALSE), sep = "\n")
  }
}

ANALYSIS_LABELS <- c(
  rq1 = "RQ1 (no persona)", rq2 = "RQ2 (personas)", rq3 = "RQ3 (leave one out, no persona)",
  rq3_persona = "RQ3 (leave one out, personas)"
)

# Kept and dropped LLMs (and dropped respondents) of every analysis, from the similarity manifests.
show_exclusions <- function(manifests) {
  path <- file.path(DERIVED_DIR, "paper", "manifest.json")
  manifest <- manifests$paper
  if (is.null(manifest)) return(cat(missing_note(path, "moralign similarity")))
  rows <- list()
  for (instrument in names(manifest$instruments)) {
    entry <- manifest$instruments[[instrument]]
    if (!identical(entry$status, "built")) {
      rows[[length(rows) + 1]] <- data.frame(
        Instrument = INSTRUMENT_LABELS[[instrument]], Analysis = "all", `LLMs kept` = "",
        `LLMs dropped` = paste("not built:", entry$reason), `Rows` = "", check.names = FALSE)
      next
    }
    for (analysis in names(entry$tables)) {
      table <- entry$tables[[analysis]]
      dropped <- table$dropped_llms
      dropped_text <- if (length(dropped) == 0 || NROW(dropped) == 0) "none" else
        paste0(dropped$model, " (", dropped$reason, ")", collapse = "; ")
      rows[[length(rows) + 1]] <- data.frame(
        Instrument = INSTRUMENT_LABELS[[instrument]],
        Analysis = ANALYSIS_LABELS[[analysis]] %||% analysis,
        `LLMs kept` = as.character(length(table$kept_llms)),
        `LLMs dropped` = dropped_text, Rows = fmt_int(table$rows), check.names = FALSE)
    }
    straight <- unlist(entry$dropped_respondents$zero_variance_count)
    respondents <- unlist(entry$respondents)
    cat(sprintf("\n%s: %s respondents; dropped as straight-liners: %s.\n",
                INSTRUMENT_LABELS[[instrument]],
                paste(fmt_int(respondents), names(respondents), collapse = ", "),
                paste(straight, names(straight), collapse = ", ")))
  }
  caption <- sprintf("LLMs kept and dropped per analysis (paper ids; from %s).", shown_path(path))
  cat(html_table(do.call(rbind, rows), caption), sep = "\n")
}

# The files the study reads, with where they come from and their sha256, from data/sources.toml.
show_provenance <- function(sources) {
  for (name in names(sources$datasets)) {
    dataset <- sources$datasets[[name]]
    files <- dataset$files
    urls <- vapply(files, function(f) {
      with_commit <- sub("{commit}", dataset$commit, dataset$url_pattern, fixed = TRUE)
      sub("{path}", f$path, with_commit, fixed = TRUE)
    }, "")
    cat(sprintf("\n**%s.** %s. Repository %s, commit `%s`. Licence: %s.\n\n", dataset$title,
                dataset$citation, dataset$repository, dataset$commit, dataset$licence))
    table <- data.frame(
      check.names = FALSE,
      File = sprintf("<code>%s</code>", vapply(files, `[[`, "", "local")),
      `Path in the repository (link)` = sprintf('<a href="%s">%s</a>', urls,
                                                vapply(files, `[[`, "", "path")),
      sha256 = sprintf("<code>%s</code>", vapply(files, `[[`, "", "sha256"))
    )
    caption <- paste("Files downloaded (or copied from a mirror) and checked by",
                     "<code>moralign data fetch</code>.")
    cat(html_table(table, caption, escape = FALSE, class = "result-table provenance"), sep = "\n")
  }
  for (name in names(sources$manual)) {
    manual <- sources$manual[[name]]
    cat(sprintf(paste("\n**%s.** %s. Not redistributable (%s): download it from <%s> and put it",
                      "at `%s`, or point `%s` at it.\n"),
                manual$title, manual$citation, manual$terms, manual$url, manual$expected_path,
                manual$environment_variable))
  }
}

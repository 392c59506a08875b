# The study's vocabulary (nations, languages, personas, foundations, instrument labels,
# human-mean ids, derived-table columns), read from the contract the similarity step writes
# into manifest.json. Nothing else in R/analysis types these values.
#
# analyse_instrument() and analyse_all() call use_contract(read_contract(derived_dir)); code
# that runs without derived data (simulations, tests) uses default_contract(): contract.json
# beside this file, written by `python -m collect.similarity.contract R/analysis/contract.json`
# and kept equal to Python's by tests/analysis/test_contract.py.

# Read at source time: load.R sources this folder with chdir = TRUE.
default_contract_path <- normalizePath("contract.json", mustWork = FALSE)

# Field name -> the check it must pass.
contract_fields <- list(
  columns = "text", nations = "text", languages = "text", personas = "text",
  no_persona = "one", nothing_removed = "one", foundations = "text",
  foundation_figure_order = "text", allowed_values = "named", language_of_nation = "named",
  instrument_labels = "named", human_mean_ids = "named"
)

validate_contract <- function(contract, source) {
  fail <- function(field, expected) {
    stop(sprintf("%s: contract field `%s`: expected %s", source, field, expected), call. = FALSE)
  }
  if (!is.list(contract) || length(contract) == 0) {
    stop(sprintf("%s: no `contract` (rebuild it with `moralign similarity`)", source),
         call. = FALSE)
  }
  for (field in names(contract_fields)) {
    value <- contract[[field]]
    kind <- contract_fields[[field]]
    if (is.null(value)) fail(field, "a value; it is missing")
    if (kind == "named") {
      if (!is.list(value) || is.null(names(value)) || any(names(value) == "")) {
        fail(field, "an object of named values")
      }
      contract[[field]] <- lapply(value, unlist)
    } else {
      value <- unlist(value)
      if (!is.character(value) || length(value) == 0 || anyNA(value) ||
          (kind == "one" && length(value) != 1)) {
        fail(field, if (kind == "one") "one text value" else "a list of text values")
      }
      contract[[field]] <- value
    }
  }
  check_keys <- function(field, keys) {
    if (!setequal(names(contract[[field]]), keys)) {
      fail(field, sprintf("one entry for each of %s", paste(keys, collapse = ", ")))
    }
  }
  check_keys("language_of_nation", contract$nations)
  check_keys("human_mean_ids", contract$nations)
  if (length(contract$nations) != 2) fail("nations", "two nations")
  if (length(contract$foundations) != 6) fail("foundations", "six foundations")
  if (!setequal(contract$foundation_figure_order, contract$foundations)) {
    fail("foundation_figure_order", "the foundations in another order")
  }
  if (!all(unlist(contract$language_of_nation) %in% contract$languages)) {
    fail("language_of_nation", sprintf("languages among %s",
                                       paste(contract$languages, collapse = ", ")))
  }
  contract
}

read_contract <- function(derived_dir) {
  path <- file.path(derived_dir, "manifest.json")
  if (!file.exists(path)) {
    stop(sprintf("%s not found (run `moralign similarity` first)", path), call. = FALSE)
  }
  validate_contract(jsonlite::read_json(path)$contract, path)
}

default_contract <- function() {
  validate_contract(jsonlite::read_json(default_contract_path), default_contract_path)
}

contract_state <- new.env(parent = emptyenv())

# Makes `contract` the one study_contract() returns; returns the previous one.
use_contract <- function(contract) {
  previous <- contract_state$current
  contract_state$current <- contract
  invisible(previous)
}

study_contract <- function() {
  if (is.null(contract_state$current)) contract_state$current <- default_contract()
  contract_state$current
}

# The first nation (China) is coded +0.5 / TRUE throughout the analysis.
first_nation <- function() study_contract()$nations[[1]]
second_nation <- function() study_contract()$nations[[2]]
nation_gap_label <- function() paste(first_nation(), "-", second_nation())
no_persona <- function() study_contract()$no_persona
nothing_removed <- function() study_contract()$nothing_removed
human_mean_id <- function(nation) study_contract()$human_mean_ids[[nation]]
own_language <- function(nation) unname(unlist(study_contract()$language_of_nation)[nation])
mfq2_foundation_of <- function(item) {
  contract <- study_contract()
  factor(contract$foundations[(item - 1) %% 6 + 1], levels = contract$foundation_figure_order)
}

# ---- Keys a contract may lack (manifests written before the study file carried them) -----------

# Every LLM origin of the study (may hold more than the compared pair).
study_origins <- function(contract = study_contract()) {
  origins <- if (is.null(contract$origins)) contract$allowed_values$llm_origin else contract$origins
  unique(c(contract$nations, unlist(origins)))
}

# "Chinese" for "China"; the nation's own name when the contract has no adjective for it.
nation_adjective <- function(nation, contract = study_contract()) {
  adjectives <- unlist(contract$nation_adjectives)
  unname(ifelse(nation %in% names(adjectives), adjectives[nation], nation))
}

# The study's models as a tibble (llm, display_name, origin, maker); maker is NA when unknown.
# A contract without `models` gives no rows: makers are then unknown for every LLM.
study_models <- function(contract = study_contract()) {
  models <- contract$models
  empty <- tibble::tibble(llm = character(), display_name = character(), origin = character(),
                          maker = character())
  if (is.null(models) || length(models) == 0) return(empty)
  text <- function(model, field) {
    value <- model[[field]]
    if (is.null(value) || length(value) == 0) NA_character_ else as.character(value[[1]])
  }
  rows <- purrr::map_dfr(seq_along(models), function(i) {
    model <- models[[i]]
    if (is.na(text(model, "id"))) {
      stop(sprintf("contract field `models`: entry %d has no `id`", i), call. = FALSE)
    }
    tibble::tibble(llm = text(model, "id"), display_name = text(model, "display_name"),
                   origin = text(model, "origin"), maker = text(model, "maker"))
  })
  dplyr::bind_rows(empty, rows)
}

# Who made each LLM of the study (character vector named by LLM id, NA where unknown).
study_makers <- function(contract = study_contract()) {
  models <- study_models(contract)
  stats::setNames(models$maker, models$llm)
}

# What the items of an instrument group into for its per-unit tables and figures: MFQ-2 items
# into its foundations (foundation_rule), any other instrument's items stand alone.
item_unit <- function(instrument) if (instrument == "mfq2") "foundation" else "item"

# The unit each item belongs to (item_unit()): its foundation, or "Q<item>".
unit_of_item <- function(item, instrument) {
  if (item_unit(instrument) == "foundation") mfq2_foundation_of(item) else paste0("Q", item)
}

unit_axis_label <- function(instrument, removed = FALSE) {
  label <- if (item_unit(instrument) == "foundation") "Foundation" else "Question"
  if (removed) paste(label, "removed") else if (label == "Question") "Item" else label
}

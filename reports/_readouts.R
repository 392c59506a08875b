# The chapter "Readouts and repetition reliability": the tables `moralign collect export` writes
# beside newly collected answers, read from every export folder directly under the results folder.

# An export folder: results/<name>/ holding llm_repetition_reliability.csv (every export writes it).
readout_folders <- function() {
  folders <- list.dirs(RESULTS_DIR, recursive = FALSE)
  sort(folders[file.exists(file.path(folders, "llm_repetition_reliability.csv"))])
}

# One table stacked over the export folders that hold `file`, with the folder's shown path.
read_exported <- function(folders, file) {
  tables <- lapply(folders, function(folder) {
    table <- read_csv_file(file.path(folder, file))
    if (is.null(table) || nrow(table) == 0) return(NULL)
    cbind(folder = shown_path(folder), table)
  })
  tables <- Filter(Negate(is.null), tables)
  if (length(tables) == 0) NULL else do.call(rbind, tables)
}

# What each export folder's study says about itself (its study.json, written beside the export):
# a study of a tiny model says so there, and its numbers then show the machinery only.
export_descriptions <- function(folders) {
  lines <- vapply(folders, function(folder) {
    study <- read_json_file(file.path(folder, STUDY_SUMMARY))
    if (is.null(study$description)) return(NA_character_)
    sprintf("- **`%s`** (study %s): %s", shown_path(folder), study$title %||% study$name,
            study$description)
  }, "")
  lines[!is.na(lines)]
}

how_to_export_note <- function() {
  paste0(
    missing_note(file.path(RESULTS_DIR, "demo", "llm_repetition_reliability.csv"), "make demo"),
    "\n`make demo` asks a tiny local model the demo study's items, sampled and read from its ",
    "log-probabilities, and exports into `results/demo/`. Any folder `results/<name>/` that ",
    "`moralign collect export --out results/<name>` wrote is shown here.\n"
  )
}

agreement_table <- function(agreement) {
  data.frame(
    Folder = agreement$folder,
    `Sampled model` = agreement$sampled_model,
    `Logprob readout` = agreement$logprob_model,
    Instrument = instrument_label(agreement$instrument),
    `r (expected rating, sampled mean)` = agreement$pearson_r,
    `Mean absolute difference (scale points)` = agreement$mean_abs_diff,
    Cells = agreement$cells,
    check.names = FALSE
  )
}

reliability_table <- function(reliability) {
  data.frame(
    Folder = reliability$folder,
    Model = reliability$model,
    Instrument = instrument_label(reliability$instrument),
    Language = reliability$language,
    Persona = reliability$persona,
    Items = reliability$items,
    Repetitions = reliability$repetitions,
    `Mean item SD (scale points)` = reliability$mean_item_sd,
    `Split-half r` = reliability$split_half_r,
    `Spearman-Brown reliability` = reliability$split_half_reliability,
    check.names = FALSE
  )
}

# `x`, with its missing values taken from `y`.
`%|%` <- function(x, y) ifelse(is.na(x), y, x)

OKABE_ITO <- c("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#F0E442", "#0072B2", "#D55E00")

# Expected rating (logprob readout) against the mean sampled answer, one point per item x
# language x persona cell, one panel per sampled model; the diagonal is perfect agreement.
plot_readout_cells <- function(cells) {
  cells$panel <- paste0(cells$sampled_model, " (", cells$folder, ")")
  limits <- range(c(cells$sampled_mean, cells$expected_rating))
  plot <- ggplot2::ggplot(cells, ggplot2::aes(x = .data$sampled_mean, y = .data$expected_rating,
                                              colour = .data$language)) +
    ggplot2::geom_abline(slope = 1, intercept = 0, colour = "grey50", linetype = "dashed") +
    ggplot2::geom_point(size = 2.5, alpha = 0.8,
                        position = ggplot2::position_jitter(width = 0.04, height = 0, seed = 1)) +
    ggplot2::facet_wrap(ggplot2::vars(.data$panel)) +
    ggplot2::coord_equal(xlim = limits, ylim = limits) +
    ggplot2::scale_colour_manual(values = OKABE_ITO, name = "Prompt language") +
    ggplot2::labs(x = "Mean of the sampled valid answers", y = "Expected rating (logprob readout)") +
    ggplot2::theme_minimal(base_size = 14) +
    ggplot2::theme(legend.position = "top")
  print(plot)
}

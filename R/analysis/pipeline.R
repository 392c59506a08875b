# One instrument from derived tables to result tables and figures.

# mixed: the mixed models and LLM-level tests; measures: the other similarity measures and the
# country placement (measures.R). Without both, what the study's own scripts compute.
# settings: sesoi_fraction and sesoi (absolute, or NULL), see equivalence.R.
analyse_instrument <- function(derived_dir, results_dir, instrument, mixed = TRUE,
                               measures = TRUE, settings = default_settings()) {
  use_background_jobs()
  not_possible <- not_possible_analyses(derived_dir, instrument)
  if ("rq1" %in% not_possible$analysis) {
    record_not_possible(not_possible, results_dir, instrument)
    return(invisible(NULL))
  }
  if (!has_derived(derived_dir, instrument, "rq1")) {
    message(sprintf("skipping %s: no derived tables at %s (run `moralign similarity`%s)",
                    instrument, file.path(derived_dir, instrument),
                    if (instrument == "wvs7") " with the WVS wave 7 file" else ""))
    return(invisible(NULL))
  }
  previous <- use_contract(read_contract(derived_dir))
  on.exit(use_contract(previous), add = TRUE)
  write <- function(table, name) write_result(table, results_dir, instrument, name)
  figure <- function(plot, name, ...) {
    save_figure(plot, results_dir, paste0(instrument, "_", name), ...)
  }
  lmm <- list(diagnostics = list(), selection = list(), variance_components = list())
  # Writes a mixed model's coefficients and, given the OLS table, the side-by-side table; keeps
  # its diagnostics.
  write_lmm <- function(selected, name, ols = NULL) {
    lmm$diagnostics[[name]] <<- lmm_diagnostics(selected, name)
    lmm$selection[[name]] <<- selected$selection
    lmm$variance_components[[name]] <<- lmm_variance_components(selected$model, name)
    table <- tidy_lmm(selected$model, name)
    write(table, name)
    if (!is.null(ols)) write(ols_vs_lmm(ols, table), sub("_lmm$", "_ols_vs_lmm", name))
  }

  zscores_file <- derived_path(derived_dir, instrument, "zscores")
  if (file.exists(zscores_file)) {
    means <- zscore_means(read_rds_table(zscores_file), instrument)
    write(means, "zscore_means")
    figure(plot_zscore_means(means, instrument), "fig2_zscores", width = 9)
  } else {
    message(sprintf("%s: no %s, figure 2 (z-scored ratings) skipped", instrument, zscores_file))
  }

  message(sprintf("%s: RQ1", instrument))
  rq1 <- read_derived(derived_dir, instrument, "rq1")
  rq1_rows <- rq1_data(rq1)
  if (!has_derived(derived_dir, instrument, "rq2")) {
    write(excluded_from_contrasts(rq1), "excluded_from_contrasts")
  }
  rq1_fit <- NULL
  rq1_cell_means <- NULL
  origin_gap <- single_origin_reason(rq1_rows)
  origins <- is.null(origin_gap)
  if (!origins) {
    not_possible <- dplyr::bind_rows(not_possible, tibble::tibble(
      analysis = c(paste(c("rq1", "rq2", "rq3", "rq3_persona"), "models"), "equivalence"),
      reason = origin_gap
    ))
  }
  ols <- if (origins) rq1_ols(rq1_rows)
  if (origins) write(ols, "rq1_ols")
  write(welch_per_llm(rq1), "welch_per_llm")
  cells <- rq1_cells(rq1)
  write(cells, "rq1_cells")
  names <- model_display_names(derived_dir)
  figure(plot_per_llm(cells, instrument, names), "fig3_per_llm", height = 7)
  if (origins && any(rq1$llm == followup_reference())) {
    write(rq1_followup_ols(rq1), "rq1_followup_ols")
  } else {
    message(sprintf("%s: no \"%s\" rows, RQ1 follow-up skipped", instrument, followup_reference()))
  }
  if (mixed && origins) {
    rq1_fit <- rq1_lmm(rq1_rows)
    write_lmm(rq1_fit, "rq1_lmm", ols)
    rq1_cell_means <- rq1_emmeans(rq1_fit$model, rq1_rows)
    rq1_cell_means$emmeans_rq1_origin_within_nationality <- with_primary_origin_within_nationality(
      rq1_cell_means$emmeans_rq1_origin_within_nationality, rq1_rows, study_makers()
    )
    purrr::iwalk(rq1_cell_means, write)
    write(rq1_per_llm_lmm(rq1_rows), "emmeans_rq1_nationality_within_llm")
  }

  if (has_derived(derived_dir, instrument, "rq2")) {
    message(sprintf("%s: RQ2", instrument))
    rq2 <- read_derived(derived_dir, instrument, "rq2")
    rq2_rows <- rq2_data(rq2)
    write(excluded_from_contrasts(rq1, rq2), "excluded_from_contrasts")
    if (origins) {
      ols <- rq2_ols(rq2_rows)
      write(ols, "rq2_ols")
    }
    rq2_cell_table <- with_origin_cells_over_llms(rq2_cells(rq2),
                                                  c("language", "persona", "nationality"))
    write(rq2_cell_table, "rq2_cells")
    figure(plot_language_persona(rq2_cell_table, instrument, names), "fig4_language_persona",
           width = 11, height = 7)
    if (mixed && origins) {
      fit <- rq2_lmm(rq2_rows, study_makers())
      lmm$diagnostics$rq2_lmm <- rq2_lmm_diagnostics(fit)
      lmm$selection$rq2_lmm <- rq2_lmm_selection(fit)
      lmm$variance_components$rq2_lmm <- rq2_variance_components(fit)
      write(fit$table, "rq2_lmm")
      write(ols_vs_lmm(ols, dplyr::filter(fit$table, .data$paper_term)), "rq2_ols_vs_lmm")
      purrr::iwalk(rq2_emmeans(fit), write)
    }
  } else {
    message(sprintf("%s: no rq2 table, RQ2 skipped", instrument))
  }

  if (has_derived(derived_dir, instrument, "rq3")) {
    message(sprintf("%s: RQ3", instrument))
    rq3_rows <- rq3_data(read_derived(derived_dir, instrument, "rq3"))
    ols <- if (origins) rq3_ols(rq3_rows)
    if (origins) write(ols, "rq3_ols")
    change_scores <- rq3_change_scores(rq3_rows)
    changes <- rq3_mean_change(rq3_rows, change_scores)
    write(changes, "rq3_mean_change")
    change_cell_means <- NULL
    if (mixed && origins) {
      full_rows <- dplyr::filter(rq3_rows, .data$removed == nothing_removed())
      none_fit <- if (same_cosines(rq1_rows, full_rows)) {
        rq1_fit
      }
      fit <- rq3_lmm(rq3_rows, none_fit, changes = change_scores)
      lmm$diagnostics$rq3_lmm <- fit$diagnostics
      lmm$selection$rq3_lmm <- fit$selection
      lmm$variance_components$rq3_lmm <- fit$variance_components
      write(fit$coefficients, "rq3_lmm")
      write(rq3_ols_vs_lmm(ols, fit$coefficients), "rq3_ols_vs_lmm")
      change_cell_means <- fit$change_cells
      write(change_cell_means, "emmeans_rq3_change_cells")
    }
    figure(plot_removal_change(figure5_cells(changes, change_cell_means), instrument),
           "fig5_removal_change", width = 10)
  } else {
    message(sprintf("%s: no rq3 table, RQ3 skipped", instrument))
  }

  if (has_derived(derived_dir, instrument, "rq3_persona")) {
    message(sprintf("%s: RQ3 with personas", instrument))
    rows <- rq3_data(read_derived(derived_dir, instrument, "rq3_persona"))
    if (origins) write(rq3_ols(rows, "rq3_persona_ols"), "rq3_persona_ols")
    write(rq3_mean_change(rows), "rq3_persona_mean_change")
  } else {
    message(sprintf("%s: no rq3_persona table, RQ3 with personas skipped", instrument))
  }

  if (mixed) {
    level <- llm_level(rq1_rows, if (has_derived(derived_dir, instrument, "rq2")) rq2_rows,
                       if (has_derived(derived_dir, instrument, "rq3")) rq3_rows,
                       makers = study_makers())
    purrr::iwalk(level, write)
    if (origins) {
      sesoi <- smallest_effect_of_interest(llm_level_inputs(rq1_rows)$rq1$crossed,
                                           settings$sesoi_fraction, settings$sesoi)
      write(equivalence_table(level$llm_level, sesoi), "equivalence")
    }
    if (length(lmm$diagnostics) > 0) {
      write(dplyr::bind_rows(lmm$diagnostics), "lmm_diagnostics")
      write(dplyr::bind_rows(lmm$selection), "lmm_selection")
      write(dplyr::bind_rows(lmm$variance_components), "lmm_variance_components")
    }
  }
  record_not_possible(not_possible, results_dir, instrument)
  if (measures) analyse_measures(derived_dir, results_dir, instrument)
  if (measures) analyse_yardsticks(derived_dir, results_dir, instrument)
  wait_for_background()
  invisible(figure1_cells(cells, rq1_cell_means$emmeans_rq1_cells))
}

# Why the models of origin cannot be fitted (the compared LLMs come from fewer than two of the
# compared nations), or NULL when they can.
single_origin_reason <- function(rq1_rows) {
  nations <- study_contract()$nations
  origins <- intersect(nations, unique(rq1_rows$llm_origin))
  if (length(origins) >= 2) return(NULL)
  sprintf("the LLMs compared come from %s only; the models of origin need LLMs from each of %s",
          if (length(origins) == 0) "no compared nation" else paste(origins, collapse = ", "),
          paste(nations, collapse = " and "))
}

# Says, and writes to <instrument>/not_possible.csv, which analyses the study cannot support and
# why; removes the table of an earlier run when every analysis is possible.
record_not_possible <- function(not_possible, results_dir, instrument) {
  if (nrow(not_possible) == 0) {
    unlink(file.path(results_dir, instrument, "not_possible.csv"))
    return(not_possible)
  }
  for (i in seq_len(nrow(not_possible))) {
    message(sprintf("%s: %s not possible, skipped: %s", instrument, not_possible$analysis[i],
                    not_possible$reason[i]))
  }
  write_result(not_possible, results_dir, instrument, "not_possible")
  not_possible
}

same_cosines <- function(a, b) {
  nrow(a) == nrow(b) && isTRUE(all.equal(sort(a$cosine), sort(b$cosine)))
}

# Runs every instrument found, then the figure that spans instruments.
analyse_all <- function(derived_dir, results_dir, instruments = c("mfq2", "wvs7"),
                        mixed = TRUE, measures = TRUE, settings = default_settings()) {
  use_background_jobs()
  start_results_manifest()
  if (!dir.exists(derived_dir)) {
    stop(sprintf("derived folder not found: %s (run `moralign similarity` first)", derived_dir),
         call. = FALSE)
  }
  cells <- list()
  for (instrument in instruments) {
    result <- analyse_instrument(derived_dir, results_dir, instrument, mixed, measures,
                                 settings)
    if (!is.null(result)) cells[[instrument]] <- result
  }
  if (length(cells) == 0) {
    reasons <- unlist(lapply(instruments, function(instrument) {
      marked <- not_possible_analyses(derived_dir, instrument)
      sprintf("%s rq1: %s", instrument, marked$reason[marked$analysis == "rq1"])
    }))
    stop(sprintf("no derived tables for %s under %s%s", paste(instruments, collapse = ", "),
                 derived_dir, paste0("; not possible: ", reasons, collapse = "")), call. = FALSE)
  }
  previous <- use_contract(read_contract(derived_dir))
  on.exit(use_contract(previous), add = TRUE)
  all_cells <- dplyr::bind_rows(cells, .id = "instrument")
  save_figure(plot_origin_by_nationality(all_cells), results_dir, "fig1_origin_by_nationality")
  readr::write_csv(package_versions(), file.path(results_dir, "package_versions.csv"))
  if (measures) analyse_placement(derived_dir, results_dir, instruments)
  if (measures) {
    for (instrument in instruments) analyse_centrality(derived_dir, results_dir, instrument)
  }
  if (mixed && settings$calibration_sets > 0) {
    readr::write_csv(calibration_table(settings$calibration_sets),
                     file.path(results_dir, "calibration.csv"), na = "")
    record_written("", "calibration")
  }
  wait_for_background()
  write_results_manifest(derived_dir, results_dir, settings)
  invisible(names(cells))
}

# What run.R can set: the smallest effect of interest (equivalence.R) and how many simulated data
# sets the calibration table gets (0: none; simulate.R).
default_settings <- function() {
  list(sesoi_fraction = default_sesoi_fraction, sesoi = NULL,
       calibration_sets = 0)
}

package_versions <- function() {
  packages <- c("lme4", "lmerTest", "emmeans", "pbkrtest", "performance", "dplyr", "ggplot2")
  tibble::tibble(
    package = c("R", packages),
    version = c(paste(R.version$major, R.version$minor, sep = "."),
                vapply(packages, function(p) as.character(utils::packageVersion(p)), ""))
  )
}

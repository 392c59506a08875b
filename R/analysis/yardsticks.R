# Against what? Noise ceilings and baseline responders beside the LLMs. Reads the tables of
# `moralign similarity` (python/collect/similarity/ceilings.py, baselines.py).

# One row per measure and LLM group (all LLMs, then each origin): the mean over LLMs of the
# nationality gap (China minus USA) on the ceiling-relative scale, with a 95% t interval over
# LLMs (df = n_LLM - 1), beside the mean gap on the measure's own scale.
ceiling_gap_summary <- function(ceiling_gap) {
  llms <- dplyr::filter(ceiling_gap, !.data$is_human_mean)
  groups <- dplyr::bind_rows(dplyr::mutate(llms, llm_group = "all"),
                             dplyr::mutate(llms, llm_group = .data$llm_origin))
  groups |>
    dplyr::group_by(.data$metric, .data$scale, .data$llm_group) |>
    dplyr::summarise(
      n_llms = dplyr::n(),
      mean_gap_raw = mean(.data$gap_raw),
      half_width = stats::qt(0.975, dplyr::n() - 1) * stats::sd(.data$gap_relative) /
        sqrt(dplyr::n()),
      mean_gap_relative = mean(.data$gap_relative),
      n_llms_closer_to_usa = sum(.data$gap_relative < 0),
      .groups = "drop"
    ) |>
    dplyr::mutate(conf_low = .data$mean_gap_relative - .data$half_width,
                  conf_high = .data$mean_gap_relative + .data$half_width) |>
    dplyr::select(-"half_width")
}

analyse_yardsticks <- function(derived_dir, results_dir, instrument) {
  write <- function(table, name) write_result(table, results_dir, instrument, name)
  read <- function(name) read_rds_table(derived_path(derived_dir, instrument, name))
  for (name in c("noise_ceilings", "ceiling_relative", "ceiling_gap", "baseline_gaps")) {
    if (has_derived(derived_dir, instrument, name)) write(read(name), name)
  }
  if (has_derived(derived_dir, instrument, "ceiling_gap")) {
    write(ceiling_gap_summary(read("ceiling_gap")), "ceiling_gap_summary")
  }
  invisible(NULL)
}

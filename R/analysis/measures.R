# Across measures and countries: LLM-level tests of the nationality gap under every similarity
# measure, coherence, foundation contributions, language consistency, country placement figures.
# Reads the measure tables of `moralign similarity` (python/collect/similarity/measure_tables.py).

# Per-LLM gap (China minus USA respondents; larger similarity = closer, so a positive gap means
# closer to the Chinese respondents) of one measure, LLMs only.
llm_gaps <- function(metric_llm) {
  metric_llm |>
    dplyr::filter(!.data$is_human_mean) |>
    dplyr::select("metric", "llm", "llm_origin", "nationality", "similarity") |>
    dplyr::filter(.data$nationality %in% study_contract()$nations) |>
    tidyr::pivot_wider(names_from = "nationality", values_from = "similarity") |>
    dplyr::mutate(gap = .data[[first_nation()]] - .data[[second_nation()]])
}

# Mean similarity per LLM x nationality and measure, with a 95% t interval over respondents for
# pair measures (profile measures have one value per group and no interval).
rq1_cells_by_metric <- function(metric_llm) {
  metric_llm |>
    dplyr::mutate(
      se = .data$sd / sqrt(.data$n),
      conf_low = .data$similarity - stats::qt(0.975, .data$n - 1) * .data$se,
      conf_high = .data$similarity + stats::qt(0.975, .data$n - 1) * .data$se
    ) |>
    dplyr::select("metric", "kind", "llm", "llm_origin", "is_human_mean", "nationality", "n",
                  mean = "similarity", "sd", "se", "conf_low", "conf_high")
}

# One row per measure. origin_x_nationality: the LLM-level model gap ~ origin with origin coded
# +0.5 (Chinese LLM) / -0.5 (American LLM); its slope is the difference of the mean gaps of
# Chinese and American LLMs, the respondent nationality x LLM origin interaction of RQ1 on the
# measure's scale, tested on n_LLM - 2 df.
# The primary test (origin_tests()) takes the maker as the unit where makers are known.
metric_sensitivity <- function(metric_llm, measures, makers = study_makers()) {
  gaps <- dplyr::filter(llm_gaps(metric_llm), .data$llm_origin %in% study_contract()$nations)
  rows <- lapply(split(gaps, gaps$metric), function(g) {
    values <- matrix(g$gap, dimnames = list(g$llm, "origin_x_nationality"))
    tests <- origin_tests(values, g$llm_origin == first_nation(), makers)
    interval <- t_interval(tests$estimate, tests$std_error, tests$df)
    tibble::tibble(
      metric = g$metric[1],
      mean_gap = mean(g$gap),
      n_llms_closer_to_china = sum(g$gap > 0),
      n_llms = nrow(g),
      origin_x_nationality = tests$estimate,
      std_error = tests$std_error,
      df = tests$df,
      p_value = tests$p_value,
      conf_low = interval$low,
      conf_high = interval$high
    ) |>
      dplyr::bind_cols(dplyr::select(tests, dplyr::starts_with("primary_"), "p_primary"))
  })
  dplyr::bind_rows(rows) |>
    dplyr::left_join(dplyr::select(measures, "metric", "label", "kind", "scale", "description"),
                     by = "metric") |>
    dplyr::arrange(match(.data$metric, measures$metric))
}

# Mean over LLMs of each unit's contribution to the gap, with a t interval (df n_LLM - 1).
unit_contributions <- function(contributions) {
  contributions |>
    dplyr::filter(!.data$is_human_mean) |>
    dplyr::group_by(.data$unit) |>
    dplyr::summarise(
      n_llms = dplyr::n(),
      contribution_china = mean(.data$contribution_china),
      contribution_usa = mean(.data$contribution_usa),
      half_width = stats::qt(0.975, dplyr::n() - 1) * stats::sd(.data$contribution_to_gap) /
        sqrt(dplyr::n()),
      contribution_to_gap = mean(.data$contribution_to_gap),
      .groups = "drop"
    ) |>
    dplyr::mutate(conf_low = .data$contribution_to_gap - .data$half_width,
                  conf_high = .data$contribution_to_gap + .data$half_width) |>
    dplyr::select(-"half_width")
}

analyse_measures <- function(derived_dir, results_dir, instrument) {
  if (!has_derived(derived_dir, instrument, "metric_llm")) {
    message(sprintf("%s: no metric_llm table, measure sensitivity skipped", instrument))
    return(invisible(NULL))
  }
  write <- function(table, name) write_result(table, results_dir, instrument, name)
  read <- function(name) read_rds_table(derived_path(derived_dir, instrument, name))
  metric_llm <- read("metric_llm")
  write(rq1_cells_by_metric(metric_llm), "rq1_cells_by_metric")
  write(metric_sensitivity(metric_llm, read("measures")), "metric_sensitivity")
  write(read("coherence"), "coherence")
  write(read("alignment"), "coherence_alignment")
  contributions <- unit_contributions(read("contributions"))
  unit <- item_unit(instrument)
  write(dplyr::rename(contributions, !!unit := "unit"), paste0(unit, "_contributions"))
  consistency <- read("consistency")
  write(consistency, "language_consistency")
  names <- model_display_names(derived_dir)
  save_figure(plot_language_consistency(consistency, instrument, names), results_dir,
              paste0(instrument, "_fig_language_consistency"), height = 6)
  invisible(NULL)
}

plot_language_consistency <- function(consistency, instrument, names = character()) {
  languages <- study_contract()$languages
  data <- dplyr::mutate(consistency, label = display_label(.data$llm, names)) |>
    dplyr::arrange(.data$pearson)
  data$label <- factor(data$label, levels = data$label)
  ggplot2::ggplot(data, ggplot2::aes(.data$pearson, .data$label, colour = .data$llm_origin)) +
    ggplot2::geom_point(size = 2.5) +
    ggplot2::scale_colour_manual(values = nation_colours()) +
    ggplot2::labs(title = sprintf("%s: agreement of each LLM's %s answers",
                                  instrument_labels()[[instrument]],
                                  paste(languages, collapse = " and ")),
                  x = sprintf("Pearson r of item means, %s (no persona)",
                              paste(languages, collapse = " vs ")), y = NULL,
                  colour = "LLM made in") +
    theme_moralign()
}

display_label <- function(llm, names) {
  ifelse(llm %in% names(names), unname(names[llm]), llm)
}

# ---- placement among countries ----------------------------------------------------------------

# maps' region names for the countries the reference files spell differently.
map_region_names <- c(Columbia = "Colombia", UAE = "United Arab Emirates")

analyse_placement <- function(derived_dir, results_dir, instruments) {
  for (instrument in instruments) {
    if (!has_derived(derived_dir, instrument, "placement")) next
    write <- function(table, name) write_result(table, results_dir, instrument, name)
    read <- function(name) read_rds_table(derived_path(derived_dir, instrument, name))
    placement <- read("placement")
    write(placement, "country_placement")
    write(read("country_profiles"), "country_profiles")
    if (has_derived(derived_dir, instrument, "invariance")) {
      write(read("invariance"), "invariance_atari2023")
    }
    names <- model_display_names(derived_dir)
    save_figure(plot_country_heatmap(placement, instrument, names), results_dir,
                paste0(instrument, "_fig_country_heatmap"), width = 12, height = 7)
    save_figure(plot_country_map(placement, instrument), results_dir,
                paste0(instrument, "_fig_country_map"), width = 11, height = 5.5)
  }
  invisible(NULL)
}

# Similarity (cosine of z-scores) of each LLM's no-persona answers, averaged over the two prompt
# languages, to each country.
no_persona_similarity <- function(placement) {
  placement |>
    dplyr::filter(.data$metric == "cosine_z", .data$persona == no_persona()) |>
    dplyr::group_by(.data$llm, .data$llm_origin, .data$country) |>
    dplyr::summarise(similarity = mean(.data$similarity), .groups = "drop")
}

# The row names of `matrix` in the order of their clustering (as they are when fewer than two).
clustered_order <- function(matrix) {
  if (nrow(matrix) < 2) return(rownames(matrix))
  rownames(matrix)[stats::hclust(stats::dist(matrix))$order]
}

plot_country_heatmap <- function(placement, instrument, names = character()) {
  data <- no_persona_similarity(placement)
  wide <- tidyr::pivot_wider(data, id_cols = "llm", names_from = "country",
                             values_from = "similarity")
  matrix <- as.matrix(wide[, -1])
  rownames(matrix) <- wide$llm
  llm_order <- clustered_order(matrix)
  country_order <- clustered_order(t(matrix))
  data$label <- factor(display_label(data$llm, names), levels = display_label(llm_order, names))
  data$country <- factor(data$country, levels = country_order)
  study <- data$country %in% study_contract()$nations
  ggplot2::ggplot(data, ggplot2::aes(.data$country, .data$label, fill = .data$similarity)) +
    ggplot2::geom_tile() +
    ggplot2::scale_fill_viridis_c() +
    ggplot2::labs(title = sprintf(
      "%s: similarity of each LLM to each country (cosine of z-scores, no persona)",
      instrument_labels()[[instrument]]),
      subtitle = sprintf("Rows and columns ordered by hierarchical clustering; %s outlined",
                         paste(study_contract()$nations, collapse = " and ")),
      x = NULL, y = NULL, fill = "Cosine") +
    theme_moralign() +
    ggplot2::theme(axis.text.x = ggplot2::element_text(angle = 60, hjust = 1)) +
    ggplot2::geom_tile(data = data[study, ], fill = NA, colour = "white", linewidth = 0.6,
                       width = 1, height = 1)
}

plot_country_map <- function(placement, instrument) {
  means <- no_persona_similarity(placement) |>
    dplyr::group_by(.data$country) |>
    dplyr::summarise(similarity = mean(.data$similarity), .groups = "drop") |>
    dplyr::mutate(region = dplyr::coalesce(unname(map_region_names[.data$country]),
                                           .data$country))
  if (!requireNamespace("maps", quietly = TRUE)) {
    stop("the world map needs the R package maps (Debian: r-cran-maps)", call. = FALSE)
  }
  world <- ggplot2::map_data("world")
  unmatched <- setdiff(means$region, world$region)
  if (length(unmatched) > 0) {
    stop(sprintf("countries not on the world map: %s", paste(unmatched, collapse = ", ")),
         call. = FALSE)
  }
  world <- dplyr::left_join(world, means, by = "region")
  ggplot2::ggplot(world, ggplot2::aes(.data$long, .data$lat, group = .data$group,
                                      fill = .data$similarity)) +
    ggplot2::geom_polygon(colour = "grey60", linewidth = 0.05) +
    ggplot2::coord_quickmap(ylim = c(-56, 84)) +
    ggplot2::scale_fill_viridis_c(na.value = "grey92") +
    ggplot2::labs(title = sprintf(
      "%s: similarity of the average LLM to each country (cosine of z-scores, no persona)",
      instrument_labels()[[instrument]]), x = NULL, y = NULL, fill = "Mean cosine") +
    theme_moralign() +
    ggplot2::theme(axis.text = ggplot2::element_blank(), axis.ticks = ggplot2::element_blank(),
                   panel.grid = ggplot2::element_blank())
}

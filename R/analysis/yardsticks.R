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
  for (name in c("noise_ceilings", "ceiling_relative", "ceiling_gap", "baseline_gaps",
                 "shuffle_mean_test")) {
    if (has_derived(derived_dir, instrument, name)) write(read(name), name)
  }
  if (has_derived(derived_dir, instrument, "ceiling_gap")) {
    write(ceiling_gap_summary(read("ceiling_gap")), "ceiling_gap_summary")
  }
  if (has_derived(derived_dir, instrument, "shuffle_tests")) {
    write(adjust_shuffle_tests(read("shuffle_tests")), "shuffle_tests")
  }
  if (has_derived(derived_dir, instrument, "baseline_gaps")) {
    save_figure(plot_baseline_gaps(read("baseline_gaps"), read("measures"), instrument),
                results_dir, paste0(instrument, "_fig_baseline_gaps"), width = 10, height = 6)
  }
  if (has_derived(derived_dir, instrument, "metric_llm_invariant")) {
    write(invariant_items_headline(read("metric_llm"), read("metric_llm_invariant"),
                                   read("measures")), "invariant_items_headline")
  }
  invisible(NULL)
}

# The per-LLM permutation tests of each measure form one family: Holm over the LLMs.
adjust_shuffle_tests <- function(shuffle_tests) {
  shuffle_tests |>
    dplyr::group_by(.data$metric) |>
    dplyr::mutate(p_adjusted = stats::p.adjust(.data$p_value, method = "holm"),
                  family = paste("shuffle tests,", .data$metric), adjust = "holm") |>
    dplyr::ungroup()
}

# Every responder type's gap (first minus second nation) under each measure: the mean over its
# profiles and the range of their middle 95%, the LLMs and human means among them.
plot_baseline_gaps <- function(baseline_gaps, measures, instrument) {
  data <- baseline_gaps |>
    dplyr::left_join(dplyr::select(measures, "metric", "label"), by = "metric") |>
    dplyr::mutate(label = factor(.data$label, levels = measures$label),
                  is_model = .data$responder_type %in% c("llm", "human_mean"))
  ggplot2::ggplot(data, ggplot2::aes(.data$mean_gap, .data$responder_type,
                                     colour = .data$is_model)) +
    ggplot2::geom_vline(xintercept = 0, colour = "grey60") +
    ggplot2::geom_pointrange(ggplot2::aes(xmin = .data$gap_low, xmax = .data$gap_high)) +
    ggplot2::facet_wrap(ggplot2::vars(.data$label), scales = "free_x") +
    ggplot2::scale_colour_manual(values = c(`FALSE` = "grey45", `TRUE` = "black"),
                                 labels = c(`FALSE` = "baseline responder",
                                            `TRUE` = "LLMs / human means"), name = NULL) +
    ggplot2::labs(
      title = sprintf("%s: the nationality gap of baseline responders and of the LLMs",
                      instrument_labels()[[instrument]]),
      x = sprintf("Similarity gap, %s (each measure's own scale)", nation_gap_label()),
      y = NULL,
      caption = paste("Points: mean over the profiles of each type; bars: their 2.5th to",
                      "97.5th percentiles\n(a spread of profiles, not a confidence interval).",
                      "Constant profiles have no correlation.")) +
    theme_moralign()
}

# The LLM-level headline of every measure (metric_sensitivity) on all items and on the items
# worded alike in both prompt languages, one row per measure and item set.
invariant_items_headline <- function(metric_llm, metric_llm_invariant, measures) {
  dplyr::bind_rows(
    dplyr::mutate(metric_sensitivity(metric_llm, measures), items = "all"),
    dplyr::mutate(metric_sensitivity(metric_llm_invariant, measures), items = "invariant")
  ) |>
    dplyr::relocate("items", .after = "metric") |>
    dplyr::arrange(match(.data$metric, measures$metric), .data$items)
}

# ---- the world's centre -----------------------------------------------------------------------

# Mean over LLMs with a 95% t interval (df = n - 1), by LLM group (all, then each origin).
llm_group_means <- function(data, value, by = character()) {
  groups <- dplyr::bind_rows(dplyr::mutate(data, llm_group = "all"),
                             dplyr::mutate(data, llm_group = .data$llm_origin))
  groups |>
    dplyr::group_by(dplyr::across(dplyr::all_of(c(by, "llm_group")))) |>
    dplyr::summarise(
      n_llms = dplyr::n(),
      estimate = mean(.data[[value]]),
      std_error = stats::sd(.data[[value]]) / sqrt(dplyr::n()),
      n_llms_positive = sum(.data[[value]] > 0),
      .groups = "drop"
    ) |>
    dplyr::mutate(df = .data$n_llms - 1,
                  conf_low = .data$estimate - stats::qt(0.975, .data$df) * .data$std_error,
                  conf_high = .data$estimate + stats::qt(0.975, .data$df) * .data$std_error,
                  p_value = 2 * stats::pt(-abs(.data$estimate / .data$std_error), .data$df))
}

# Whether the LLMs (no persona) are closer to the USA than to the world mean profile: the mean
# over LLMs of usa_minus_world per measure and prompt language.
usa_versus_world <- function(centrality_llms) {
  llm_group_means(centrality_llms, "usa_minus_world", c("metric", "language")) |>
    dplyr::rename(mean_usa_minus_world = "estimate", n_llms_closer_to_usa = "n_llms_positive")
}

# Across countries (the second compared nation, the USA, left out): each LLM's similarity to a country (no persona, mean of
# its two prompt languages) regressed on the country's centrality (similarity to the other
# countries' mean) and its similarity to the USA, both standardised over the countries, under
# one measure. Two fits per LLM group: `mean_over_llms` regresses the group's mean similarity
# (df = n_countries - 3); `per_llm` fits every LLM and takes the mean of its coefficients with a t
# interval over LLMs (df = n_LLM - 1).
centrality_regression <- function(placement, centrality_countries, metric = "cosine_z") {
  reference <- second_nation()
  countries <- centrality_countries |>
    dplyr::filter(.data$metric == !!metric, .data$country != reference) |>
    dplyr::mutate(centrality = as.numeric(scale(.data$similarity_to_world)),
                  usa_similarity = as.numeric(scale(.data$similarity_to_usa)))
  rho <- stats::cor(countries$centrality, countries$usa_similarity)
  llm_country <- placement |>
    dplyr::filter(.data$metric == !!metric, .data$persona == no_persona()) |>
    dplyr::group_by(.data$llm, .data$llm_origin, .data$country) |>
    dplyr::summarise(similarity = mean(.data$similarity), .groups = "drop") |>
    dplyr::inner_join(dplyr::select(countries, "country", "centrality", "usa_similarity"),
                      by = "country")
  formula <- similarity ~ centrality + usa_similarity
  groups <- c("all", sort(unique(llm_country$llm_origin)))
  pooled <- lapply(groups, function(group) {
    rows <- if (group == "all") llm_country else
      dplyr::filter(llm_country, .data$llm_origin == group)
    means <- rows |>
      dplyr::group_by(.data$country, .data$centrality, .data$usa_similarity) |>
      dplyr::summarise(similarity = mean(.data$similarity), .groups = "drop")
    model <- stats::lm(formula, data = means)
    coefficients <- summary(model)$coefficients
    interval <- stats::confint(model)
    tibble::tibble(fit = "mean_over_llms", llm_group = group, term = rownames(coefficients),
                   estimate = unname(coefficients[, "Estimate"]),
                   std_error = unname(coefficients[, "Std. Error"]), df = model$df.residual,
                   conf_low = unname(interval[, 1]), conf_high = unname(interval[, 2]),
                   p_value = unname(coefficients[, "Pr(>|t|)"]),
                   n_llms = dplyr::n_distinct(rows$llm),
                   r_squared = summary(model)$r.squared)
  })
  slopes <- llm_country |>
    dplyr::group_by(.data$llm, .data$llm_origin) |>
    dplyr::group_modify(function(rows, key) {
      coefficients <- stats::coef(stats::lm(formula, data = rows))
      tibble::tibble(term = names(coefficients), slope = unname(coefficients))
    }) |>
    dplyr::ungroup()
  per_llm <- llm_group_means(slopes, "slope", "term") |>
    dplyr::transmute(fit = "per_llm", .data$llm_group, .data$term, .data$estimate,
                     .data$std_error, .data$df, .data$conf_low, .data$conf_high, .data$p_value,
                     .data$n_llms, r_squared = NA_real_)
  dplyr::bind_rows(pooled, per_llm) |>
    dplyr::mutate(metric = metric, n_countries = nrow(countries),
                  predictor_correlation = rho, .before = 1)
}

analyse_centrality <- function(derived_dir, results_dir, instrument) {
  if (!has_derived(derived_dir, instrument, "centrality_llms")) return(invisible(NULL))
  write <- function(table, name) write_result(table, results_dir, instrument, name)
  read <- function(name) read_rds_table(derived_path(derived_dir, instrument, name))
  write(read("world_profile"), "world_profile")
  countries <- read("centrality_countries")
  llms <- read("centrality_llms")
  write(countries, "centrality_countries")
  write(llms, "centrality_llms")
  write(usa_versus_world(llms), "centrality_usa_vs_world")
  write(centrality_regression(read("placement"), countries), "centrality_regression")
  invisible(NULL)
}

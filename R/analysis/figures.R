# Figures of the paper (docs/methods.md section 5), drawn from the result tables.

# Okabe-Ito, colour-blind safe: the first nation orange, the second blue.
nation_colours <- function() {
  stats::setNames(c("#D55E00", "#0072B2"), study_contract()$nations)
}

instrument_labels <- function() unlist(study_contract()$instrument_labels)

theme_moralign <- function() {
  ggplot2::theme_minimal(base_size = 11) +
    ggplot2::theme(legend.position = "bottom", panel.grid.minor = ggplot2::element_blank())
}

# Writes the PNG (possibly in the background: see background.R) and, beside it, the plotted data
# as CSV with the figure's note on its intervals (`interval_note`, the caption drawn under the
# plot) for the book's captions.
save_figure <- function(plot, results_dir, name, width = 8, height = 5) {
  folder <- file.path(results_dir, "figures")
  dir.create(folder, recursive = TRUE, showWarnings = FALSE)
  path <- file.path(folder, paste0(name, ".png"))
  run_in_background(function() {
    ggplot2::ggsave(path, plot, width = width, height = height, dpi = 150, bg = "white")
  }, path)
  note <- if (is.null(plot$labels$caption)) "" else plot$labels$caption
  data <- dplyr::mutate(plot$data, interval_note = note)
  readr::write_csv(data, file.path(folder, paste0(name, ".csv")), na = "")
  invisible(path)
}

# One line per kind of interval in `data` (its `interval` column, codes of interval_sources)
# with the df it uses, for a figure's caption; `model` names the mixed model.
interval_note <- function(data, model = "") {
  kinds <- intersect(names(interval_sources), unique(data$interval))
  lines <- vapply(kinds, function(kind) {
    rows <- data[data$interval == kind, , drop = FALSE]
    source <- sub("the mixed model", paste("the", model, "mixed model"),
                  interval_sources[[kind]], fixed = TRUE)
    method <- if (!"df_method" %in% names(rows)) "" else
      paste0(paste(unique(stats::na.omit(rows$df_method)), collapse = "/"), " ")
    finite <- rows$df[is.finite(rows$df)]
    if (length(finite) == 0) return(sprintf("95%% CI %s: too few units for any", source))
    df <- range(finite)
    df_text <- if (diff(df) < 0.05) fmt_df_value(df[1]) else
      paste(fmt_df_value(df[1]), "to", fmt_df_value(df[2]))
    sprintf("95%% CI %s; %sdf %s%s", source, method, df_text,
            if (length(finite) < nrow(rows)) " (none where too few units)" else "")
  }, character(1))
  paste(lines, collapse = "\n")
}

fmt_df_value <- function(df) {
  if (df >= 100 || abs(df - round(df)) < 1e-9) format(round(df), big.mark = ",") else
    formatC(df, format = "f", digits = 1)
}

# Figure 1's cells, one per LLM origin x respondent nationality: the RQ1 mixed model's
# estimated cell means when given (`emmeans_cells`, emmeans_rq1_cells), otherwise the origin
# cells of rq1_cells() (intervals over LLMs).
figure1_cells <- function(cells, emmeans_cells = NULL) {
  if (is.null(emmeans_cells)) {
    return(cells |>
             dplyr::filter(.data$level == "origin") |>
             dplyr::select("llm_origin", "nationality", "mean", "df", "conf_low", "conf_high",
                           "interval"))
  }
  emmeans_cells |>
    dplyr::transmute(llm_origin = .data$chinese_origin, nationality = .data$chinese_participant,
                     mean = .data$estimate, df = .data$df, df_method = .data$df_method,
                     conf_low = .data$conf_low, conf_high = .data$conf_high,
                     interval = "mixed_model")
}

# Figure 1: cosine by LLM origin x respondent nationality, one panel per instrument (rows of
# figure1_cells() with an `instrument` column).
plot_origin_by_nationality <- function(cells) {
  cells |>
    dplyr::mutate(instrument = instrument_labels()[.data$instrument]) |>
    ggplot2::ggplot(ggplot2::aes(x = .data$llm_origin, y = .data$mean,
                                 colour = .data$nationality)) +
    ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$conf_low, ymax = .data$conf_high),
                             position = ggplot2::position_dodge(width = 0.4)) +
    ggplot2::facet_wrap(~instrument) +
    ggplot2::scale_colour_manual(values = nation_colours()) +
    ggplot2::labs(title = "Similarity of LLM answers to respondents, by LLM origin",
                  x = "LLM made in", y = "Mean cosine similarity (95% CI)",
                  colour = "Respondents from", caption = interval_note(cells, "RQ1")) +
    theme_moralign()
}

# Figure 2: mean z-scored rating by MFQ-2 foundation or WVS item, humans vs LLMs. The sampled
# units are respondents and LLMs, not ratings: each respondent's (LLM's) mean over the unit's
# items (and, for LLMs, both prompt languages) first, then a t interval over respondents (LLMs),
# df = n - 1, with `n` the number of respondents (LLMs).
zscore_means <- function(zscores, instrument) {
  zscores |>
    dplyr::mutate(unit = unit_of_item(.data$item, instrument)) |>
    dplyr::filter(.data$persona == no_persona()) |>
    dplyr::group_by(.data$who, .data$group, .data$unit, .data$id) |>
    dplyr::summarise(z = mean(.data$z), .groups = "drop") |>
    dplyr::group_by(.data$who, .data$group, .data$unit) |>
    summarise_mean_ci(.data$z)
}

zscore_interval_note <- function(means) {
  df <- function(who) {
    paste(vapply(unique(means$df[means$who == who]), fmt_df_value, ""), collapse = "/")
  }
  sprintf(paste("95%% CI over respondents (each one's mean rating of the unit; t, df %s) and",
                "over LLMs (each one's mean over the unit and both languages; t, df %s)"),
          df("human"), df("llm"))
}

plot_zscore_means <- function(means, instrument) {
  means |>
    dplyr::mutate(who = ifelse(.data$who == "human", "Respondents", "LLMs")) |>
    ggplot2::ggplot(ggplot2::aes(x = .data$unit, y = .data$mean, colour = .data$group,
                                 shape = .data$who)) +
    ggplot2::geom_hline(yintercept = 0, colour = "grey60") +
    ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$conf_low, ymax = .data$conf_high),
                             position = ggplot2::position_dodge(width = 0.6)) +
    ggplot2::scale_colour_manual(values = nation_colours()) +
    ggplot2::labs(title = sprintf("%s: mean z-scored rating, respondents and LLMs",
                                  instrument_labels()[[instrument]]),
                  x = unit_axis_label(instrument),
                  y = "Mean z-scored rating (95% CI)",
                  colour = "Nationality / LLM origin", shape = NULL,
                  caption = zscore_interval_note(means)) +
    theme_moralign() +
    ggplot2::theme(axis.text.x = ggplot2::element_text(angle = 45, hjust = 1))
}

# Mean cosine (x) per LLM (y) with 95% CIs, coloured by respondent nationality. `names` maps
# model ids to display names (ids without one are shown as they are).
plot_llm_pointranges <- function(rows, title, size = 0.5, names = character()) {
  ggplot2::ggplot(rows, ggplot2::aes(x = .data$mean, y = .data$llm,
                                     colour = .data$nationality)) +
    ggplot2::geom_pointrange(ggplot2::aes(xmin = .data$conf_low, xmax = .data$conf_high),
                             position = ggplot2::position_dodge(width = 0.5), size = size) +
    ggplot2::scale_y_discrete(labels = function(ids) display_name(ids, names)) +
    ggplot2::scale_colour_manual(values = nation_colours()) +
    ggplot2::labs(title = title, x = "Mean cosine similarity (95% CI)", y = NULL,
                  colour = "Respondents from", caption = interval_note(rows)) +
    theme_moralign()
}

display_name <- function(ids, names) {
  ifelse(ids %in% names(names), names[ids], ids)
}

# Chinese LLMs first, alphabetically, then American LLMs, then the human means.
llm_display_order <- function(cells) {
  llms <- dplyr::distinct(cells, .data$llm, .data$llm_origin, .data$is_human_mean)
  llms <- llms[order(llms$is_human_mean, llms$llm_origin != first_nation(), tolower(llms$llm)), ]
  llms$llm
}

# Figure 3: per-LLM mean cosine to Chinese vs American respondents, with the human means.
plot_per_llm <- function(cells, instrument, names = character()) {
  rows <- dplyr::filter(cells, .data$level == "llm")
  rows |>
    dplyr::mutate(llm = factor(.data$llm, levels = rev(llm_display_order(rows)))) |>
    plot_llm_pointranges(sprintf("%s: similarity of each LLM to each nationality",
                                 instrument_labels()[[instrument]]), names = names)
}

# Figure 4: per-LLM cosine by prompt language x persona, by respondent nationality.
plot_language_persona <- function(cells, instrument, names = character()) {
  rows <- cells |>
    dplyr::mutate(llm = ifelse(.data$level == "origin",
                               paste("All LLMs from", .data$llm_origin), .data$llm),
                  condition = paste(.data$language, "/", .data$persona, "persona"))
  order <- c(sort(unique(rows$llm[rows$level == "llm" & rows$llm_origin == first_nation()])),
             sort(unique(rows$llm[rows$level == "llm" & rows$llm_origin == second_nation()])),
             paste("All LLMs from", study_contract()$nations))
  rows |>
    dplyr::mutate(llm = factor(.data$llm, levels = rev(order))) |>
    plot_llm_pointranges(sprintf("%s: similarity by prompt language and persona",
                                 instrument_labels()[[instrument]]), size = 0.2, names = names) +
    ggplot2::facet_wrap(~condition, nrow = 1)
}

# Figure 5's cells: the RQ3 change models' estimated cell means when given (`model_cells`,
# rq3_lmm()$change_cells), otherwise rq3_mean_change() (intervals over LLMs).
figure5_cells <- function(changes, model_cells = NULL) {
  if (is.null(model_cells)) {
    return(dplyr::select(changes, "removed", "llm_origin", "nationality", "mean_change", "df",
                         "conf_low", "conf_high", "interval"))
  }
  model_cells |>
    dplyr::transmute(removed = .data$removed, llm_origin = .data$llm_origin,
                     nationality = .data$nationality, mean_change = .data$estimate,
                     df = .data$df, df_method = .data$df_method, conf_low = .data$conf_low,
                     conf_high = .data$conf_high, interval = .data$interval)
}

# Figure 5: change in cosine when each foundation / question is removed (figure5_cells()).
plot_removal_change <- function(changes, instrument) {
  changes |>
    dplyr::mutate(removed = factor(.data$removed, levels = unique(.data$removed)),
                  cell = paste("LLMs from", .data$llm_origin)) |>
    ggplot2::ggplot(ggplot2::aes(x = .data$removed, y = .data$mean_change,
                                 colour = .data$nationality)) +
    ggplot2::geom_hline(yintercept = 0, colour = "grey60") +
    ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$conf_low, ymax = .data$conf_high),
                             position = ggplot2::position_dodge(width = 0.5)) +
    ggplot2::facet_wrap(~cell) +
    ggplot2::scale_colour_manual(values = nation_colours()) +
    ggplot2::labs(title = sprintf("%s: change in similarity when one part is removed",
                                  instrument_labels()[[instrument]]),
                  x = unit_axis_label(instrument, removed = TRUE),
                  y = "Mean change in cosine (95% CI)", colour = "Respondents from",
                  caption = interval_note(changes, "RQ3 change")) +
    theme_moralign() +
    ggplot2::theme(axis.text.x = ggplot2::element_text(angle = 45, hjust = 1))
}

# Figures of the paper (docs/methods.md section 5), drawn from the result tables.

nation_colours <- c(China = "#D55E00", USA = "#0072B2") # Okabe-Ito, colour-blind safe

instrument_labels <- c(mfq2 = "MFQ-2", wvs7 = "WVS-7")

theme_moralign <- function() {
  ggplot2::theme_minimal(base_size = 11) +
    ggplot2::theme(legend.position = "bottom", panel.grid.minor = ggplot2::element_blank())
}

save_figure <- function(plot, results_dir, name, width = 8, height = 5) {
  folder <- file.path(results_dir, "figures")
  dir.create(folder, recursive = TRUE, showWarnings = FALSE)
  path <- file.path(folder, paste0(name, ".png"))
  ggplot2::ggsave(path, plot, width = width, height = height, dpi = 150, bg = "white")
  invisible(path)
}

# Figure 1: cosine by LLM origin x respondent nationality, one panel per instrument.
plot_origin_by_nationality <- function(cells) {
  cells |>
    dplyr::filter(.data$level == "origin") |>
    dplyr::mutate(instrument = instrument_labels[.data$instrument]) |>
    ggplot2::ggplot(ggplot2::aes(x = .data$llm_origin, y = .data$mean,
                                 colour = .data$nationality)) +
    ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$conf_low, ymax = .data$conf_high),
                             position = ggplot2::position_dodge(width = 0.4)) +
    ggplot2::facet_wrap(~instrument) +
    ggplot2::scale_colour_manual(values = nation_colours) +
    ggplot2::labs(title = "Similarity of LLM answers to respondents, by LLM origin",
                  x = "LLM made in", y = "Mean cosine similarity (95% CI)",
                  colour = "Respondents from") +
    theme_moralign()
}

# Figure 2: mean z-scored rating by MFQ-2 foundation or WVS item, humans vs LLMs.
zscore_means <- function(zscores, instrument) {
  grouped <- if (instrument == "mfq2") {
    dplyr::mutate(zscores, unit = mfq2_foundation_of(.data$item))
  } else {
    dplyr::mutate(zscores, unit = paste0("Q", .data$item))
  }
  grouped |>
    dplyr::filter(.data$persona == "none") |>
    dplyr::group_by(.data$who, .data$group, .data$unit) |>
    dplyr::summarise(mean_ci(.data$z), .groups = "drop")
}

mfq2_foundation_of <- function(item) {
  factor(c("Care", "Equality", "Proportionality", "Loyalty", "Authority", "Purity")[
    (item - 1) %% 6 + 1],
    levels = c("Care", "Equality", "Proportionality", "Authority", "Loyalty", "Purity"))
}

plot_zscore_means <- function(means, instrument) {
  means |>
    dplyr::mutate(who = ifelse(.data$who == "human", "Respondents", "LLMs")) |>
    ggplot2::ggplot(ggplot2::aes(x = .data$unit, y = .data$mean, colour = .data$group,
                                 shape = .data$who)) +
    ggplot2::geom_hline(yintercept = 0, colour = "grey60") +
    ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$conf_low, ymax = .data$conf_high),
                             position = ggplot2::position_dodge(width = 0.6)) +
    ggplot2::scale_colour_manual(values = nation_colours) +
    ggplot2::labs(title = sprintf("%s: mean z-scored rating, respondents and LLMs",
                                  instrument_labels[[instrument]]),
                  x = if (instrument == "mfq2") "Foundation" else "Item",
                  y = "Mean z-scored rating (95% CI)",
                  colour = "Nationality / LLM origin", shape = NULL) +
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
    ggplot2::scale_colour_manual(values = nation_colours) +
    ggplot2::labs(title = title, x = "Mean cosine similarity (95% CI)", y = NULL,
                  colour = "Respondents from") +
    theme_moralign()
}

display_name <- function(ids, names) {
  ifelse(ids %in% names(names), names[ids], ids)
}

# Chinese LLMs first, alphabetically, then American LLMs, then the human means.
llm_display_order <- function(cells) {
  llms <- dplyr::distinct(cells, .data$llm, .data$llm_origin, .data$is_human_mean)
  llms <- llms[order(llms$is_human_mean, llms$llm_origin != "China", tolower(llms$llm)), ]
  llms$llm
}

# Figure 3: per-LLM mean cosine to Chinese vs American respondents, with the human means.
plot_per_llm <- function(cells, instrument, names = character()) {
  rows <- dplyr::filter(cells, .data$level == "llm")
  rows |>
    dplyr::mutate(llm = factor(.data$llm, levels = rev(llm_display_order(rows)))) |>
    plot_llm_pointranges(sprintf("%s: similarity of each LLM to each nationality",
                                 instrument_labels[[instrument]]), names = names)
}

# Figure 4: per-LLM cosine by prompt language x persona, by respondent nationality.
plot_language_persona <- function(cells, instrument, names = character()) {
  rows <- cells |>
    dplyr::mutate(llm = ifelse(.data$level == "origin",
                               paste("All LLMs from", .data$llm_origin), .data$llm),
                  condition = paste(.data$language, "/", .data$persona, "persona"))
  order <- c(sort(unique(rows$llm[rows$level == "llm" & rows$llm_origin == "China"])),
             sort(unique(rows$llm[rows$level == "llm" & rows$llm_origin == "USA"])),
             "All LLMs from China", "All LLMs from USA")
  rows |>
    dplyr::mutate(llm = factor(.data$llm, levels = rev(order))) |>
    plot_llm_pointranges(sprintf("%s: similarity by prompt language and persona",
                                 instrument_labels[[instrument]]), size = 0.2, names = names) +
    ggplot2::facet_wrap(~condition, nrow = 1)
}

# Figure 5: change in cosine when each foundation / question is removed.
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
    ggplot2::scale_colour_manual(values = nation_colours) +
    ggplot2::labs(title = sprintf("%s: change in similarity when one part is removed",
                                  instrument_labels[[instrument]]),
                  x = if (instrument == "mfq2") "Foundation removed" else "Question removed",
                  y = "Mean change in cosine (95% CI)", colour = "Respondents from") +
    theme_moralign() +
    ggplot2::theme(axis.text.x = ggplot2::element_text(angle = 45, hjust = 1))
}

# Helpers of the chapter "Across measures and countries": sentences and tables computed from the
# result tables of R/analysis/measures.R (nothing is refitted here).

STUDY_NATIONS <- c("China", "USA")

# Which conclusions hold under every measure and which depend on it, as sentences.
measure_dependence <- function(sensitivity) {
  n <- nrow(sensitivity)
  towards_usa <- sensitivity$mean_gap < 0
  all_usa <- sensitivity$n_llms_closer_to_china == 0
  significant <- sensitivity$p_value < 0.05
  list_of <- function(rows) {
    if (!any(rows)) return("none")
    paste(sensitivity$label[rows], collapse = "; ")
  }
  c(
    sprintf(paste("- **Direction of the average gap.** The average LLM is closer to the American",
                  "respondents under %d of the %d measures (%s) and closer to the Chinese",
                  "respondents under %d (%s)."),
            sum(towards_usa), n, list_of(towards_usa), sum(!towards_usa), list_of(!towards_usa)),
    sprintf(paste("- **\"Every LLM is closer to the Americans.\"** This holds under %d of the %d",
                  "measures (%s). Under the others the number of LLMs closer to the Chinese",
                  "respondents is %s."),
            sum(all_usa), n, list_of(all_usa),
            if (all(all_usa)) "zero as well" else paste(sprintf(
              "%d of %d (%s)", sensitivity$n_llms_closer_to_china[!all_usa],
              sensitivity$n_llms[!all_usa], sensitivity$label[!all_usa]), collapse = ", ")),
    sprintf(paste("- **Chinese vs American LLMs.** The LLM-level origin × nationality difference",
                  "is significant at .05 (uncorrected, %d tests) under %d of the %d measures",
                  "(%s); its p values range from %s to %s."),
            n, sum(significant), n, list_of(significant), fmt_p(min(sensitivity$p_value)),
            fmt_p(max(sensitivity$p_value)))
  )
}

sensitivity_display <- function(sensitivity) {
  data.frame(
    Measure = sensitivity$label,
    Kind = sensitivity$kind,
    Scale = sensitivity$scale,
    `Mean gap (China − USA)` = fmt_num(sensitivity$mean_gap),
    `LLMs closer to China` = sprintf("%d of %d", sensitivity$n_llms_closer_to_china,
                                     sensitivity$n_llms),
    `Origin × nationality` = fmt_num(sensitivity$origin_x_nationality),
    `95% CI` = sprintf("[%s, %s]", fmt_num(sensitivity$conf_low), fmt_num(sensitivity$conf_high)),
    df = fmt_int(sensitivity$df),
    p = fmt_p(sensitivity$p_value),
    check.names = FALSE
  )
}

# The human-mean pseudo-LLM of China as coherence x alignment with each nationality.
human_mean_rows <- function(alignment, reference = "Human mean, China") {
  rows <- alignment[alignment$llm == reference, , drop = FALSE]
  rows[match(STUDY_NATIONS, rows$nationality), , drop = FALSE]
}

human_mean_explanation <- function(alignment) {
  rows <- human_mean_rows(alignment)
  if (nrow(rows) != 2 || anyNA(rows$llm)) return("(the human-mean rows are not available)")
  china <- rows[1, ]
  usa <- rows[2, ]
  sprintf(paste(
    "The \"Human mean, China\" row is the Chinese respondents' own mean profile. Its alignment",
    "with the Chinese respondents' mean direction is %s, almost perfect, but the Chinese",
    "respondents' coherence is only %s, so its mean cosine with them is %s × %s = %s. With the",
    "American respondents its alignment is lower, %s, but their coherence is %s, so its mean",
    "cosine with them is %s × %s = %s, %s. The Chinese respondents point in more different",
    "directions from one another than the Americans do, and a mean cosine with a group cannot",
    "exceed the group's coherence: whatever is compared with a less coherent group scores lower",
    "against it."),
    fmt_cos(china$alignment), fmt_cos(china$coherence), fmt_cos(china$coherence),
    fmt_cos(china$alignment), fmt_cos(china$mean_cosine), fmt_cos(usa$alignment),
    fmt_cos(usa$coherence), fmt_cos(usa$coherence), fmt_cos(usa$alignment),
    fmt_cos(usa$mean_cosine),
    if (usa$mean_cosine > china$mean_cosine) "higher than with the Chinese respondents" else
      "not higher than with the Chinese respondents")
}

# Alignment of the LLMs (not the human means) with each nationality's mean direction.
alignment_summary <- function(alignment) {
  llms <- alignment[!as.logical(alignment$is_human_mean), , drop = FALSE]
  wide <- stats::reshape(llms[, c("llm", "nationality", "alignment")], idvar = "llm",
                         timevar = "nationality", direction = "wide")
  list(n = nrow(wide), closer_china = sum(wide$alignment.China > wide$alignment.USA),
       mean_china = mean(wide$alignment.China), mean_usa = mean(wide$alignment.USA))
}

# The foundation contributions beside RQ3's leave-one-out change in the gap (change with China's
# respondents minus change with the USA's, averaged over the two LLM origins).
contributions_beside_removal <- function(contributions, change) {
  removal <- NULL
  if (!is.null(change)) {
    by_nation <- tapply(change$mean_change, list(change$removed, change$nationality), mean)
    removal <- by_nation[, "China"] - by_nation[, "USA"]
  }
  data.frame(
    Foundation = contributions$foundation,
    `Contribution to the gap` = fmt_num(contributions$contribution_to_gap),
    `95% CI (t, df = n LLM − 1)` = sprintf("[%s, %s]", fmt_num(contributions$conf_low),
                                          fmt_num(contributions$conf_high)),
    `Contribution, China` = fmt_num(contributions$contribution_china),
    `Contribution, USA` = fmt_num(contributions$contribution_usa),
    `Change in gap when removed (RQ3)` = if (is.null(removal)) "" else
      fmt_num(removal[contributions$foundation]),
    check.names = FALSE
  )
}

# Rank of China and of the USA among all countries, per language x persona, summarised over LLMs.
study_nation_ranks <- function(placement, metric = "cosine_z") {
  rows <- placement[placement$metric == metric & placement$country %in% STUDY_NATIONS, ]
  out <- stats::aggregate(rank ~ language + persona + country, data = rows,
                          FUN = function(r) c(median = stats::median(r), best = min(r),
                                              first = sum(r == 1)))
  out <- cbind(out[, 1:3], as.data.frame(out$rank))
  out <- out[order(match(out$persona, c("none", "China", "USA")), out$language, out$country), ]
  data.frame(
    Language = out$language, Persona = out$persona, Country = out$country,
    `Median rank` = fmt_num(out$median, 1), `Best rank` = fmt_int(out$best),
    `LLMs ranking it first` = fmt_int(out$first),
    check.names = FALSE
  )
}

# The five countries nearest the average LLM (no persona, mean over LLMs and both languages).
nearest_countries <- function(placement, metric = "cosine_z", persona = "none", n = 5) {
  rows <- placement[placement$metric == metric & placement$persona == persona, ]
  means <- sort(tapply(rows$similarity, rows$country, mean), decreasing = TRUE)
  utils::head(means, n)
}

nearest_text <- function(placement, metric = "cosine_z", persona = "none") {
  top <- nearest_countries(placement, metric, persona)
  paste(sprintf("%s (%s)", names(top), fmt_cos(top)), collapse = ", ")
}

# Does the persona "You are from X" move LLMs towards X among all countries? Mean rank and
# similarity of China and the USA under each persona.
persona_shift <- function(placement, metric = "cosine_z") {
  rows <- placement[placement$metric == metric & placement$country %in% STUDY_NATIONS, ]
  out <- stats::aggregate(cbind(rank, similarity) ~ persona + country, data = rows, FUN = mean)
  out[order(match(out$persona, c("none", "China", "USA")), out$country), ]
}

# Median rank of China and the USA under each pair measure, no persona.
ranks_by_measure <- function(placement, labels) {
  rows <- placement[placement$persona == "none" & placement$country %in% STUDY_NATIONS, ]
  medians <- stats::aggregate(rank ~ metric + country, data = rows, FUN = stats::median)
  wide <- stats::reshape(medians, idvar = "metric", timevar = "country", direction = "wide")
  wide <- wide[order(match(wide$metric, names(labels))), ]
  data.frame(Measure = ifelse(wide$metric %in% names(labels), labels[wide$metric], wide$metric),
             `Median rank of China` = fmt_num(wide$rank.China, 1),
             `Median rank of the USA` = fmt_num(wide$rank.USA, 1), check.names = FALSE)
}

persona_shift_display <- function(shift) {
  data.frame(Persona = shift$persona, Country = shift$country,
             `Mean rank` = fmt_num(shift$rank, 1), `Mean similarity` = fmt_cos(shift$similarity),
             check.names = FALSE)
}

persona_shift_text <- function(shift, n_countries) {
  get <- function(persona, country, column) {
    shift[[column]][shift$persona == persona & shift$country == country]
  }
  sprintf(paste(
    "Without persona, China's mean rank among the %d countries is %s and the USA's %s. With the",
    "persona \"You are from China\" China's mean rank becomes %s (similarity %s → %s) and the",
    "USA's %s (similarity %s → %s): the persona %s."),
    n_countries, fmt_num(get("none", "China", "rank"), 1), fmt_num(get("none", "USA", "rank"), 1),
    fmt_num(get("China", "China", "rank"), 1), fmt_cos(get("none", "China", "similarity")),
    fmt_cos(get("China", "China", "similarity")), fmt_num(get("China", "USA", "rank"), 1),
    fmt_cos(get("none", "USA", "similarity")), fmt_cos(get("China", "USA", "similarity")),
    paste(
      if (get("China", "China", "rank") <= 3) "moves the LLMs to China among all countries" else if
        (get("China", "China", "rank") < get("none", "China", "rank"))
        "moves the LLMs towards China, though China stays behind most other countries," else
          "does not bring the LLMs closer to China among the countries,",
      if (get("China", "USA", "rank") <= get("none", "USA", "rank"))
        "and does not move them away from the USA" else "and moves them away from the USA"))
}

# Foundation means of China and the USA (the release's respondents) among the 19 countries.
foundation_profile_display <- function(profiles) {
  wide <- stats::reshape(profiles[, c("country", "unit", "mean")], idvar = "country",
                         timevar = "unit", direction = "wide")
  names(wide) <- sub("^mean\\.", "", names(wide))
  wide <- wide[order(!wide$country %in% STUDY_NATIONS, wide$country), ]
  wide[-1] <- lapply(wide[-1], fmt_num, digits = 2)
  names(wide)[1] <- "Country"
  wide
}

purity_text <- function(invariance, profiles) {
  purity <- invariance[invariance$foundation == "Purity", ]
  others <- invariance[invariance$foundation != "Purity", ]
  ranges <- sort(tapply(profiles$mean, profiles$unit, function(m) max(m) - min(m)),
                 decreasing = TRUE)
  place <- match("Purity", names(ranges))
  sprintf(paste(
    "Atari et al. (2023, Table 6) found %s%% of the Purity intercepts non-invariant across",
    "countries, against %s%% to %s%% for the other foundations: Purity means are the least",
    "comparable across countries. Among the %d countries here Purity's means span %s scale",
    "points, the %s range of the six foundations (Care: %s): differences between countries",
    "in Purity, which weigh on every placement below, are partly differences in how the items",
    "work across countries rather than in the foundation itself."),
    fmt_num(purity$pct_noninvariant_intercepts, 1),
    fmt_num(min(others$pct_noninvariant_intercepts), 1),
    fmt_num(max(others$pct_noninvariant_intercepts), 1), length(unique(profiles$country)),
    fmt_num(ranges[["Purity"]], 2),
    c("largest", "second largest", "third largest", "fourth largest", "fifth largest",
      "smallest")[place], fmt_num(ranges[["Care"]], 2))
}

consistency_display <- function(consistency) {
  out <- data.frame(
    LLM = model_names(consistency$llm),
    Origin = consistency$llm_origin,
    `Pearson r` = fmt_cos(consistency$pearson),
    `Spearman ρ` = fmt_cos(consistency$spearman),
    check.names = FALSE
  )
  if ("gap_all_items" %in% names(consistency)) {
    out$`Gap, all items` <- fmt_num(consistency$gap_all_items)
    out$`Gap without items 16, 28, 34` <- fmt_num(consistency$gap_without_reworded)
  }
  out[order(consistency$pearson), ]
}

# Per LLM (no persona, cosine of z-scores): the five nearest countries and the ranks of China and
# the USA, in each prompt language.
per_llm_placement <- function(placement, metric = "cosine_z") {
  rows <- placement[placement$metric == metric & placement$persona == "none", ]
  rows <- rows[order(rows$llm, rows$language, rows$rank), ]
  cell <- function(llm, language) {
    mine <- rows[rows$llm == llm & rows$language == language, ]
    if (nrow(mine) == 0) return(c("", ""))
    c(paste(utils::head(mine$country, 5), collapse = ", "),
      sprintf("%d / %d", mine$rank[mine$country == "China"], mine$rank[mine$country == "USA"]))
  }
  llms <- unique(rows[, c("llm", "llm_origin")])
  llms <- llms[order(llms$llm_origin, llms$llm), ]
  english <- vapply(llms$llm, cell, character(2), language = "English")
  chinese <- vapply(llms$llm, cell, character(2), language = "Chinese")
  data.frame(
    LLM = model_names(llms$llm),
    Origin = llms$llm_origin,
    `Nearest five, English` = english[1, ], `China / USA rank, English` = english[2, ],
    `Nearest five, Chinese` = chinese[1, ], `China / USA rank, Chinese` = chinese[2, ],
    check.names = FALSE
  )
}

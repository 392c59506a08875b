# Helpers of the chapter "Across measures and countries": sentences and tables computed from the
# result tables of R/analysis/measures.R (nothing is refitted here).

# Which conclusions hold under every measure and which depend on it, as sentences.
measure_dependence <- function(sensitivity) {
  n <- nrow(sensitivity)
  first <- first_nation()
  second <- second_nation()
  closer_to_first <- nation_column(sensitivity, "n_llms_closer_to_", first)
  towards_second <- sensitivity$mean_gap < 0
  all_second <- closer_to_first == 0
  significant <- !is.na(sensitivity$p_primary) & sensitivity$p_primary < 0.05
  significant_llms <- !is.na(sensitivity$p_value) & sensitivity$p_value < 0.05
  units <- paste(unique(unit_words(sensitivity$primary_unit)), collapse = "/")
  list_of <- function(rows) {
    if (!any(rows)) return("none")
    paste(sensitivity$label[rows], collapse = "; ")
  }
  c(
    sprintf(paste("- **Direction of the average gap.** The average LLM is closer to the %s",
                  "respondents under %d of the %d measures (%s) and closer to the %s",
                  "respondents under %d (%s)."),
            adjective(second), sum(towards_second), n, list_of(towards_second), adjective(first),
            sum(!towards_second), list_of(!towards_second)),
    sprintf(paste("- **\"Every LLM is closer to the %s respondents.\"** This holds under %d of",
                  "the %d measures (%s). Under the others the number of LLMs closer to the %s",
                  "respondents is %s."),
            adjective(second), sum(all_second), n, list_of(all_second), adjective(first),
            if (all(all_second)) "zero as well" else paste(sprintf(
              "%d of %d (%s)", closer_to_first[!all_second],
              sensitivity$n_llms[!all_second], sensitivity$label[!all_second]), collapse = ", ")),
    if (all(is.na(sensitivity$p_primary))) {
      sprintf("- **%s vs %s LLMs.** Not possible in this study: %s.", adjective(first),
              adjective(second), sub("^not possible: ", "", sensitivity$primary_note[1]))
    } else sprintf(paste("- **%s vs %s LLMs.** By its primary test (%s as the units) the origin ×",
                  "nationality difference is significant at .05 (uncorrected, %d tests) under",
                  "%d of the %d measures (%s); its p values range from %s to %s. The LLM-level",
                  "test, which ignores makers, is significant under %d (%s)."),
            adjective(first), adjective(second), units, n, sum(significant), n,
            list_of(significant), fmt_p(min(sensitivity$p_primary)),
            fmt_p(max(sensitivity$p_primary)), sum(significant_llms), list_of(significant_llms))
  )
}

# "<first> − <second>": the direction of every gap.
gap_direction <- function() paste(first_nation(), "−", second_nation())

sensitivity_display <- function(sensitivity) {
  first <- first_nation()
  sensitivity <- with_columns(sensitivity, c(
    "mean_gap", "origin_x_nationality", "conf_low", "conf_high", "df", "p_value",
    "primary_unit", "primary_estimate", "p_primary"
  ))
  table <- data.frame(
    Measure = sensitivity$label,
    Kind = sensitivity$kind,
    Scale = sensitivity$scale,
    gap = fmt_num(sensitivity$mean_gap),
    closer = sprintf("%d of %d", nation_column(sensitivity, "n_llms_closer_to_", first),
                     sensitivity$n_llms),
    `Origin × nationality` = fmt_num(sensitivity$origin_x_nationality),
    `95% CI` = sprintf("[%s, %s]", fmt_num(sensitivity$conf_low), fmt_num(sensitivity$conf_high)),
    df = fmt_int(sensitivity$df),
    p = fmt_p(sensitivity$p_value),
    `Primary unit` = unit_words(sensitivity$primary_unit),
    `Primary estimate` = fmt_num(sensitivity$primary_estimate),
    `Primary p` = fmt_p(sensitivity$p_primary),
    check.names = FALSE
  )
  names(table)[4:5] <- c(sprintf("Mean gap (%s)", gap_direction()),
                         paste("LLMs closer to", first))
  table
}

# The first nation's human-mean pseudo-LLM as coherence x alignment with each nationality.
human_mean_rows <- function(alignment, reference = human_mean_id(first_nation())) {
  rows <- alignment[alignment$llm == reference, , drop = FALSE]
  rows[match(compared_nations(), rows$nationality), , drop = FALSE]
}

human_mean_explanation <- function(alignment) {
  rows <- human_mean_rows(alignment)
  if (nrow(rows) != 2 || anyNA(rows$llm)) return("(the human-mean rows are not available)")
  own <- rows[1, ]
  other <- rows[2, ]
  first <- adjective(first_nation())
  second <- adjective(second_nation())
  sprintf(paste(
    "The \"%s\" row is the %s respondents' own mean profile. Its alignment",
    "with the %s respondents' mean direction is %s, %s, and the %s",
    "respondents' coherence is %s, so its mean cosine with them is %s × %s = %s. With the",
    "%s respondents its alignment is %s, %s, and their coherence is %s, so its mean",
    "cosine with them is %s × %s = %s, %s. A mean cosine with a group cannot",
    "exceed the group's coherence: whatever is compared with a less coherent group scores lower",
    "against it."),
    own$llm, first, first, fmt_cos(own$alignment),
    if (own$alignment >= 0.95) "almost perfect" else "not perfect", first,
    fmt_cos(own$coherence), fmt_cos(own$coherence), fmt_cos(own$alignment),
    fmt_cos(own$mean_cosine), second,
    if (other$alignment < own$alignment) "lower" else "not lower", fmt_cos(other$alignment),
    fmt_cos(other$coherence), fmt_cos(other$coherence), fmt_cos(other$alignment),
    fmt_cos(other$mean_cosine),
    sprintf(if (other$mean_cosine > own$mean_cosine) "higher than with the %s respondents" else
      "not higher than with the %s respondents", first))
}

# Alignment of the LLMs (not the human means) with each nationality's mean direction.
alignment_summary <- function(alignment) {
  llms <- alignment[!as.logical(alignment$is_human_mean), , drop = FALSE]
  wide <- stats::reshape(llms[, c("llm", "nationality", "alignment")], idvar = "llm",
                         timevar = "nationality", direction = "wide")
  first <- wide[[paste0("alignment.", first_nation())]]
  second <- wide[[paste0("alignment.", second_nation())]]
  list(n = nrow(wide), closer_first = sum(first > second), mean_first = mean(first),
       mean_second = mean(second))
}

# The foundation contributions beside RQ3's leave-one-out change in the gap (change with the
# first nation's respondents minus change with the second's, averaged over the two LLM origins).
contributions_beside_removal <- function(contributions, change) {
  first <- first_nation()
  second <- second_nation()
  removal <- NULL
  if (!is.null(change)) {
    by_nation <- tapply(change$mean_change, list(change$removed, change$nationality), mean)
    removal <- by_nation[, first] - by_nation[, second]
  }
  table <- data.frame(
    Foundation = contributions$foundation,
    `Contribution to the gap` = fmt_num(contributions$contribution_to_gap),
    `95% CI (t, df = n LLM − 1)` = sprintf("[%s, %s]", fmt_num(contributions$conf_low),
                                          fmt_num(contributions$conf_high)),
    first = fmt_num(nation_column(contributions, "contribution_", first)),
    second = fmt_num(nation_column(contributions, "contribution_", second)),
    `Change in gap when removed (RQ3)` = if (is.null(removal)) "" else
      fmt_num(removal[contributions$foundation]),
    check.names = FALSE
  )
  names(table)[4:5] <- paste("Contribution,", c(first, second))
  table
}

# Rank of the compared nations among all countries, per language x persona, over the LLMs.
study_nation_ranks <- function(placement, metric = "cosine_z") {
  rows <- placement[placement$metric == metric & placement$country %in% compared_nations(), ]
  out <- stats::aggregate(rank ~ language + persona + country, data = rows,
                          FUN = function(r) c(median = stats::median(r), best = min(r),
                                              first = sum(r == 1)))
  out <- cbind(out[, 1:3], as.data.frame(out$rank))
  out <- out[order(persona_rank(out$persona), out$language, out$country), ]
  data.frame(
    Language = out$language, Persona = out$persona, Country = out$country,
    `Median rank` = fmt_num(out$median, 1), `Best rank` = fmt_int(out$best),
    `LLMs ranking it first` = fmt_int(out$first),
    check.names = FALSE
  )
}

# The five countries nearest the average LLM (no persona, mean over LLMs and prompt languages).
nearest_countries <- function(placement, metric = "cosine_z", persona = no_persona(), n = 5) {
  rows <- placement[placement$metric == metric & placement$persona == persona, ]
  means <- sort(tapply(rows$similarity, rows$country, mean), decreasing = TRUE)
  utils::head(means, n)
}

nearest_text <- function(placement, metric = "cosine_z", persona = no_persona()) {
  top <- nearest_countries(placement, metric, persona)
  paste(sprintf("%s (%s)", names(top), fmt_cos(top)), collapse = ", ")
}

# Does the persona of a nation move LLMs towards it among all countries? Mean rank and
# similarity of the compared nations under each persona (every persona of the study).
persona_shift <- function(placement, metric = "cosine_z") {
  rows <- placement[placement$metric == metric & placement$country %in% compared_nations(), ]
  out <- stats::aggregate(cbind(rank, similarity) ~ persona + country, data = rows, FUN = mean)
  out[order(persona_rank(out$persona), out$country), ]
}

# Median rank of the compared nations under each pair measure, no persona.
ranks_by_measure <- function(placement, labels) {
  nations <- compared_nations()
  rows <- placement[placement$persona == no_persona() & placement$country %in% nations, ]
  medians <- stats::aggregate(rank ~ metric + country, data = rows, FUN = stats::median)
  wide <- stats::reshape(medians, idvar = "metric", timevar = "country", direction = "wide")
  wide <- wide[order(match(wide$metric, names(labels))), ]
  table <- data.frame(
    Measure = ifelse(wide$metric %in% names(labels), labels[wide$metric], wide$metric),
    first = fmt_num(wide[[paste0("rank.", nations[[1]])]], 1),
    second = fmt_num(wide[[paste0("rank.", nations[[2]])]], 1), check.names = FALSE)
  names(table)[2:3] <- paste("Median rank of", nations)
  table
}

persona_shift_display <- function(shift) {
  data.frame(Persona = persona_label(shift$persona), Country = shift$country,
             `Mean rank` = fmt_num(shift$rank, 1), `Mean similarity` = fmt_cos(shift$similarity),
             check.names = FALSE)
}

persona_shift_text <- function(shift, n_countries) {
  get <- function(persona, country, column) {
    value <- shift[[column]][shift$persona == persona & shift$country == country]
    if (length(value) == 1) value else NA
  }
  none <- no_persona()
  first <- first_nation()
  second <- second_nation()
  if (anyNA(c(get(none, first, "rank"), get(first, first, "rank"), get(first, second, "rank")))) {
    return(sprintf("(the placement of %s and %s without persona and under the persona %s is not available)",
                   first, second, first))
  }
  sprintf(paste(
    "Without persona, %s's mean rank among the %d countries is %s and %s's %s. With the",
    "persona %s, %s's mean rank becomes %s (similarity %s → %s) and %s's %s",
    "(similarity %s → %s): the persona %s."),
    first, n_countries, fmt_num(get(none, first, "rank"), 1), second,
    fmt_num(get(none, second, "rank"), 1), first, first, fmt_num(get(first, first, "rank"), 1),
    fmt_cos(get(none, first, "similarity")), fmt_cos(get(first, first, "similarity")), second,
    fmt_num(get(first, second, "rank"), 1), fmt_cos(get(none, second, "similarity")),
    fmt_cos(get(first, second, "similarity")),
    paste(
      if (get(first, first, "rank") <= 3) sprintf("moves the LLMs to %s among all countries", first)
      else if (get(first, first, "rank") < get(none, first, "rank"))
        sprintf("moves the LLMs towards %s, though %s stays behind most other countries,", first,
                first) else
          sprintf("does not bring the LLMs closer to %s among the countries,", first),
      if (get(first, second, "rank") <= get(none, second, "rank"))
        sprintf("and does not move them away from %s", second) else
          sprintf("and moves them away from %s", second)))
}

# Foundation means of the study's respondents among the countries with published means.
foundation_profile_display <- function(profiles) {
  wide <- stats::reshape(profiles[, c("country", "unit", "mean")], idvar = "country",
                         timevar = "unit", direction = "wide")
  names(wide) <- sub("^mean\\.", "", names(wide))
  wide <- wide[order(!wide$country %in% compared_nations(), wide$country), ]
  wide[-1] <- lapply(wide[-1], fmt_num, digits = 2)
  names(wide)[1] <- "Country"
  wide
}

# The foundation whose intercepts are least invariant across countries (Atari et al. 2023), and
# how far its means spread among the countries here against the other foundations'.
invariance_text <- function(invariance, profiles) {
  least <- invariance[which.max(invariance$pct_noninvariant_intercepts), ]
  others <- invariance[invariance$foundation != least$foundation, ]
  ranges <- sort(tapply(profiles$mean, profiles$unit, function(m) max(m) - min(m)),
                 decreasing = TRUE)
  place <- match(least$foundation, names(ranges))
  widest <- names(ranges)[[if (place == 1) 2 else 1]]
  sprintf(paste(
    "Atari et al. (2023, Table 6) found %s%% of the %s intercepts non-invariant across",
    "countries, against %s%% to %s%% for the other foundations: %s means are the least",
    "comparable across countries. Among the %d countries here %s's means span %s scale",
    "points, rank %d of the %d foundations' ranges (%s: %s): differences between countries",
    "in %s, which weigh on every placement below, are partly differences in how the items",
    "work across countries rather than in the foundation itself."),
    fmt_num(least$pct_noninvariant_intercepts, 1), least$foundation,
    fmt_num(min(others$pct_noninvariant_intercepts), 1),
    fmt_num(max(others$pct_noninvariant_intercepts), 1), least$foundation,
    length(unique(profiles$country)), least$foundation, fmt_num(ranges[[least$foundation]], 2),
    place, length(ranges), widest, fmt_num(ranges[[widest]], 2), least$foundation)
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
    out$`Gap without the reworded items` <- fmt_num(consistency$gap_without_reworded)
  }
  out[order(consistency$pearson), ]
}

# Per LLM (no persona, cosine of z-scores): the five nearest countries and the ranks of the
# compared nations, in each prompt language.
per_llm_placement <- function(placement, metric = "cosine_z") {
  nations <- compared_nations()
  rows <- placement[placement$metric == metric & placement$persona == no_persona(), ]
  rows <- rows[order(rows$llm, rows$language, rows$rank), ]
  cell <- function(llm, language) {
    mine <- rows[rows$llm == llm & rows$language == language, ]
    if (nrow(mine) == 0) return(c("", ""))
    c(paste(utils::head(mine$country, 5), collapse = ", "),
      sprintf("%d / %d", mine$rank[mine$country == nations[[1]]],
              mine$rank[mine$country == nations[[2]]]))
  }
  llms <- unique(rows[, c("llm", "llm_origin")])
  llms <- llms[order(llms$llm_origin, llms$llm), ]
  table <- data.frame(LLM = model_names(llms$llm), Origin = llms$llm_origin, check.names = FALSE)
  for (language in placement_languages(rows$language)) {
    cells <- vapply(llms$llm, cell, character(2), language = language)
    table[[paste("Nearest five,", language)]] <- cells[1, ]
    table[[sprintf("%s / %s rank, %s", nations[[1]], nations[[2]], language)]] <- cells[2, ]
  }
  table
}

# The prompt languages of a table, in the study's order.
placement_languages <- function(languages) {
  study <- unlist(vocabulary("languages"))
  c(intersect(study, languages), setdiff(unique(languages), study))
}

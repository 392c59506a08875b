# Factor coding of the paper: +0.5 / -0.5, then centred on the analysis data.

effect_code <- function(condition) {
  if (anyNA(condition)) {
    stop("effect_code(): condition has missing values; filter the rows first", call. = FALSE)
  }
  code <- ifelse(condition, 0.5, -0.5)
  code - mean(code)
}

# The two centred values a coded variable takes, named by the level they code.
coded_levels <- function(data, variable, condition, labels = c("yes", "no")) {
  values <- c(unique(data[[variable]][condition]), unique(data[[variable]][!condition]))
  stats::setNames(values[1:2], labels)
}

# Rows of the two compared nations only: LLMs of other origins and respondents of other
# nationalities are described in the cell tables but left out of two-nation contrasts
# (excluded_from_contrasts() records them).
compared_pair_rows <- function(data) {
  nations <- study_contract()$nations
  dplyr::filter(data, .data$llm_origin %in% nations | .data$is_human_mean,
                .data$nationality %in% nations)
}

# What compared_pair_rows() leaves out of `derived`, one row per LLM or respondent group; with
# `persona_rows` (the RQ2 table), also the personas and prompt languages other than the compared
# nations' that rq2_data() leaves out.
excluded_from_contrasts <- function(derived, persona_rows = NULL) {
  nations <- study_contract()$nations
  reason <- sprintf("not of the compared pair (%s): described, not contrasted",
                    paste(nations, collapse = ", "))
  llms <- derived |>
    dplyr::filter(!.data$is_human_mean, !.data$llm_origin %in% nations) |>
    dplyr::distinct(what = "llm", id = .data$llm, nation = .data$llm_origin)
  groups <- derived |>
    dplyr::filter(!.data$nationality %in% nations) |>
    dplyr::distinct(what = "respondent nationality", id = .data$nationality,
                    nation = .data$nationality)
  conditions <- NULL
  if (!is.null(persona_rows)) {
    personas <- intersect(setdiff(study_contract()$personas, c(no_persona(), nations)),
                          unique(persona_rows$persona))
    languages <- setdiff(unique(persona_rows$language), own_language(nations))
    conditions <- tibble::tibble(
      what = c(rep("persona", length(personas)), rep("prompt language", length(languages))),
      id = c(personas, languages),
      nation = c(personas, rep(NA_character_, length(languages)))
    )
  }
  dplyr::bind_rows(tibble::tibble(what = character(), id = character(), nation = character()),
                   llms, groups, conditions) |>
    dplyr::mutate(reason = reason)
}

code_rq1_factors <- function(data) {
  data |>
    dplyr::mutate(
      chinese_participant = effect_code(.data$nationality == first_nation()),
      chinese_origin = effect_code(.data$llm_origin == first_nation())
    )
}

code_congruence_factors <- function(data) {
  for (variable in c("congruent_language", "congruent_persona", "congruent_origin")) {
    if (anyNA(data[[variable]])) {
      stop(sprintf("column `%s` has missing values in the persona rows (row %d)", variable,
                   which(is.na(data[[variable]]))[1]), call. = FALSE)
    }
  }
  data |>
    dplyr::mutate(
      congruent_language = effect_code(as.logical(.data$congruent_language)),
      congruent_persona = effect_code(as.logical(.data$congruent_persona)),
      congruent_origin = effect_code(as.logical(.data$congruent_origin))
    )
}

t_interval <- function(estimate, std_error, df, level = 0.95) {
  half <- stats::qt(1 - (1 - level) / 2, df) * std_error
  list(low = unname(estimate - half), high = unname(estimate + half))
}

# Mean with a t interval that treats the values as independent (df = n - 1).
mean_ci <- function(x, level = 0.95) {
  with_row_interval(tibble::tibble(n = length(x), mean = mean(x), sd = stats::sd(x)), level)
}

# mean_ci() of `value` within each group of a grouped `data`, one row per group.
summarise_mean_ci <- function(data, value, level = 0.95) {
  data |>
    dplyr::summarise(n = dplyr::n(), mean = mean({{ value }}), sd = stats::sd({{ value }}),
                     .groups = "drop") |>
    with_row_interval(level)
}

with_row_interval <- function(cells, level = 0.95) {
  df <- pmax(cells$n - 1, 1)
  se <- cells$sd / sqrt(cells$n)
  interval <- t_interval(cells$mean, se, df, level)
  dplyr::mutate(cells, se = se, df = df, conf_low = interval$low, conf_high = interval$high)
}

# What the `interval` column of a cell table names: where its 95% interval comes from.
interval_sources <- c(
  respondents = "of each LLM over its respondents (rows as independent, t)",
  llms = "of each origin over its LLMs (SD of the LLM means pooled over origins, t)",
  mixed_model = "from the mixed model's estimated cell means"
)

# Interval of a cell mean over LLMs: `llm_means` has one row per LLM (and per level of `by`),
# with columns `llm`, `llm_origin` and `value`. Per LLM origin within `by`: the mean of the LLM
# means, with a t interval whose SE comes from the spread of the LLM means pooled over the
# origins (df = number of LLMs - number of origins, 18 for 10 + 10; no interval with one LLM
# per origin). LLMs, not rows, are the sampled units of an origin comparison; this is the
# interval a model gives a between-LLM contrast once LLMs are a random factor.
llm_cluster_ci <- function(llm_means, by = character(), value = "mean", level = 0.95) {
  duplicated_llm <- duplicated(llm_means[c(by, "llm")])
  if (any(duplicated_llm)) {
    stop(sprintf("llm_cluster_ci(): LLM `%s` appears more than once within one cell (row %d)",
                 llm_means$llm[which(duplicated_llm)[1]], which(duplicated_llm)[1]),
         call. = FALSE)
  }
  origins <- llm_means |>
    dplyr::rename(value = dplyr::all_of(value)) |>
    dplyr::group_by(dplyr::across(dplyr::all_of(c(by, "llm_origin")))) |>
    dplyr::summarise(n_llms = dplyr::n(), mean = mean(.data$value),
                     squares = sum((.data$value - mean(.data$value))^2), .groups = "drop")
  cell <- dplyr::group_indices(dplyr::group_by(origins, dplyr::across(dplyr::all_of(by))))
  df <- stats::ave(origins$n_llms, cell, FUN = sum) - stats::ave(origins$n_llms, cell, FUN = length)
  df[df < 1] <- NA_real_ # one LLM per origin leaves no spread to estimate
  pooled_sd <- sqrt(stats::ave(origins$squares, cell, FUN = sum) / df)
  se <- pooled_sd / sqrt(origins$n_llms)
  interval <- t_interval(origins$mean, se, df, level)
  origins |>
    dplyr::select(-"squares") |>
    dplyr::mutate(sd = pooled_sd, se = se, df = df, conf_low = interval$low,
                  conf_high = interval$high)
}

# A cell table (`level` "llm" rows with per-LLM `mean` and `n`) with its `level` "origin" rows
# recomputed over the LLMs of each origin within `by` (llm_cluster_ci()). Human-mean rows, when
# present, stay among the LLM rows and are left out of the origin cells.
with_origin_cells_over_llms <- function(cells, by) {
  llm_rows <- dplyr::filter(cells, .data$level == "llm") |>
    dplyr::mutate(interval = "respondents")
  llms_only <- if ("is_human_mean" %in% names(llm_rows)) {
    dplyr::filter(llm_rows, !.data$is_human_mean)
  } else {
    llm_rows
  }
  counts <- dplyr::count(llms_only, dplyr::across(dplyr::all_of(c(by, "llm_origin"))),
                         wt = .data$n)
  origin <- llm_cluster_ci(llms_only, by) |>
    dplyr::left_join(counts, by = c(by, "llm_origin")) |>
    dplyr::mutate(level = "origin", llm = NA_character_, interval = "llms")
  if ("is_human_mean" %in% names(llm_rows)) origin$is_human_mean <- FALSE
  dplyr::bind_rows(llm_rows, origin) |>
    dplyr::relocate("level", "llm", "llm_origin")
}

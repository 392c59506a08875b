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

# The coefficient-table contract: term, estimate, std_error, statistic, df, p_value.
tidy_lm <- function(model, model_name) {
  coefs <- summary(model)$coefficients
  df <- stats::df.residual(model)
  n_obs <- stats::nobs(model)
  interval <- t_interval(coefs[, 1], coefs[, 2], df)
  tibble::tibble(
    model = model_name,
    term = rownames(coefs),
    estimate = unname(coefs[, 1]),
    std_error = unname(coefs[, 2]),
    statistic = unname(coefs[, 3]),
    df = df,
    p_value = unname(coefs[, 4]),
    conf_low = interval$low,
    conf_high = interval$high,
    n_obs = n_obs
  )
}

t_interval <- function(estimate, std_error, df, level = 0.95) {
  half <- stats::qt(1 - (1 - level) / 2, df) * std_error
  list(low = unname(estimate - half), high = unname(estimate + half))
}

# Mean with a t interval that treats the values as independent (df = n - 1).
mean_ci <- function(x, level = 0.95) {
  n <- length(x)
  se <- stats::sd(x) / sqrt(n)
  interval <- t_interval(mean(x), se, max(n - 1, 1), level)
  tibble::tibble(n = n, mean = mean(x), sd = stats::sd(x), se = se, df = max(n - 1, 1),
                 conf_low = interval$low, conf_high = interval$high)
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
  llm_means |>
    dplyr::rename(value = dplyr::all_of(value)) |>
    dplyr::group_by(dplyr::across(dplyr::all_of(by))) |>
    dplyr::group_modify(function(cell, key) {
      by_origin <- dplyr::summarise(dplyr::group_by(cell, .data$llm_origin),
                                    n_llms = dplyr::n(), mean = mean(.data$value),
                                    squares = sum((.data$value - mean(.data$value))^2))
      df <- sum(by_origin$n_llms) - nrow(by_origin)
      if (df < 1) df <- NA_real_ # one LLM per origin leaves no spread to estimate
      pooled_sd <- sqrt(sum(by_origin$squares) / df)
      se <- pooled_sd / sqrt(by_origin$n_llms)
      interval <- t_interval(by_origin$mean, se, df, level)
      tibble::tibble(llm_origin = by_origin$llm_origin, n_llms = by_origin$n_llms,
                     mean = by_origin$mean, sd = pooled_sd, se = se, df = df,
                     conf_low = interval$low, conf_high = interval$high)
    }) |>
    dplyr::ungroup()
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

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
      chinese_participant = effect_code(.data$nationality == "China"),
      chinese_origin = effect_code(.data$llm_origin == "China")
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

mean_ci <- function(x, level = 0.95) {
  n <- length(x)
  se <- stats::sd(x) / sqrt(n)
  interval <- t_interval(mean(x), se, max(n - 1, 1), level)
  tibble::tibble(n = n, mean = mean(x), sd = stats::sd(x), se = se,
                 conf_low = interval$low, conf_high = interval$high)
}

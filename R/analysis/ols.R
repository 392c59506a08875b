# OLS coefficient tables: model, term, estimate, std_error, statistic, df, p_value, conf_low,
# conf_high, n_obs.
#
# Every predictor of the paper's OLS models is a code of a categorical factor, so the rows fall
# into a few cells (at most 28, of up to 290,000 rows) within which all predictors are constant.
# The regression of the cell means weighted by the cell counts then has the same coefficients
# as the regression on the rows, and the rows' residual sum of squares is the within-cell sum
# of squares plus the weighted residual sum of squares of the cell fit. For a formula of
# columns (a response column; predictor columns, their interactions and factor() of them) the
# table equals that of stats::lm() on the rows (test-ols.R); anything else is refused.
ols_table <- function(formula, data, model_name) {
  check_ols_formula(formula, model_name)
  response <- all.vars(formula[[2]])
  predictors <- all.vars(formula[[3]])
  for (column in c(response, predictors)) {
    if (anyNA(data[[column]])) {
      stop(sprintf("%s: column `%s` has missing values (row %d)", model_name, column,
                   which(is.na(data[[column]]))[1]), call. = FALSE)
    }
  }
  cell <- dplyr::group_indices(dplyr::group_by(data[predictors], dplyr::across()))
  y <- data[[response]]
  cells <- data[match(seq_len(max(cell)), cell), predictors, drop = FALSE]
  n <- tabulate(cell)
  cell_mean <- rowsum(y, cell, reorder = TRUE)[, 1] / n
  within_squares <- sum((y - cell_mean[cell])^2)
  design <- stats::model.matrix(stats::delete.response(stats::terms(formula)), cells)
  fit <- stats::lm.wfit(design, cell_mean, n)
  if (fit$rank < ncol(design)) {
    stop(sprintf("%s: the predictors are collinear (rank %d of %d columns)", model_name,
                 fit$rank, ncol(design)), call. = FALSE)
  }
  n_obs <- sum(n)
  df <- n_obs - ncol(design)
  residual_variance <- (within_squares + sum(n * fit$residuals^2)) / df
  std_error <- sqrt(diag(chol2inv(qr.R(fit$qr)))[order(fit$qr$pivot)] * residual_variance)
  estimate <- unname(fit$coefficients)
  interval <- t_interval(estimate, std_error, df)
  tibble::tibble(
    model = model_name,
    term = colnames(design),
    estimate = estimate,
    std_error = std_error,
    statistic = estimate / std_error,
    df = df,
    p_value = 2 * stats::pt(-abs(estimate / std_error), df),
    conf_low = interval$low,
    conf_high = interval$high,
    n_obs = n_obs
  )
}

# A response column, and terms that are columns, factor() of a column, or interactions of those.
check_ols_formula <- function(formula, model_name) {
  terms <- stats::terms(formula)
  variables <- vapply(as.list(attr(terms, "variables"))[-1], deparse1, "")
  plain <- variables %in% all.vars(formula) |
    grepl("^factor\\([A-Za-z._][A-Za-z0-9._]*\\)$", variables)
  if (!is.name(formula[[2]]) || !is.null(attr(terms, "offset")) || !all(plain[-1])) {
    stop(sprintf("%s: ols_table() takes columns, factor() of columns and their interactions; ",
                 model_name), "fit `", deparse1(formula), "` with stats::lm()", call. = FALSE)
  }
}

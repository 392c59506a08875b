# OLS coefficient tables: model, term, estimate, std_error, statistic, df, p_value, conf_low,
# conf_high, n_obs.
#
# Every predictor of the paper's OLS models is a code of a categorical factor, so the rows fall
# into a few cells (at most 28, of up to 290,000 rows) within which all predictors are constant.
# The regression of the cell means weighted by the cell counts then has the same coefficients
# as the regression on the rows, and the rows' residual sum of squares is the within-cell sum
# of squares plus the weighted residual sum of squares of the cell fit. The table equals that of
# stats::lm() on the rows (test-ols.R) for any predictors; it is only quicker when rows share
# cells.
ols_table <- function(formula, data, model_name) {
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
  cells$n <- tabulate(cell)
  cells$mean <- rowsum(y, cell, reorder = TRUE)[, 1] / cells$n
  cells$squares <- rowsum((y - cells$mean[cell])^2, cell, reorder = TRUE)[, 1]
  design <- stats::model.matrix(stats::delete.response(stats::terms(formula)), cells)
  fit <- stats::lm.wfit(design, cells$mean, cells$n)
  if (fit$rank < ncol(design)) {
    stop(sprintf("%s: the predictors are collinear (rank %d of %d columns)", model_name,
                 fit$rank, ncol(design)), call. = FALSE)
  }
  n_obs <- sum(cells$n)
  df <- n_obs - ncol(design)
  residual_variance <- (sum(cells$squares) + sum(cells$n * fit$residuals^2)) / df
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

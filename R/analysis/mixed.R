# Mixed-effects reanalysis: respondents and LLMs are crossed (every respondent meets every LLM),
# so cosines are not independent. Linear mixed models by lme4/lmerTest, REML, nloptwrap optimiser.
#
# Denominator df: Satterthwaite, computed by lmerTest for every coefficient and every contrast
# row. emmeans only builds reference grids and contrast matrices (with its own df switched off,
# lmer.df = "asymptotic"); each row's linear function is then passed to lmerTest::contest, which
# reuses the Jacobian stored at fit time, so finite df cost milliseconds instead of the minutes
# (and gigabytes) emmeans' own Satterthwaite route takes on 20,000+ rows. Kenward-Roger builds
# n x n matrices (seconds at 1,500 rows, growing with n^3) and is used only when the data have
# at most `kenward_roger_limit` rows.

kenward_roger_limit <- 2000

# lme4's own gradient check (calc.derivs) is skipped: it costs as much as the fit on 100,000+
# rows, and the chosen model's Hessian is computed anyway by lmerTest, whose warnings about a
# non-positive-definite Hessian are kept as the convergence check (see as_lmm_test()).
lmm_control <- function() {
  lme4::lmerControl(optimizer = "nloptwrap", calc.derivs = FALSE)
}

df_method_for <- function(model) {
  if (stats::nobs(model) <= kenward_roger_limit) "Kenward-Roger" else "Satterthwaite"
}

# Evaluates `expr`, keeping its warnings and messages (lme4 reports singular fits as a
# message; singularity is recorded separately from isSingular()).
collect_warnings <- function(expr) {
  warnings <- character()
  value <- withCallingHandlers(
    expr,
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    },
    message = function(m) {
      if (!grepl("singular", conditionMessage(m))) {
        warnings <<- c(warnings, trimws(conditionMessage(m)))
      }
      invokeRestart("muffleMessage")
    }
  )
  list(value = value, warnings = warnings)
}

# Fits one model with lme4 (REML), keeping optimiser warnings and messages. The call is
# evaluated in an environment holding its formula and data, so that lmerTest can re-evaluate it
# later (it rebuilds the deviance function from the model's call).
fit_lmm <- function(formula, data) {
  home <- new.env(parent = globalenv())
  home$formula <- formula
  home$data <- data
  home$control <- lmm_control()
  environment(home$formula) <- home
  fitted <- collect_warnings(
    eval(quote(lme4::lmer(formula, data = data, REML = TRUE, control = control)), home)
  )
  model <- fitted$value
  messages <- unique(c(fitted$warnings, model@optinfo$conv$lme4$messages,
                       model@optinfo$warnings))
  list(
    model = model,
    singular = lme4::isSingular(model),
    warnings = paste(unlist(messages), collapse = "; "),
    converged = length(messages) == 0 || all(grepl("singular", messages))
  )
}

# Adds what lmerTest needs for Satterthwaite df (the Hessian of the deviance); its warnings
# about that Hessian are the convergence check of the chosen model.
as_lmm_test <- function(fit) {
  converted <- collect_warnings(lmerTest::as_lmerModLmerTest(fit$model))
  hessian_warnings <- paste(converted$warnings, collapse = "; ")
  fit$warnings <- paste(c(fit$warnings[nzchar(fit$warnings)],
                          hessian_warnings[nzchar(hessian_warnings)]), collapse = "; ")
  fit$converged <- fit$converged && length(converted$warnings) == 0
  fit$model <- converted$value
  fit
}

# Candidate random-effects structures, simplest first; each one nests the one before.
lmm_candidates <- list(
  rq1 = c(
    intercepts = "(1 | respondent_key) + (1 | llm)",
    llm_slope = "(1 | respondent_key) + (1 + chinese_participant | llm)",
    llm_and_respondent_slopes =
      "(1 + chinese_origin | respondent_key) + (1 + chinese_participant | llm)"
  )
  # RQ2 has one structure, fitted in closed form: see rq2.R.
)
# RQ3 is fitted as one model per removed unit on the change scores (see rq3.R), with the
# candidates of RQ1.
lmm_candidates$rq3_change <- lmm_candidates$rq1

lmm_formula <- function(fixed, random) {
  stats::as.formula(paste(deparse(fixed, width.cutoff = 500L), "+", random))
}

# Candidates too costly to fit on more rows than this; over the limit they are reported as not
# fitted (`not_fitted_reason` in lmm_selection.csv). The RQ3 by-respondent slopes (72,310 rows
# per removed question at WVS size, 19 questions) cost ~20 s per question
# (benchmarks/analysis.R). Raise with options(moralign.max_rows = list(rq3_change = c(...)))
# or the environment variable below.
lmm_candidate_max_rows <- function() {
  limit <- function(variable, default) as.numeric(Sys.getenv(variable, default))
  getOption("moralign.max_rows", list(
    rq3_change = c(llm_and_respondent_slopes = limit("MORALIGN_RQ3_SLOPES_MAX_ROWS", "50000"))
  ))
}

# Selection rule: walk up the candidates; a richer structure replaces the current one when it
# converges, is not singular, and a REML likelihood-ratio test (same fixed effects) favours it
# at `alpha`. Every candidate is reported, chosen or not, fitted or not (`max_rows` names the
# candidates not fitted above a row count).
select_lmm <- function(fixed, candidates, data, model_name, alpha = 0.05,
                       max_rows = numeric()) {
  too_large <- names(max_rows)[nrow(data) > max_rows]
  fitted <- candidates[setdiff(names(candidates), too_large)]
  fits <- fit_candidates(fixed, fitted, data)
  chosen <- NULL
  rows <- list()
  for (structure in names(candidates)) {
    if (structure %in% too_large) {
      rows[[structure]] <- tibble::tibble(
        model = model_name, structure = structure, random = candidates[[structure]],
        not_fitted_reason = sprintf("%s rows exceed this structure's limit of %s",
                                    format(nrow(data), big.mark = ","),
                                    format(max_rows[[structure]], big.mark = ","))
      )
      next
    }
    fit <- fits[[structure]]
    lrt_p <- if (is.null(chosen)) NA_real_ else lrt_p_value(fit, fits[[chosen]])
    # The simplest structure is kept even when singular; that is reported.
    if (is.null(chosen) || (!is.na(lrt_p) && lrt_p < alpha)) chosen <- structure
    rows[[structure]] <- tibble::tibble(
      model = model_name, structure = structure, random = candidates[[structure]],
      singular = fit$singular, converged = fit$converged, warnings = fit$warnings,
      aic = stats::AIC(fit$model), lrt_p_vs_previous_choice = lrt_p,
      fit_seconds = fit$seconds, not_fitted_reason = NA_character_
    )
  }
  selection <- dplyr::bind_rows(rows)
  selection$chosen <- selection$structure == chosen
  fit <- as_lmm_test(fits[[chosen]])
  list(model = fit$model, fit = fit, structure = chosen, selection = selection)
}

# Every candidate fitted, in parallel (forked processes).
fit_candidates <- function(fixed, candidates, data) {
  fits <- parallel::mclapply(names(candidates), function(structure) {
    elapsed <- system.time(fit <- fit_lmm(lmm_formula(fixed, candidates[[structure]]), data))
    fit$seconds <- elapsed[["elapsed"]]
    fit
  }, mc.cores = min(analysis_cores(), length(candidates)))
  failed <- vapply(fits, inherits, logical(1), what = "try-error")
  if (any(failed)) stop(fits[[which(failed)[1]]], call. = FALSE)
  stats::setNames(fits, names(candidates))
}

# REML likelihood-ratio p value of a richer fit against the current choice; NA when the richer
# fit is singular or did not converge (it cannot be chosen then).
lrt_p_value <- function(richer, current) {
  if (!richer$converged || richer$singular) {
    return(NA_real_)
  }
  test <- suppressMessages(stats::anova(richer$model, current$model, refit = FALSE))
  test[["Pr(>Chisq)"]][2]
}

# Coefficients with Satterthwaite (or Kenward-Roger) df in the results contract.
tidy_lmm <- function(model, model_name) {
  method <- df_method_for(model)
  beta <- lme4::fixef(model)
  tests <- linear_tests(model, diag(length(beta)), method)
  statistic <- tests$estimate / tests$std_error
  interval <- t_interval(tests$estimate, tests$std_error, tests$df)
  tibble::tibble(
    term = names(beta),
    estimate = tests$estimate,
    std_error = tests$std_error,
    statistic = statistic,
    df = tests$df,
    p_value = 2 * stats::pt(abs(statistic), tests$df, lower.tail = FALSE),
    conf_low = interval$low,
    conf_high = interval$high,
    d_row_sd = tests$estimate / total_sd(model),
    df_method = method,
    n_obs = stats::nobs(model)
  ) |>
    dplyr::mutate(model = model_name, .before = 1)
}

# SD of a single observation at the centre of the design: all random intercepts plus residual.
total_sd <- function(model) {
  components <- as.data.frame(lme4::VarCorr(model))
  intercepts <- components$vcov[is.na(components$var2) &
                                  (components$var1 == "(Intercept)" | is.na(components$var1))]
  sqrt(sum(intercepts))
}

# lme4 names the second and later terms of one grouping factor `llm.1`, `llm.2`, ... and an
# interaction grouping `respondent_key.llm`; the tables show the grouping factor as written in
# the formula (`llm`, `respondent_key:llm`).
group_labels <- function(model, groups) {
  factors <- names(model@flist)
  vapply(groups, function(group) {
    candidates <- c(group, sub("\\.[0-9]+$", "", group))
    candidates <- c(candidates, gsub(".", ":", candidates, fixed = TRUE))
    known <- candidates[candidates %in% factors]
    if (length(known) > 0) known[1] else group
  }, character(1), USE.NAMES = FALSE)
}

lmm_variance_components <- function(model, model_name) {
  components <- as.data.frame(lme4::VarCorr(model))
  groups <- group_labels(model, components$grp)
  tibble::tibble(
    model = model_name, group = groups,
    term = dplyr::coalesce(components$var1, ""),
    term2 = dplyr::coalesce(components$var2, ""),
    variance = components$vcov, sd_or_cor = components$sdcor
  )
}

# Marginal and conditional R2 of Nakagawa & Schielzeth, with Johnson's extension to random
# slopes: each random term contributes the mean over rows of x' Sigma x, x its design row.
# Computed here because performance::r2_nakagawa() takes a minute at 350,000 rows.
nakagawa_r2 <- function(model) {
  fixed <- stats::var(drop(lme4::getME(model, "X") %*% lme4::fixef(model)))
  covariances <- lme4::VarCorr(model)
  # one design column per term variable: 1 for the intercept, else the (numeric) covariate
  random <- sum(vapply(covariances, function(covariance) {
    design <- vapply(colnames(covariance), function(name) {
      if (name == "(Intercept)") rep(1, stats::nobs(model)) else model@frame[[name]]
    }, numeric(stats::nobs(model)))
    design <- matrix(design, ncol = ncol(covariance))
    mean(rowSums((design %*% as.matrix(covariance)) * design))
  }, numeric(1)))
  total <- fixed + random + stats::sigma(model)^2
  list(R2_marginal = fixed / total, R2_conditional = (fixed + random) / total)
}

# ICC of a grouping factor: its random-intercept variance over the variance of one observation
# at the centre of the design (every random intercept plus the residual; total_sd()^2). Slope
# variances are left out: at the centre every +/-0.5-coded term is zero.
icc_string <- function(groups, variances) {
  icc <- variances / sum(variances)
  keep <- groups != "Residual"
  paste(sprintf("%s=%.4f", groups[keep], icc[keep]), collapse = "; ")
}

# Marginal and conditional R2 (Nakagawa) and intercept ICCs per grouping factor.
lmm_diagnostics <- function(selected, model_name) {
  model <- selected$model
  r2 <- nakagawa_r2(model)
  components <- as.data.frame(lme4::VarCorr(model))
  intercepts <- components[is.na(components$var2) &
                             (components$var1 == "(Intercept)" | is.na(components$var1)), ]
  frame <- model@frame
  count <- function(column) if (column %in% names(frame)) dplyr::n_distinct(frame[[column]]) else NA
  tibble::tibble(
    formula = deparse(stats::formula(model), width.cutoff = 500L),
    structure = selected$structure,
    n_obs = stats::nobs(model),
    n_respondents = count("respondent_key"),
    n_llms = count("llm"),
    reml = lme4::isREML(model),
    optimizer = model@optinfo$optimizer,
    singular = selected$fit$singular,
    converged = selected$fit$converged,
    warnings = selected$fit$warnings,
    r2_marginal = unname(r2$R2_marginal),
    r2_conditional = unname(r2$R2_conditional),
    icc = icc_string(group_labels(model, intercepts$grp), intercepts$vcov),
    residual_sd = stats::sigma(model),
    df_method = df_method_for(model)
  ) |>
    dplyr::mutate(model = model_name, .before = 1)
}

# Estimate, SE, df, t and p for each row of a matrix of linear functions of the fixed effects.
# Satterthwaite: lmerTest::contest. Kenward-Roger: the adjusted covariance is computed once and
# pbkrtest's df formula applied per row (contest would recompute it for every row).
linear_tests <- function(model, linfct, method = df_method_for(model)) {
  if (method == "Satterthwaite") {
    tests <- lmerTest::contest(model, linfct, joint = FALSE, ddf = "Satterthwaite")
    return(tibble::tibble(estimate = tests$Estimate, std_error = tests[["Std. Error"]],
                          df = tests$df))
  }
  unadjusted <- as.matrix(stats::vcov(model))
  adjusted <- kenward_roger_vcov(model) # keeps the attributes Lb_ddf needs
  adjusted_matrix <- as.matrix(adjusted)
  beta <- lme4::fixef(model)
  rows <- lapply(seq_len(nrow(linfct)), function(i) {
    l <- linfct[i, , drop = FALSE]
    tibble::tibble(estimate = drop(l %*% beta),
                   std_error = sqrt(drop(l %*% adjusted_matrix %*% t(l))),
                   df = pbkrtest::Lb_ddf(l, unadjusted, adjusted))
  })
  dplyr::bind_rows(rows)
}

kenward_roger_cache <- new.env()

# pbkrtest::vcovAdj() costs seconds even on 1,500 rows; computed once per fitted model.
kenward_roger_vcov <- function(model) {
  key <- paste(c(deparse(stats::formula(model), width.cutoff = 500L), stats::nobs(model),
                 format(lme4::getME(model, "theta"), digits = 15),
                 format(stats::deviance(model, REML = TRUE), digits = 15)), collapse = "|")
  if (is.null(kenward_roger_cache[[key]])) {
    kenward_roger_cache[[key]] <- pbkrtest::vcovAdj(model)
  }
  kenward_roger_cache[[key]]
}

# One row per row of an emmeans grid or contrast, with df, tests and intervals recomputed from
# the row's linear function of the fixed effects (see linear_tests()).
emm_table <- function(model, grid, family, adjust = "holm", level = 0.95) {
  method <- df_method_for(model)
  tests <- linear_tests(model, grid@linfct, method)
  statistic <- tests$estimate / tests$std_error
  labels <- tibble::as_tibble(as.data.frame(grid@grid))
  labels <- labels[, setdiff(names(labels), ".wgt."), drop = FALSE]
  interval <- t_interval(tests$estimate, tests$std_error, tests$df, level)
  table <- dplyr::bind_cols(
    tibble::tibble(family = family),
    labels,
    tibble::tibble(
      estimate = tests$estimate, std_error = tests$std_error,
      statistic = statistic, df = tests$df,
      p_value = 2 * stats::pt(abs(statistic), tests$df, lower.tail = FALSE),
      conf_low = interval$low, conf_high = interval$high,
      d_row_sd = tests$estimate / total_sd(model), df_method = method
    )
  )
  table$p_adjusted <- stats::p.adjust(table$p_value, method = adjust)
  table$adjust <- adjust
  table
}

# Replaces the centred codes emmeans shows with the level names they stand for.
relabel_codes <- function(table, codes) {
  for (variable in names(codes)) {
    if (variable %in% names(table)) {
      values <- codes[[variable]]
      index <- vapply(table[[variable]], function(v) {
        if (is.na(v)) NA_integer_ else which.min(abs(values - v))
      }, integer(1))
      table[[variable]] <- unname(names(values)[index])
    }
  }
  table
}

emm_grid <- function(model, specs, codes, ...) {
  suppressMessages(
    emmeans::emmeans(model, specs, at = lapply(codes, unname), lmer.df = "asymptotic", ...)
  )
}

# OLS and mixed-model coefficients side by side, with the ratio of standard errors.
ols_vs_lmm <- function(ols, lmm) {
  pick <- function(table, prefix) {
    columns <- c("estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high")
    out <- table[, c("term", columns)]
    names(out)[-1] <- paste0(prefix, columns)
    out
  }
  dplyr::full_join(pick(ols, "ols_"), pick(lmm, "lmm_"), by = "term") |>
    dplyr::mutate(se_ratio_lmm_over_ols = .data$lmm_std_error / .data$ols_std_error)
}

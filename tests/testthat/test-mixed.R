# One simulated RQ1 data set with crossed random effects, fitted once for several tests.
mixed_data <- simulated_rq1(150, 150, 20, seed = 21)
mixed_fit <- rq1_lmm(mixed_data)
mixed_table <- tidy_lmm(mixed_fit$model, "rq1_lmm")
ols_table <- rq1_ols(mixed_data)

test_that("the mixed model recovers the simulated fixed effects", {
  truth <- simulation_truth$rq1
  names(truth) <- c("(Intercept)", "chinese_participant", "chinese_origin",
                    "chinese_participant:chinese_origin")
  for (term in names(truth)) {
    error <- abs(coefficient(mixed_table, term) - truth[[term]])
    expect_lt(error, 3 * coefficient(mixed_table, term, "std_error"))
  }
})

test_that("the mixed model recovers the simulated variance components", {
  components <- lmm_variance_components(mixed_fit$model, "m")
  sd_of <- function(group, term) {
    components$sd_or_cor[components$group == group & components$term == term &
                           components$term2 == ""]
  }
  truth <- simulation_truth$rq1_sd
  expect_equal(sd_of("respondent_key", "(Intercept)"), truth[["respondent"]], tolerance = 0.15)
  expect_equal(sd_of("Residual", ""), truth[["residual"]], tolerance = 0.05)
  expect_equal(sd_of("llm", "chinese_participant"), truth[["llm_nationality"]], tolerance = 0.5)
})

test_that("the mixed model's standard errors exceed the OLS ones", {
  comparison <- ols_vs_lmm(ols_table, mixed_table)
  expect_true(all(comparison$lmm_std_error > comparison$ols_std_error))
  expect_true(all(comparison$se_ratio_lmm_over_ols > 1))
})

test_that("LLM-level effects get finite Satterthwaite df near the number of LLMs", {
  df <- coefficient(mixed_table, "chinese_origin", "df")
  expect_true(is.finite(df))
  expect_gt(df, 10)
  expect_lt(df, 40)
  expect_equal(unique(mixed_table$df_method), "Satterthwaite")
})

test_that("structure selection reports every candidate and keeps the supported slope", {
  selection <- mixed_fit$selection
  expect_equal(selection$structure, names(lmm_candidates$rq1))
  expect_equal(sum(selection$chosen), 1)
  # The simulated LLMs differ in their nationality gap, so the slope must be kept.
  expect_true(mixed_fit$structure %in% c("llm_slope", "llm_and_respondent_slopes"))
  expect_true(is.na(selection$lrt_p_vs_previous_choice[1]))
})

test_that("a contrast through emm_table equals the matching coefficient", {
  tables <- rq1_emmeans(mixed_fit$model, mixed_data)
  gap <- tables$emmeans_rq1_nationality_within_origin
  expect_equal(gap$chinese_origin, c("China", "USA"))
  codes <- rq1_codes(mixed_data)
  beta <- lme4::fixef(mixed_fit$model)
  expect_equal(gap$estimate[1], unname(beta["chinese_participant"] +
                                         codes$chinese_origin[["China"]] *
                                         beta["chinese_participant:chinese_origin"]))
  origin <- tables$emmeans_rq1_origin_within_nationality
  expect_true(all(is.finite(origin$df) & origin$df < 60))
  expect_equal(origin$p_adjusted, pmin(1, stats::p.adjust(origin$p_value, "holm")))
})

test_that("emm_table df agree with emmeans' own Satterthwaite and Kenward-Roger df", {
  small <- simulated_rq1(25, 25, 8, seed = 4)
  fit <- rq1_lmm(small)
  codes <- rq1_codes(small)
  grid <- emm_grid(fit$model, ~ chinese_participant | chinese_origin, codes)
  ours <- emm_table(fit$model, emmeans::contrast(grid, china_minus_usa()), "f")
  expect_equal(unique(ours$df_method), "Kenward-Roger")
  reference <- summary(emmeans::contrast(
    emmeans::emmeans(fit$model, ~ chinese_participant | chinese_origin,
                     at = lapply(codes, unname), lmer.df = "kenward-roger"),
    china_minus_usa()
  ))
  expect_equal(ours$df, reference$df, tolerance = 1e-4)
  expect_equal(ours$std_error, reference$SE, tolerance = 1e-4)
  old_limit <- kenward_roger_limit
  on.exit(assign("kenward_roger_limit", old_limit, envir = globalenv()))
  assign("kenward_roger_limit", 0, envir = globalenv())
  ours <- emm_table(fit$model, emmeans::contrast(grid, china_minus_usa()), "f")
  reference <- summary(emmeans::contrast(
    emmeans::emmeans(fit$model, ~ chinese_participant | chinese_origin,
                     at = lapply(codes, unname), lmer.df = "satterthwaite"),
    china_minus_usa()
  ))
  expect_equal(unique(ours$df_method), "Satterthwaite")
  expect_equal(ours$df, reference$df, tolerance = 1e-3)
})

test_that("per-LLM nationality contrasts are Holm-adjusted over LLMs", {
  table <- rq1_per_llm_lmm(mixed_data)
  expect_equal(nrow(table), 20)
  expect_equal(table$p_adjusted, stats::p.adjust(table$p_value, "holm"))
  welch <- welch_per_llm(mixed_data)
  matched <- dplyr::inner_join(table, welch, by = "llm", suffix = c("", "_welch"))
  expect_equal(matched$estimate, matched$estimate_welch, tolerance = 1e-6)
})

test_that("diagnostics report R2, ICC and convergence", {
  diagnostics <- lmm_diagnostics(mixed_fit, "rq1_lmm")
  expect_true(diagnostics$r2_conditional > diagnostics$r2_marginal)
  expect_true(diagnostics$r2_marginal > 0)
  expect_match(diagnostics$icc, "respondent_key=")
  expect_false(diagnostics$singular)
  expect_equal(diagnostics$n_llms, 20)
})

test_that("nakagawa_r2 handles several random terms for one grouping factor", {
  data <- rq2_data(validate_derived(simulate_rq2(40, 40, 8, seed = 8)))
  model <- fit_lmm(lmm_formula(rq2_formula, previous_rq2_random), data)$model
  ours <- nakagawa_r2(model)
  # reference from lme4's own parametrisation: Var(Z b) = sigma^2 Z Lambda Lambda' Z'
  scaled <- lme4::getME(model, "Lambdat") %*% lme4::getME(model, "Zt")
  random <- stats::sigma(model)^2 * mean(Matrix::colSums(scaled^2))
  fixed <- stats::var(drop(lme4::getME(model, "X") %*% lme4::fixef(model)))
  total <- fixed + random + stats::sigma(model)^2
  expect_equal(length(lme4::VarCorr(model)), 5)
  expect_equal(ours$R2_marginal, fixed / total, tolerance = 1e-8)
  expect_equal(ours$R2_conditional, (fixed + random) / total, tolerance = 1e-8)
})

test_that("a candidate over its row limit is reported as not fitted", {
  data <- simulated_rq1(30, 30, 6, seed = 7)
  fit <- select_lmm(rq1_formula, lmm_candidates$rq1, data, "m",
                    max_rows = c(llm_and_respondent_slopes = 100))
  skipped <- fit$selection[fit$selection$structure == "llm_and_respondent_slopes", ]
  expect_match(skipped$not_fitted_reason, "360 rows exceed this structure's limit of 100")
  expect_false(skipped$chosen)
  expect_true(is.na(skipped$aic))
  expect_true(all(is.na(fit$selection$not_fitted_reason[-3])))
})

test_that("variance components and ICCs name grouping factors as in the formula", {
  data <- rq2_data(validate_derived(simulate_rq2(20, 20, 6, seed = 8)))
  model <- fit_lmm(lmm_formula(rq2_formula, previous_rq2_random), data)$model
  components <- lmm_variance_components(model, "m")
  expect_setequal(unique(components$group), c("respondent_key", "llm", "respondent_key:llm",
                                              "Residual"))
  diagnostics <- lmm_diagnostics(list(model = model, structure = "s",
                                      fit = list(singular = FALSE, converged = TRUE,
                                                 warnings = "")), "m")
  expect_equal(diagnostics$n_respondents, 40)
  # ICC: intercept variance over all intercept variances plus the residual
  intercepts <- components[components$term %in% c("(Intercept)", "") & components$term2 == "", ]
  expected <- intercepts$variance[intercepts$group == "respondent_key"] / sum(intercepts$variance)
  expect_match(diagnostics$icc, sprintf("respondent_key=%.4f", expected), fixed = TRUE)
  expect_match(diagnostics$icc, "respondent_key:llm=", fixed = TRUE)
  expect_false(grepl("llm\\.[0-9]", diagnostics$icc))
})

test_that("RQ3 mixed model returns the stacked model's terms", {
  data <- rq3_data(validate_derived(simulate_rq3(40, 40, 8, removed = c("Care", "Purity"))))
  fit <- rq3_lmm(data)
  expect_setequal(fit$coefficients$term, rq3_ols(data)$term)
  ols <- rq3_ols(data)
  both <- dplyr::inner_join(ols, fit$coefficients, by = "term", suffix = c("_ols", "_lmm"))
  # Balanced data: removal terms are mean changes under both models.
  expect_equal(both$estimate_lmm[both$term == "removedCare"],
               both$estimate_ols[both$term == "removedCare"], tolerance = 1e-6)
  expect_true(all(fit$selection$removed %in% c("none", "Care", "Purity")))
  expect_equal(nrow(fit$diagnostics), 3)
  # every row standardised on the SD of one full cosine
  scale <- fit$coefficients$estimate / fit$coefficients$d_row_sd
  expect_equal(scale, rep(scale[1], length(scale)), tolerance = 1e-10)
})

test_that("nakagawa_r2 agrees with performance::r2_nakagawa, random slopes included", {
  ours <- nakagawa_r2(mixed_fit$model)
  reference <- suppressWarnings(performance::r2_nakagawa(mixed_fit$model))
  expect_equal(ours$R2_marginal, unname(reference$R2_marginal), tolerance = 1e-4)
  expect_equal(ours$R2_conditional, unname(reference$R2_conditional), tolerance = 1e-4)
})

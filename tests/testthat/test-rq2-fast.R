# The closed-form RQ2 model (rq2_lmm()) against a direct lme4 fit of rq2_lmer_formula on a
# small balanced data set whose variance components are all clearly positive.

test_that("the closed-form RQ2 fit equals REML of the maximal uncorrelated lmer model", {
  sd <- simulation_truth$rq2_sd
  sd$llm <- sd$llm * 3
  sd$respondent[["L:P"]] <- 0.04
  sd$respondent <- sd$respondent * 1.5
  # respondent x LLM slopes whose mean squares differ several-fold, as on MFQ-2
  sd$pair <- c("1" = 0.067, L = 0.09, P = 0.03)
  rows <- rq2_data(validate_derived(simulate_rq2(12, 10, 12, seed = 3, sd = sd)))
  compared <- closed_form_vs_lmer(rows)
  components <- rq2_variance_components(compared$fast)
  expect_true(all(components$variance > 0))
  expect_false(compared$model$singular)
  expect_equal(nrow(compared$terms), 16)
  expect_each_term_close(compared$terms, se_tolerance = 0.01, df_tolerance = 0.01)
  origin_terms <- grepl("origin", compared$terms$term)
  expect_equal(compared$terms$df[origin_terms], rep(10, sum(origin_terms)))
  # each lmer variance component equals the closed-form one
  lmer_components <- lmm_variance_components(compared$model$model, "lmer")
  key <- function(table) paste(table$group, table$term)
  matched <- lmer_components$variance[match(key(components), key(lmer_components))]
  expect_false(anyNA(matched))
  expect_true(all(abs(matched - components$variance) < 0.02 * components$variance + 1e-7),
              info = paste(key(components), signif(matched, 3), signif(components$variance, 3)))
})

test_that("at the boundary, terms lmer does not truncate agree; the others keep the exact test", {
  # release-like components, 12 LLMs: REML puts several by-LLM variances at zero
  sd <- simulation_truth$rq2_sd
  sd$respondent[["L:P"]] <- 0
  sd$pair <- c("1" = 0.067, L = 0.09, P = 0.03)
  rows <- rq2_data(validate_derived(simulate_rq2(12, 10, 12, seed = 5, sd = sd)))
  compared <- closed_form_vs_lmer(rows)
  llm_variance <- lmer_llm_variance(compared$model$model, compared$terms$term)
  expect_false(anyNA(llm_variance))
  interior <- llm_variance > 1e-6
  expect_true(sum(!interior) >= 4) # the case is a boundary case
  expect_each_term_close(compared$terms[interior, ], se_tolerance = 0.03, df_tolerance = 0.05)
  # where REML truncates, it pools the by-LLM stratum with the respondent x LLM one (df in the
  # hundreds); the closed form keeps the exact two-sample test of the per-LLM contrasts
  boundary <- compared$terms[!interior, ]
  origin <- grepl("origin", boundary$term)
  expect_true(all(boundary$df[origin] == 10))
  expect_true(all(boundary$lmer_df[origin] > 100))
})

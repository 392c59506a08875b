# The closed-form RQ2 model (rq2_lmm()) against a direct lme4 fit of rq2_lmer_formula on a
# small balanced data set whose variance components are all clearly positive.

rq2_with_factorial_codes <- function(rows) {
  dplyr::mutate(rows,
                chinese_participant = plus_minus(.data$nationality == "China"),
                chinese_origin = plus_minus(.data$llm_origin == "China"),
                chinese_language = plus_minus(.data$language == "Chinese"),
                china_persona = plus_minus(.data$persona == "China"))
}

test_that("the closed-form RQ2 fit equals REML of the maximal uncorrelated lmer model", {
  sd <- simulation_truth$rq2_sd
  sd$llm <- sd$llm * 3
  sd$respondent[["L:P"]] <- 0.04
  sd$respondent <- sd$respondent * 1.5
  rows <- rq2_data(validate_derived(simulate_rq2(12, 10, 12, seed = 3, sd = sd)))
  fast <- rq2_lmm(rows)
  components <- rq2_variance_components(fast)
  expect_true(all(components$variance > 0))
  model <- fit_lmm(rq2_lmer_formula, rq2_with_factorial_codes(rows))
  expect_false(model$singular)
  old_limit <- kenward_roger_limit
  on.exit(assign("kenward_roger_limit", old_limit, envir = globalenv()))
  assign("kenward_roger_limit", 0, envir = globalenv()) # Satterthwaite, as the closed form
  reference <- tidy_lmm(as_lmm_test(model)$model, "lmer")
  ours <- dplyr::filter(fast$table, !.data$paper_term | .data$term == "(Intercept)")
  weights <- vapply(rq2_all_terms()[ours$term], function(w) w[[1]]$weight, 0)
  matched <- reference[match(ours$term, reference$term), ]
  # the paper terms carry half a factorial coefficient where N enters: compare on that scale
  paper <- dplyr::filter(fast$table, .data$paper_term, .data$term != "(Intercept)")
  paper_weights <- vapply(rq2_all_terms()[paper$term], function(w) w[[1]]$weight, 0)
  paper_names <- vapply(rq2_all_terms()[paper$term], function(w) {
    factorial_name(w[[1]]$term, w[[1]]$origin)
  }, "")
  paper_reference <- reference[match(paper_names, reference$term), ]
  all_ours <- dplyr::bind_rows(ours, dplyr::mutate(
    paper, estimate = .data$estimate / paper_weights, std_error = .data$std_error / paper_weights
  ))
  all_reference <- dplyr::bind_rows(matched, paper_reference)
  expect_equal(nrow(all_ours), 16)
  expect_false(anyNA(all_reference$term))
  expect_equal(unname(all_ours$estimate), all_reference$estimate, tolerance = 1e-6)
  expect_equal(unname(all_ours$std_error), all_reference$std_error, tolerance = 0.01)
  expect_equal(unname(all_ours$df), all_reference$df, tolerance = 0.01)
  origin_terms <- grepl("origin", all_ours$term)
  expect_equal(all_ours$df[origin_terms], rep(10, sum(origin_terms)))
  # the lmer variance components agree with the closed-form ones
  lmer_components <- lmm_variance_components(model$model, "lmer")
  expect_equal(sum(lmer_components$variance), sum(components$variance), tolerance = 0.02)
})

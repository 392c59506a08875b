# The closed-form RQ2 model against a direct lme4 fit (test-rq2-fast.R, test-rq2-release.R).

rq2_with_factorial_codes <- function(rows) {
  dplyr::mutate(rows,
                chinese_participant = plus_minus(.data$nationality == first_nation()),
                chinese_origin = plus_minus(.data$llm_origin == first_nation()),
                chinese_language = plus_minus(.data$language == own_language(first_nation())),
                china_persona = plus_minus(.data$persona == first_nation()))
}

# Closed-form and lmer coefficient tables on one scale (factorial coefficients), matched by term.
closed_form_vs_lmer <- function(rows) {
  fast <- rq2_lmm(rows)
  model <- fit_lmm(rq2_lmer_formula, rq2_with_factorial_codes(rows))
  old_limit <- kenward_roger_limit
  on.exit(assign("kenward_roger_limit", old_limit, envir = globalenv()))
  assign("kenward_roger_limit", 0, envir = globalenv()) # Satterthwaite, as the closed form
  reference <- tidy_lmm(as_lmm_test(model)$model, "lmer")
  weights <- vapply(rq2_all_terms()[fast$table$term], function(w) w[[1]]$weight, 0)
  names <- vapply(rq2_all_terms()[fast$table$term], function(w) {
    factorial_name(w[[1]]$term, w[[1]]$origin)
  }, "")
  matched <- reference[match(names, reference$term), ]
  list(
    fast = fast, model = model,
    terms = tibble::tibble(term = names, estimate = fast$table$estimate / weights,
                           std_error = fast$table$std_error / weights, df = fast$table$df,
                           lmer_estimate = matched$estimate, lmer_std_error = matched$std_error,
                           lmer_df = matched$df)
  )
}

# Each term on its own (a mean over terms would hide one term far off).
expect_each_term_close <- function(terms, se_tolerance, df_tolerance) {
  info <- paste(format(as.data.frame(terms), digits = 4), collapse = "\n")
  expect_false(anyNA(terms$lmer_estimate))
  expect_true(all(abs(terms$estimate - terms$lmer_estimate) < 1e-6), info = info)
  expect_true(all(abs(terms$std_error / terms$lmer_std_error - 1) < se_tolerance), info = info)
  expect_true(all(abs(terms$df / terms$lmer_df - 1) < df_tolerance), info = info)
}

# The by-LLM variance lmer gives the within-LLM part of each factorial term (origin dropped).
lmer_llm_variance <- function(model, terms) {
  components <- lmm_variance_components(model, "lmer")
  components <- components[components$group == "llm", ]
  within <- vapply(strsplit(terms, ":", fixed = TRUE), function(parts) {
    parts <- setdiff(parts, "chinese_origin")
    if (length(parts) == 0) "(Intercept)" else paste(parts, collapse = ":")
  }, "")
  components$variance[match(within, components$term)]
}

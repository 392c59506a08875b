# The RQ2 mixed model (rq2_lmm()): factorial fixed effects reported under the paper's names.

rq2_rows <- rq2_data(validate_derived(simulate_rq2(40, 40, 10, seed = 6)))
rq2_fit_table <- rq2_lmm(rq2_rows)$table

test_that("the paper's congruence terms are the factorial coefficients they stand for", {
  # equal nationality sizes: the congruence columns are orthogonal to the other factorial
  # columns, so the 8-term OLS of the paper estimates the same numbers
  ols <- rq2_ols(rq2_rows)
  paper <- rq2_fit_table[rq2_fit_table$paper_term, ]
  expect_equal(paper$term, ols$term)
  expect_equal(paper$estimate, ols$estimate, tolerance = 1e-10)
  # cL = 2NL: the congruent-language effect is half the nationality x language coefficient
  codes <- rq2_rows |>
    dplyr::mutate(N = plus_minus(.data$nationality == "China"),
                  L = plus_minus(.data$language == "Chinese"),
                  cL = plus_minus(.data$language == ifelse(.data$nationality == "China",
                                                           "Chinese", "English")))
  expect_equal(codes$cL, 2 * codes$N * codes$L)
})

test_that("origin terms are tested between LLMs, the others carry their respondent part", {
  origin <- grepl("origin", rq2_fit_table$term)
  expect_equal(rq2_fit_table$df[origin], rep(8, sum(origin)))
  expect_true(all(is.finite(rq2_fit_table$df) & rq2_fit_table$df > 0))
  # the nationality effect also varies between respondents: more df than the LLMs give
  expect_gt(coefficient(rq2_fit_table, "chinese_participant", "df"), 8)
  # the origin terms equal the LLM-level t-tests of the per-LLM contrasts
  crossed <- llm_level_inputs(simulated_rq1(5, 5, 10), rq2_rows)$rq2$crossed
  values <- per_llm_values(crossed, rq2_llm_terms)
  for (term in names(rq2_llm_terms)) {
    test <- two_sample_t(values[, term], crossed$origin == "China")
    expect_equal(coefficient(rq2_fit_table, term), test$estimate, tolerance = 1e-10)
    expect_equal(coefficient(rq2_fit_table, term, "std_error"), test$std_error,
                 tolerance = 1e-10)
  }
})

test_that("the congruence family is Holm-adjusted and named", {
  family <- rq2_fit_table[!is.na(rq2_fit_table$family), ]
  expect_equal(nrow(family), 7)
  expect_equal(unique(family$family), rq2_congruence_family)
  expect_equal(family$p_adjusted, stats::p.adjust(family$p_value, "holm"))
  expect_true(all(is.na(rq2_fit_table$p_adjusted[is.na(rq2_fit_table$family)])))
})

test_that("the model recovers the simulated effects and variance components", {
  truth <- simulation_truth$rq2
  for (term in names(truth)) {
    error <- abs(coefficient(rq2_fit_table, term) - truth[[term]])
    expect_lt(error, 3.5 * coefficient(rq2_fit_table, term, "std_error"))
  }
  components <- rq2_variance_components(rq2_lmm(rq2_rows))
  residual <- components$sd_or_cor[components$group == "Residual"]
  expect_equal(residual, simulation_truth$rq2_sd$residual, tolerance = 0.05)
  respondent <- components$sd_or_cor[components$group == "respondent_key" &
                                       components$term == "(Intercept)"]
  expect_equal(respondent, simulation_truth$rq2_sd$respondent[["1"]], tolerance = 0.2)
})

test_that("congruence contrasts, simple effects and cells follow from the coefficients", {
  tables <- rq2_emmeans(rq2_lmm(rq2_rows))
  main <- tables$emmeans_rq2_congruence
  expect_equal(main$factor, rq2_congruence_factors)
  expect_equal(main$estimate, rq2_fit_table$estimate[match(main$factor, rq2_fit_table$term)])
  expect_equal(main$p_adjusted, stats::p.adjust(main$p_value, "holm"))
  simple <- tables$emmeans_rq2_simple_congruence
  expect_equal(nrow(simple), 12)
  # averaging a simple effect over the other two factors gives the main effect
  language <- simple[simple$factor == "congruent_language", ]
  expect_equal(mean(language$estimate), main$estimate[1], tolerance = 1e-12)
  cells <- tables$emmeans_rq2_cells
  expect_equal(nrow(cells), 8)
  expect_equal(mean(cells$estimate), coefficient(rq2_fit_table, "(Intercept)"), tolerance = 1e-12)
  congruent <- cells$estimate[cells$congruent_language == "congruent"]
  incongruent <- cells$estimate[cells$congruent_language == "incongruent"]
  expect_equal(mean(congruent - incongruent), main$estimate[1], tolerance = 1e-12)
})

test_that("diagnostics count respondents and LLMs and keep R2 in range", {
  diagnostics <- rq2_lmm_diagnostics(rq2_lmm(rq2_rows))
  expect_equal(diagnostics$n_respondents, 80)
  expect_equal(diagnostics$n_llms, 10)
  expect_equal(diagnostics$n_obs, nrow(rq2_rows))
  expect_true(diagnostics$r2_marginal > 0 && diagnostics$r2_marginal < diagnostics$r2_conditional)
  expect_match(diagnostics$icc, "respondent_key=.*respondent_key:llm=")
})

test_that("an incomplete crossing is refused with the missing cell named", {
  rows <- rq2_rows[-5, ]
  expect_error(rq2_lmm(rows), "has no cosine for .*every respondent to meet every LLM")
})

# Per LLM: half the difference between its cosine with the first and with the second nation's
# respondents, each in its own language and persona; the simple effect of congruent origin at
# congruent language and persona is the origin difference of this combined contrast.
combined_origin_contrast <- function(rows) {
  rows |>
    dplyr::filter(.data$language == own_language(.data$nationality),
                  .data$persona == .data$nationality) |>
    dplyr::group_by(.data$llm, .data$llm_origin, .data$nationality) |>
    dplyr::summarise(cosine = mean(.data$cosine), .groups = "drop") |>
    tidyr::pivot_wider(names_from = "nationality", values_from = "cosine") |>
    dplyr::mutate(value = (.data$China - .data$USA) / 2)
}

test_that("a simple effect is tested exactly on each LLM's (maker's) combined contrast", {
  makers <- stats::setNames(c("a", "d", "b", "d", "b", "e", "c", "e", "c", "f"),
                            sprintf("llm-%02d", 1:10))
  simple <- rq2_emmeans(rq2_lmm(rq2_rows, makers))$emmeans_rq2_simple_congruence
  row <- simple[simple$factor == "congruent_origin" &
                  simple$congruent_language == "congruent" &
                  simple$congruent_persona == "congruent", ]
  per_llm <- combined_origin_contrast(rq2_rows)
  china <- per_llm$llm_origin == "China"
  reference <- stats::t.test(per_llm$value[china], per_llm$value[!china], var.equal = TRUE)
  expect_equal(row$estimate, unname(diff(rev(reference$estimate))), tolerance = 1e-10)
  expect_equal(row$std_error, reference$stderr, tolerance = 1e-10)
  expect_equal(row$df, 8)
  expect_equal(row$p_value, reference$p.value, tolerance = 1e-8)
  by_maker <- tapply(per_llm$value, makers[per_llm$llm], mean)
  maker_china <- names(by_maker) %in% c("a", "b", "c")
  maker_reference <- stats::t.test(by_maker[maker_china], by_maker[!maker_china])
  expect_equal(row$primary_unit, "maker")
  expect_equal(row$primary_std_error, maker_reference$stderr, tolerance = 1e-10)
  expect_equal(row$primary_df, unname(maker_reference$parameter), tolerance = 1e-10)
  expect_equal(row$p_primary, maker_reference$p.value, tolerance = 1e-8)
})

test_that("RQ2 reads the compared nations from the contract, whichever they are", {
  contract <- default_contract()
  renamed <- c(China = "Japan", USA = "Korea", Chinese = "Japanese", English = "Korean")
  rename <- function(x) unname(ifelse(x %in% names(renamed), renamed[x], x))
  contract$nations <- rename(contract$nations)
  contract$languages <- rename(contract$languages)
  contract$language_of_nation <- list(Japan = "Japanese", Korea = "Korean")
  contract$human_mean_ids <- list(Japan = "Human mean, Japan", Korea = "Human mean, Korea")
  contract$allowed_values <- lapply(contract$allowed_values, rename)
  rows <- dplyr::mutate(rq2_rows, dplyr::across(c("nationality", "llm_origin", "language",
                                                   "persona"), rename))
  previous <- use_contract(contract)
  on.exit(use_contract(previous))
  table <- rq2_lmm(rows)$table
  expect_equal(table$estimate, rq2_fit_table$estimate, tolerance = 1e-12)
  expect_equal(table$std_error, rq2_fit_table$std_error, tolerance = 1e-12)
})

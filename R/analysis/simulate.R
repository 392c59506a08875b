# Simulated derived tables in the contract format, with known fixed effects and crossed random
# effects (respondent, LLM, respondent x LLM). Used by the tests, the benchmarks and the
# calibration (benchmarks/calibration.R).
#
# The values are those fitted on the MFQ-2 release (paper-mode respondent ids): RQ1 by
# rq1_lmm() (lme4, structure llm_and_respondent_slopes), RQ2 by rq2_lmm() (closed-form REML of
# rq2_lmer_formula); tests/testthat/test-published.R refits both and fails when they drift.
# Fixed effects on the +/-0.5 codes; random effects as standard deviations on the coefficient
# scale. `null_origin()` sets every origin-involving effect to zero.
# Nations, languages, personas and foundations come from study_contract(): default_contract()
# (R/analysis/contract.json) unless use_contract() chose another.

simulation_truth <- list(
  rq1 = c("(Intercept)" = 0.207, chinese_participant = -0.179, chinese_origin = -0.008,
          "chinese_participant:chinese_origin" = -0.002),
  rq1_sd = c(respondent = 0.115, respondent_origin = 0.030, llm = 0.038,
             llm_nationality = 0.059, residual = 0.099),
  # paper congruence terms and the other factorial terms (rq2.R: rq2_all_terms())
  rq2 = c("(Intercept)" = 0.207, congruent_language = 0.017, congruent_persona = 0.014,
          congruent_origin = 0.004, "congruent_language:congruent_persona" = 0.003,
          "congruent_language:congruent_origin" = 0.016,
          "congruent_persona:congruent_origin" = 0.013,
          "congruent_language:congruent_persona:congruent_origin" = 0.008,
          chinese_participant = -0.144, chinese_language = -0.018, china_persona = -0.002,
          chinese_origin = -0.016),
  # by-LLM SDs per within-LLM term (N, L, P codes), respondent SDs per within-respondent term
  rq2_sd = list(
    llm = c("1" = 0.037, N = 0.026, L = 0.039, P = 0.023, "N:L" = 0.032, "N:P" = 0.016,
            "L:P" = 0.025, "N:L:P" = 0.028),
    respondent = c("1" = 0.117, L = 0.036, P = 0.027, "L:P" = 0.014),
    pair = c("1" = 0.072, L = 0.087, P = 0.029), residual = 0.047
  ),
  removed_sd = 0.02
)

# The calibration's truth: effects and components fitted on the MFQ-2 release with true
# respondent ids (RQ1 by rq1_lmm(), RQ2 by rq2_lmm(); test-published.R refits them), plus what
# the plain simulation leaves out and the release shows: LLMs of one maker share part of their
# by-LLM effects (makers of the release: per origin, how many LLMs each maker has), the RQ2
# by-LLM effects correlate (correlation of the per-LLM contrasts), the two origins' LLMs vary
# unequally (variance ratio first / second origin per by-LLM effect), and respondent x LLM
# slopes for L and P.
calibration_truth <- list(
  rq1 = c("(Intercept)" = 0.227, chinese_participant = -0.195, chinese_origin = -0.007,
          "chinese_participant:chinese_origin" = -0.004),
  rq1_sd = c(respondent = 0.177, respondent_origin = 0.013, llm = 0.041,
             llm_nationality = 0.065, residual = 0.114),
  rq1_variance_ratio = c(llm = 1.06, llm_nationality = 3.8),
  rq2 = c("(Intercept)" = 0.227, congruent_language = 0.019, congruent_persona = 0.016,
          congruent_origin = 0.004, "congruent_language:congruent_persona" = 0.003,
          "congruent_language:congruent_origin" = 0.017,
          "congruent_persona:congruent_origin" = 0.014,
          "congruent_language:congruent_persona:congruent_origin" = 0.008,
          chinese_participant = -0.158, chinese_language = -0.02, china_persona = -0.001,
          chinese_origin = -0.017),
  rq2_sd = list(
    llm = c("1" = 0.040, N = 0.028, L = 0.042, P = 0.025, "N:L" = 0.034, "N:P" = 0.017,
            "L:P" = 0.029, "N:L:P" = 0.030),
    respondent = c("1" = 0.186, L = 0.031, P = 0.034, "L:P" = 0.013),
    pair = c("1" = 0.086, L = 0.104, P = 0.037), residual = 0.047
  ),
  rq2_variance_ratio = c("1" = 1.91, N = 0.95, L = 2.94, P = 0.54, "N:L" = 1.74, "N:P" = 0.4,
                         "L:P" = 0.57, "N:L:P" = 3.07),
  rq2_llm_correlation = matrix(c(
    1, -0.45, 0.06, 0.5, -0.52, -0.25, -0.26, -0.39,
    -0.45, 1, -0.12, -0.46, 0.42, 0.34, -0.07, 0.21,
    0.06, -0.12, 1, 0, -0.05, 0.3, 0.12, -0.34,
    0.5, -0.46, 0, 1, -0.32, -0.28, 0.05, -0.02,
    -0.52, 0.42, -0.05, -0.32, 1, 0.11, 0.03, 0.28,
    -0.25, 0.34, 0.3, -0.28, 0.11, 1, -0.06, 0.16,
    -0.26, -0.07, 0.12, 0.05, 0.03, -0.06, 1, -0.15,
    -0.39, 0.21, -0.34, -0.02, 0.28, 0.16, -0.15, 1
  ), 8, dimnames = rep(list(c("1", "N", "L", "P", "N:L", "N:P", "L:P", "N:L:P")), 2)),
  maker_sizes = list(first = c(1, 2, 1, 1, 2, 2, 1), second = c(3, 2, 2, 3)),
  maker_share = 0.4
)

# The truth with every term that involves LLM origin set to zero.
null_origin <- function(truth) {
  origin_terms <- grepl("origin", names(truth))
  truth[origin_terms] <- 0
  truth
}

simulate_respondents <- function(n_china, n_usa) {
  tibble::tibble(nationality = rep(study_contract()$nations, c(n_china, n_usa)),
                 respondent = c(seq_len(n_china), seq_len(n_usa)))
}

# LLMs alternate between the origins (10 + 10 for 20). With `maker_sizes` (list of the first
# and second origin's LLMs per maker), the LLMs of each origin are dealt to its makers.
simulate_llms <- function(n_llms, maker_sizes = NULL) {
  llms <- tibble::tibble(llm = sprintf("llm-%02d", seq_len(n_llms)),
                         llm_origin = rep(study_contract()$nations, length.out = n_llms))
  if (is.null(maker_sizes)) return(llms)
  first <- llms$llm_origin == first_nation()
  if (sum(maker_sizes$first) != sum(first) || sum(maker_sizes$second) != sum(!first)) {
    stop("maker_sizes do not add up to the LLMs of each origin", call. = FALSE)
  }
  llms$maker <- NA_character_
  llms$maker[first] <- paste0("first-", rep(seq_along(maker_sizes$first), maker_sizes$first))
  llms$maker[!first] <- paste0("second-",
                               rep(seq_along(maker_sizes$second), maker_sizes$second))
  llms
}

# By-LLM effects (LLMs x effects) with SDs `sd`: a share of each effect's variance common to
# the LLMs of a maker, correlated effects (`correlation`, or independent), and variances that
# differ between the origins by `ratio` (first / second; their mean stays sd^2).
simulate_llm_effects <- function(llms, sd, correlation = NULL, ratio = NULL, maker_share = 0) {
  k <- length(sd)
  if (is.null(correlation)) correlation <- diag(k)
  root <- chol(correlation)
  draw <- function(n) matrix(stats::rnorm(n * k), n) %*% root
  z <- sqrt(1 - maker_share) * draw(nrow(llms))
  if (maker_share > 0) {
    makers <- match(llms$maker, unique(llms$maker))
    z <- z + sqrt(maker_share) * draw(max(makers))[makers, , drop = FALSE]
  }
  if (is.null(ratio)) ratio <- rep(1, k)
  first <- llms$llm_origin == first_nation()
  scale <- rbind(sqrt(2 * ratio / (1 + ratio)), sqrt(2 / (1 + ratio)))
  scale <- scale[ifelse(first, 1, 2), , drop = FALSE]
  effects <- z * scale * matrix(sd, nrow(llms), k, byrow = TRUE)
  colnames(effects) <- names(sd)
  effects
}

contract_columns <- function(rows, language, persona, removed = nothing_removed()) {
  rows |>
    dplyr::mutate(
      respondent = as.integer(.data$respondent),
      is_human_mean = FALSE,
      language = language, persona = persona, removed = removed,
      congruent_language = .data$language == own_language(.data$nationality),
      congruent_persona = if (all(.data$persona %in% study_contract()$nations)) {
        .data$persona == .data$nationality
      } else {
        NA
      },
      congruent_origin = .data$llm_origin == .data$nationality
    ) |>
    dplyr::select(dplyr::all_of(derived_columns()))
}

plus_minus <- function(condition) ifelse(condition, 0.5, -0.5)

# RQ1 table: fixed effects + respondent intercept and origin slope + LLM intercept and
# nationality slope + residual (one cosine per respondent x LLM).
# `structure` (calibration_structure()): makers, unequal variances between the origins.
simulate_rq1 <- function(n_china = 150, n_usa = 150, n_llms = 20, seed = 1,
                         truth = simulation_truth$rq1, sd = simulation_truth$rq1_sd,
                         structure = NULL) {
  set.seed(seed)
  respondents <- simulate_respondents(n_china, n_usa)
  respondents$u <- stats::rnorm(nrow(respondents), 0, sd[["respondent"]])
  respondents$u_origin <- stats::rnorm(nrow(respondents), 0, sd[["respondent_origin"]])
  llms <- simulate_llms(n_llms, structure$maker_sizes)
  if (is.null(structure)) {
    llms$v <- stats::rnorm(n_llms, 0, sd[["llm"]])
    llms$v_nationality <- stats::rnorm(n_llms, 0, sd[["llm_nationality"]])
  } else {
    effects <- simulate_llm_effects(llms, sd[c("llm", "llm_nationality")],
                                    ratio = structure$rq1_variance_ratio,
                                    maker_share = structure$maker_share)
    llms$v <- effects[, "llm"]
    llms$v_nationality <- effects[, "llm_nationality"]
  }
  pairs <- tidyr::crossing(respondents, llms)
  n <- plus_minus(pairs$nationality == first_nation())
  o <- plus_minus(pairs$llm_origin == first_nation())
  pairs$cosine <- truth[["(Intercept)"]] + truth[["chinese_participant"]] * n +
    truth[["chinese_origin"]] * o + truth[["chinese_participant:chinese_origin"]] * n * o +
    pairs$u + pairs$u_origin * o + pairs$v + pairs$v_nationality * n +
    stats::rnorm(nrow(pairs), 0, sd[["residual"]])
  pairs$language <- own_language(pairs$nationality)
  contract_columns(pairs, pairs$language, no_persona())
}

# Product of the +/-0.5 codes a within-LLM term names (N, L, P), given code columns.
term_product <- function(term, codes) {
  if (term == "1") return(rep(1, nrow(codes)))
  Reduce(`*`, codes[strsplit(term, ":", fixed = TRUE)[[1]]])
}

# RQ2 table: every respondent x LLM pair in both languages x both personas; fixed effects of
# the full factorial (truth named as in rq2_lmm()), random effects of rq2_lmer_formula.
# `structure` (calibration_structure()): makers, correlated by-LLM effects, unequal variances.
simulate_rq2 <- function(n_china = 150, n_usa = 150, n_llms = 20, seed = 2,
                         truth = simulation_truth$rq2, sd = simulation_truth$rq2_sd,
                         structure = NULL) {
  set.seed(seed)
  respondents <- simulate_respondents(n_china, n_usa)
  respondent_effects <- vapply(sd$respondent, function(s) stats::rnorm(nrow(respondents), 0, s),
                               numeric(nrow(respondents)))
  llms <- simulate_llms(n_llms, structure$maker_sizes)
  llm_effects <- if (is.null(structure)) {
    vapply(sd$llm, function(s) stats::rnorm(n_llms, 0, s), numeric(n_llms))
  } else {
    simulate_llm_effects(llms, sd$llm, structure$rq2_llm_correlation,
                         structure$rq2_variance_ratio, structure$maker_share)
  }
  pairs <- tidyr::crossing(dplyr::mutate(respondents, r = dplyr::row_number()),
                           dplyr::mutate(llms, l = dplyr::row_number()))
  # respondent x LLM intercept and, when sd$pair names them, L and P slopes
  pair_sd <- if (is.null(names(sd$pair))) c("1" = sd$pair[[1]]) else sd$pair
  pair_effects <- vapply(pair_sd, function(s) stats::rnorm(nrow(pairs), 0, s),
                         numeric(nrow(pairs)))
  pairs$pair_index <- seq_len(nrow(pairs))
  nations <- study_contract()$nations
  conditions <- tidyr::crossing(language = own_language(nations), persona = nations)
  rows <- tidyr::crossing(pairs, conditions)
  codes <- data.frame(N = plus_minus(rows$nationality == first_nation()),
                      O = plus_minus(rows$llm_origin == first_nation()),
                      L = plus_minus(rows$language == own_language(first_nation())),
                      P = plus_minus(rows$persona == first_nation()))
  fixed <- numeric(nrow(rows))
  terms <- rq2_all_terms()
  for (name in names(truth)) {
    w <- terms[[name]][[1]]
    x <- term_product(w$term, codes)
    if (w$origin) x <- x * codes$O
    fixed <- fixed + truth[[name]] / w$weight * x
  }
  random <- stats::rnorm(nrow(rows), 0, sd$residual)
  for (term in names(pair_sd)) {
    random <- random + pair_effects[rows$pair_index, term] * term_product(term, codes)
  }
  for (term in names(sd$llm)) {
    random <- random + llm_effects[rows$l, term] * term_product(term, codes)
  }
  for (term in names(sd$respondent)) {
    random <- random + respondent_effects[rows$r, term] * term_product(term, codes)
  }
  rows$cosine <- fixed + random
  contract_columns(rows, rows$language, rows$persona)
}

# RQ3 table: the RQ1 cosines plus one block per removed unit, each shifting cosine by a
# unit-specific amount that also varies by LLM and by respondent.
simulate_rq3 <- function(n_china = 150, n_usa = 150, n_llms = 20,
                         removed = study_contract()$foundations,
                         seed = 3) {
  full <- simulate_rq1(n_china, n_usa, n_llms, seed)
  shifts <- stats::setNames(stats::rnorm(length(removed), 0, 0.02), removed)
  spread <- simulation_truth$removed_sd
  blocks <- lapply(removed, function(unit) {
    by_llm <- stats::setNames(stats::rnorm(n_llms, 0, spread / 2), unique(full$llm))
    by_respondent <- stats::rnorm(n_china + n_usa, 0, spread / 2)
    respondent_index <- ifelse(full$nationality == first_nation(), 0, n_china) + full$respondent
    full |>
      dplyr::mutate(removed = unit,
                    cosine = .data$cosine + shifts[[unit]] + by_llm[.data$llm] +
                      by_respondent[respondent_index] + stats::rnorm(dplyr::n(), 0, spread))
  })
  dplyr::bind_rows(full, blocks)
}

# The RQ2 mixed model this project reported before the factorial model (rq2.R), kept only to
# show by simulation what it got wrong: congruence terms without respondent nationality, the
# interactions tested against row-level error. Its richest candidate, the one chosen on MFQ-2.
previous_rq2_random <- paste(
  "(1 | respondent_key) + (1 + congruent_origin | llm) + (0 + congruent_language | llm) +",
  "(0 + congruent_persona | llm) + (1 | respondent_key:llm)"
)

previous_rq2_lmm <- function(rq2_rows) {
  fit <- as_lmm_test(fit_lmm(lmm_formula(rq2_formula, previous_rq2_random), rq2_rows))
  tidy_lmm(fit$model, "previous_rq2_lmm")
}

# ---- Calibration: type-I error of the origin terms on data without any origin effect --------

# The origin-involving terms each model tests, named as in its table.
calibration_terms <- list(
  rq1_lmm = names(rq1_llm_terms), rq1_llm_level = names(rq1_llm_terms),
  rq2_lmm = names(rq2_llm_terms), previous_rq2_lmm = names(rq2_llm_terms)
)

rq1_calibration_random <- lmm_candidates$rq1[["llm_and_respondent_slopes"]]

# p values of the origin terms of `model` on one simulated data set with every origin effect
# zero (nationality, language, persona and their by-LLM variation as fitted on MFQ-2).
null_p_values <- function(model, seed, n_per_nationality = 60, n_llms = 20) {
  n <- n_per_nationality
  if (model %in% c("rq1_lmm", "rq1_llm_level")) {
    rows <- rq1_data(validate_derived(
      simulate_rq1(n, n, n_llms, seed = seed, truth = null_origin(simulation_truth$rq1))
    ))
  } else {
    rows <- rq2_data(validate_derived(
      simulate_rq2(n, n, n_llms, seed = seed, truth = null_origin(simulation_truth$rq2))
    ))
  }
  table <- switch(model,
    # the structure rq1_lmm() chooses on MFQ-2, fixed (selection would triple the cost)
    rq1_lmm = tidy_lmm(as_lmm_test(fit_lmm(lmm_formula(rq1_formula, rq1_calibration_random),
                                           rows))$model, model),
    rq1_llm_level = {
      crossed <- llm_level_inputs(rows)$rq1$crossed
      values <- per_llm_values(crossed, rq1_llm_terms)
      purrr::map_dfr(colnames(values), function(term) {
        dplyr::mutate(two_sample_t(values[, term], crossed$origin == first_nation()), term = term)
      })
    },
    rq2_lmm = rq2_lmm(rows)$table,
    previous_rq2_lmm = previous_rq2_lmm(rows)
  )
  terms <- calibration_terms[[model]]
  stats::setNames(table$p_value[match(terms, table$term)], terms)
}

# Rejection rate at `alpha` per origin term over `n_sims` null data sets (seeds 1..n_sims),
# with its exact binomial (Clopper-Pearson) 95% Monte-Carlo interval.
# Runs on the future plan (futures.R); each set sets its own seed, so any plan gives the same rates.
null_rejection_rates <- function(model, n_sims, alpha = 0.05, ...) {
  # The options travel as a list: a `...` inside the closure would be passed on by future.apply.
  simulation_args <- list(...)
  p_values <- simulation_lapply(seq_len(n_sims), function(seed) {
    do.call(null_p_values, c(list(model, seed), simulation_args))
  }, seed = 1)
  p_values <- do.call(rbind, p_values)
  purrr::map_dfr(colnames(p_values), function(term) {
    rejected <- sum(p_values[, term] < alpha)
    interval <- stats::binom.test(rejected, n_sims)$conf.int
    tibble::tibble(model = model, term = term, n_sims = n_sims, alpha = alpha,
                   rejection_rate = rejected / n_sims, mc_conf_low = interval[1],
                   mc_conf_high = interval[2])
  })
}

# ---- Calibration that could fail: makers, correlated and unequal by-LLM effects ---------------

# What simulate_rq1() and simulate_rq2() add to independent, equal by-LLM effects.
calibration_structure <- function(truth = calibration_truth, maker_share = truth$maker_share) {
  list(maker_sizes = truth$maker_sizes, maker_share = maker_share,
       rq1_variance_ratio = truth$rq1_variance_ratio,
       rq2_variance_ratio = truth$rq2_variance_ratio,
       rq2_llm_correlation = truth$rq2_llm_correlation)
}

# The simulated LLMs' makers, named by LLM.
calibration_makers <- function(structure) {
  llms <- simulate_llms(sum(unlist(structure$maker_sizes)), structure$maker_sizes)
  stats::setNames(llms$maker, llms$llm)
}

# Which tests of an origin term the book uses (the primary one) and which it shows only to be
# refuted (the LLM-level t ignoring makers).
calibration_tests <- tibble::tribble(
  ~test, ~column, ~book_uses,
  "maker permutation (primary)", "p_primary", TRUE,
  "maker Welch t", "p_primary_welch", TRUE,
  "LLM t, ignoring makers", "p_value", FALSE,
  "LLM permutation, ignoring makers", "p_permutation", FALSE
)

# p values of every origin test on per-LLM values, long (term, test, p).
origin_test_p_values <- function(values, origin_first, makers) {
  tests <- origin_tests(values, origin_first, makers, model_check = FALSE)
  purrr::map_dfr(seq_len(nrow(calibration_tests)), function(i) {
    tibble::tibble(term = tests$term, test = calibration_tests$test[i],
                   p = tests[[calibration_tests$column[i]]])
  })
}

# p values of the origin tests on one simulated data set without any origin effect: RQ1 and RQ2
# terms (maker permutation, maker Welch t, LLM t, LLM permutation) and the RQ2 simple effects
# of congruent origin (Welch t over makers, exact pooled t over LLMs).
calibration_p_values <- function(seed, n_per_nationality = 40, truth = calibration_truth,
                                 maker_share = truth$maker_share) {
  structure <- calibration_structure(truth, maker_share)
  makers <- calibration_makers(structure)
  n <- n_per_nationality
  simulate <- function(f, seed, part) {
    validate_derived(f(n, n, length(makers), seed = seed, truth = null_origin(truth[[part]]),
                       sd = truth[[paste0(part, "_sd")]], structure = structure))
  }
  rq1 <- rq1_data(simulate(simulate_rq1, seed, "rq1"))
  rq2 <- rq2_data(simulate(simulate_rq2, seed + 1e6, "rq2"))
  inputs <- llm_level_inputs(rq1, rq2)
  terms <- purrr::imap_dfr(inputs, function(input, analysis) {
    values <- per_llm_values(input$crossed, input$terms)
    origin_test_p_values(values, input$crossed$origin == first_nation(), makers) |>
      dplyr::mutate(analysis = analysis, .before = 1)
  })
  simple <- rq2_emmeans(rq2_lmm(rq2, makers))$emmeans_rq2_simple_congruence |>
    dplyr::filter(.data$factor == "congruent_origin") |>
    dplyr::mutate(term = paste("congruent_origin at language", .data$congruent_language,
                               "and persona", .data$congruent_persona))
  simple_p <- dplyr::bind_rows(
    tibble::tibble(term = simple$term, test = "maker Welch t (primary)", p = simple$p_primary),
    tibble::tibble(term = simple$term, test = "LLM t, ignoring makers", p = simple$p_value)
  ) |>
    dplyr::mutate(analysis = "rq2 simple effects", .before = 1)
  dplyr::bind_rows(terms, simple_p)
}

# Rejection rate at `alpha` of every test over `n_sets` null data sets (seeds 1..n_sets), with
# its exact binomial (Clopper-Pearson) 95% Monte-Carlo interval; within_band: inside
# [.03, .07]; interval_meets_band: the Monte-Carlo interval reaches into [.03, .07] (what a run
# of 100 sets can tell). book_uses: the test the result tables' verdicts rest on. Runs on the
# future plan (futures.R); set i has seed i whatever the plan.
calibration_table <- function(n_sets, alpha = 0.05, n_per_nationality = 40,
                              maker_share = calibration_truth$maker_share) {
  p_values <- simulation_lapply(seq_len(n_sets), function(seed) {
    calibration_p_values(seed, n_per_nationality, maker_share = maker_share)
  }, seed = 1)
  dplyr::bind_rows(p_values) |>
    dplyr::group_by(.data$analysis, .data$test, .data$term) |>
    dplyr::summarise(rejected = sum(.data$p < alpha), n_sets = dplyr::n(), .groups = "drop") |>
    dplyr::mutate(
      alpha = alpha, rejection_rate = .data$rejected / .data$n_sets,
      mc_conf_low = stats::qbeta(0.025, .data$rejected, .data$n_sets - .data$rejected + 1),
      mc_conf_high = stats::qbeta(0.975, .data$rejected + 1, .data$n_sets - .data$rejected),
      within_band = .data$rejection_rate >= 0.03 & .data$rejection_rate <= 0.07,
      interval_meets_band = .data$mc_conf_low <= 0.07 & .data$mc_conf_high >= 0.03,
      book_uses = !grepl("ignoring makers", .data$test),
      maker_share = maker_share, respondents_per_nationality = n_per_nationality,
      n_llms = sum(unlist(calibration_truth$maker_sizes)),
      n_makers = length(unlist(calibration_truth$maker_sizes)),
      truth = "MFQ-2 release, true respondent ids; correlated, unequal by-LLM effects"
    ) |>
    dplyr::mutate(mc_conf_low = ifelse(.data$rejected == 0, 0, .data$mc_conf_low),
                  mc_conf_high = ifelse(.data$rejected == .data$n_sets, 1, .data$mc_conf_high))
}

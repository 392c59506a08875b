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
            "L:P" = 0.025, "N:L:P" = 0.027),
    respondent = c("1" = 0.117, L = 0.039, P = 0.025, "L:P" = 0),
    pair = 0.067, residual = 0.071
  ),
  removed_sd = 0.02
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

# LLMs alternate between the origins (10 + 10 for 20).
simulate_llms <- function(n_llms) {
  tibble::tibble(llm = sprintf("llm-%02d", seq_len(n_llms)),
                 llm_origin = rep(study_contract()$nations, length.out = n_llms))
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
simulate_rq1 <- function(n_china = 150, n_usa = 150, n_llms = 20, seed = 1,
                         truth = simulation_truth$rq1, sd = simulation_truth$rq1_sd) {
  set.seed(seed)
  respondents <- simulate_respondents(n_china, n_usa)
  respondents$u <- stats::rnorm(nrow(respondents), 0, sd[["respondent"]])
  respondents$u_origin <- stats::rnorm(nrow(respondents), 0, sd[["respondent_origin"]])
  llms <- simulate_llms(n_llms)
  llms$v <- stats::rnorm(n_llms, 0, sd[["llm"]])
  llms$v_nationality <- stats::rnorm(n_llms, 0, sd[["llm_nationality"]])
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
simulate_rq2 <- function(n_china = 150, n_usa = 150, n_llms = 20, seed = 2,
                         truth = simulation_truth$rq2, sd = simulation_truth$rq2_sd) {
  set.seed(seed)
  respondents <- simulate_respondents(n_china, n_usa)
  respondent_effects <- vapply(sd$respondent, function(s) stats::rnorm(nrow(respondents), 0, s),
                               numeric(nrow(respondents)))
  llms <- simulate_llms(n_llms)
  llm_effects <- vapply(sd$llm, function(s) stats::rnorm(n_llms, 0, s), numeric(n_llms))
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
null_rejection_rates <- function(model, n_sims, alpha = 0.05, cores = analysis_cores(), ...) {
  p_values <- parallel::mclapply(seq_len(n_sims), function(seed) {
    saved <- options(moralign.cores = 1)
    on.exit(options(saved))
    null_p_values(model, seed, ...)
  }, mc.cores = cores)
  failed <- vapply(p_values, inherits, logical(1), what = "try-error")
  if (any(failed)) stop(p_values[[which(failed)[1]]], call. = FALSE)
  p_values <- do.call(rbind, p_values)
  purrr::map_dfr(colnames(p_values), function(term) {
    rejected <- sum(p_values[, term] < alpha)
    interval <- stats::binom.test(rejected, n_sims)$conf.int
    tibble::tibble(model = model, term = term, n_sims = n_sims, alpha = alpha,
                   rejection_rate = rejected / n_sims, mc_conf_low = interval[1],
                   mc_conf_high = interval[2])
  })
}

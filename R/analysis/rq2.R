# RQ2: does congruence with the respondent (prompt language, persona, LLM origin) raise
# similarity? Personas China and USA, both languages, LLMs only.

rq2_data <- function(derived) {
  derived |>
    dplyr::filter(!.data$is_human_mean, .data$persona %in% study_contract()$nations,
                  .data$language %in% own_language(study_contract()$nations),
                  .data$removed == nothing_removed()) |>
    compared_pair_rows() |>
    code_congruence_factors()
}

rq2_formula <- cosine ~ congruent_language * congruent_persona * congruent_origin

rq2_ols <- function(data) {
  ols_table(rq2_formula, data, "rq2_ols")
}

# Mean cosine per LLM x language x persona x respondent nationality (figure 4), and by origin;
# every persona, language and origin of the study (the model takes the compared pair only).
rq2_cells <- function(derived) {
  rows <- derived |>
    dplyr::filter(!.data$is_human_mean, .data$persona != no_persona(),
                  .data$removed == nothing_removed())
  by_llm <- rows |>
    dplyr::group_by(.data$llm, .data$llm_origin, .data$language, .data$persona,
                    .data$nationality) |>
    summarise_mean_ci(.data$cosine) |>
    dplyr::mutate(level = "llm", .before = 1)
  by_origin <- rows |>
    dplyr::group_by(.data$llm_origin, .data$language, .data$persona, .data$nationality) |>
    summarise_mean_ci(.data$cosine) |>
    dplyr::mutate(level = "origin", llm = NA_character_, .before = 1)
  dplyr::bind_rows(by_llm, by_origin) |> dplyr::relocate("level", "llm")
}

# ---- The RQ2 mixed model --------------------------------------------------------------------
#
# Fixed effects: the full factorial of four +/-0.5 codes, N (Chinese respondent), O (Chinese
# LLM), L (Chinese prompt), P (China persona). The paper's congruence codes are products of
# them: cL = 2NL, cP = 2NP, cO = 2NO, cL:cP = LP, cL:cO = LO, cP:cO = PO, cL:cP:cO = 2NLPO
# (N^2 = 1/4), so each congruence term is one factorial coefficient (halved for the four that
# carry N) and the other eight factorial terms (N, O, L, P, NOL, NOP, NLP, OLP) are the
# nationality, origin, language and persona differences the congruence model leaves out.
#
# Random effects (maximal, uncorrelated): respondent intercept and by-respondent slopes for L,
# P and L:P (the terms that vary within a respondent and do not involve origin); a respondent x
# LLM intercept and slopes for L and P (so each respondent x LLM term has its own mean square:
# they differ several-fold on MFQ-2, and one pooled residual would bias the respondent slope
# variances); the residual is the respondent x LLM L:P variation; by-LLM intercept and slopes
# for N, L, P, N:L, N:P, L:P, N:L:P (every term that varies within an LLM). As an lme4
# formula: rq2_lmer_formula below. A correlated version has 8 x 8 (LLM) and 4 x 4 (respondent)
# covariance matrices; 17-20 LLMs do not identify it.
#
# Fitted exactly, without lme4, because the design is balanced and crossed: every respondent
# meets every LLM in all four language x persona conditions. Then (with equal weight per cell)
# - each fixed effect is a contrast of the 16 cell means, and GLS equals it;
# - per LLM, the eight contrasts d[l, T] of its N x L x P cell means (T a subset of {N, L, P})
#   carry everything about the by-LLM terms: a term T x O is mean(d[, T] | Chinese LLMs) -
#   mean(d[, T] | American LLMs), a term T their average. Respondent effects are the same in
#   every LLM and cancel from T x O exactly, so every origin-involving term is a two-sample
#   comparison of 10 + 10 per-LLM contrasts with n_LLM - 2 df; a combination of terms (a
#   simple effect, a cell mean) is the same comparison of each LLM's combined contrast, whose
#   variance comes from the pooled within-origin covariance of the d[l, T] (by-LLM effects
#   correlate), not from the terms' variances alone;
# - a term without origin also carries the respondent means of the slopes that vary within
#   respondents (intercept, L, P, L:P; and their nationality differences for N, N:L, N:P,
#   N:L:P). Its variance is a sum of balanced-ANOVA mean squares (LLM, respondent, respondent
#   x LLM), the classical quasi-F construction, with Satterthwaite df.
# With no variance component estimated below zero this is the REML fit of rq2_lmer_formula
# (tests/testthat/test-rq2-fast.R checks estimates, SEs and df against lmer). A respondent
# component estimated below zero is set to zero (as REML would); the per-LLM mean square is
# always kept whole: where REML would truncate an LLM slope variance it pools that stratum with
# the respondent x LLM one (hundreds of df), while the closed form keeps the exact two-sample
# test of the per-LLM contrasts on n_LLM - 2 df.

rq2_factors <- c(N = "chinese_participant", O = "chinese_origin", L = "chinese_language",
                 P = "china_persona")

# The eight subsets of {N, L, P}, as sign columns over the 2 x 4 nationality x condition cells.
rq2_conditions <- function() {
  nations <- study_contract()$nations
  as.vector(t(outer(own_language(nations), nations, paste, sep = "|")))
}
rq2_within_terms <- c("1", "N", "L", "P", "N:L", "N:P", "L:P", "N:L:P")
rq2_respondent_terms <- c("1", "L", "P", "L:P")

# Sign (+1/-1) of a term over cells; `signs` is a list of named sign vectors per factor.
term_signs <- function(term, signs) {
  if (term == "1") return(rep(1, length(signs[[1]])))
  Reduce(`*`, signs[strsplit(term, ":", fixed = TRUE)[[1]]])
}

term_order <- function(term) if (term == "1") 0 else length(strsplit(term, ":")[[1]])

factorial_name <- function(term, origin = FALSE) {
  parts <- if (term == "1") character() else strsplit(term, ":", fixed = TRUE)[[1]]
  if (origin) parts <- c("O", parts)
  parts <- parts[order(match(parts, names(rq2_factors)))]
  if (length(parts) == 0) "(Intercept)" else paste(rq2_factors[parts], collapse = ":")
}

# Paper terms as weights on the factorial coefficients (within-LLM term, with origin?).
rq2_paper_terms <- list(
  "(Intercept)" = list(term = "1", origin = FALSE, weight = 1),
  congruent_language = list(term = "N:L", origin = FALSE, weight = 0.5),
  congruent_persona = list(term = "N:P", origin = FALSE, weight = 0.5),
  congruent_origin = list(term = "N", origin = TRUE, weight = 0.5),
  "congruent_language:congruent_persona" = list(term = "L:P", origin = FALSE, weight = 1),
  "congruent_language:congruent_origin" = list(term = "L", origin = TRUE, weight = 1),
  "congruent_persona:congruent_origin" = list(term = "P", origin = TRUE, weight = 1),
  "congruent_language:congruent_persona:congruent_origin" =
    list(term = "N:L:P", origin = TRUE, weight = 0.5)
)

rq2_congruence_family <- "rq2 congruence terms"

rq2_lmer_formula <- cosine ~ chinese_participant * chinese_origin * chinese_language *
  china_persona + (1 | respondent_key) + (0 + chinese_language | respondent_key) +
  (0 + china_persona | respondent_key) + (0 + chinese_language:china_persona | respondent_key) +
  (1 | respondent_key:llm) + (0 + chinese_language | respondent_key:llm) +
  (0 + china_persona | respondent_key:llm) + (1 | llm) + (0 + chinese_participant | llm) +
  (0 + chinese_language | llm) + (0 + china_persona | llm) +
  (0 + chinese_participant:chinese_language | llm) +
  (0 + chinese_participant:china_persona | llm) + (0 + chinese_language:china_persona | llm) +
  (0 + chinese_participant:chinese_language:china_persona | llm)

# The sufficient statistics of the model: per-LLM contrasts and the mean squares.
rq2_fit <- function(rq2_rows) {
  rows <- dplyr::mutate(rq2_rows, condition = paste(.data$language, .data$persona, sep = "|"))
  crossed <- respondent_llm_array(rows, "condition", rq2_conditions())
  y <- crossed$y
  china <- crossed$nationality == first_nation()
  n_llm <- dim(y)[2]
  condition_signs <- list(L = c(1, 1, -1, -1), P = c(1, -1, 1, -1))
  # per respondent x LLM contrasts over the four conditions, scaled as coefficients
  pair_contrast <- lapply(stats::setNames(rq2_respondent_terms, rq2_respondent_terms),
                          function(term) {
    w <- term_signs(term, condition_signs) * 2^term_order(term) / 4
    Reduce(`+`, lapply(seq_along(w), function(k) w[k] * y[, , k]))
  })
  # per-LLM contrasts d[l, T]: for T without N the average over nationalities, with N their
  # difference, of the mean over respondents of the pair contrast
  group_means <- lapply(pair_contrast, function(m) {
    means <- rbind(colMeans(m[china, , drop = FALSE]), colMeans(m[!china, , drop = FALSE]))
    rownames(means) <- c(first_nation(), second_nation())
    means
  })
  d <- vapply(rq2_within_terms, function(term) {
    parts <- strsplit(term, ":", fixed = TRUE)[[1]]
    rest <- setdiff(parts, "N")
    base <- if (length(rest) == 0) "1" else paste(rest, collapse = ":")
    means <- group_means[[base]]
    if ("N" %in% parts) means[first_nation(), ] - means[second_nation(), ] else colMeans(means)
  }, numeric(n_llm))
  d <- matrix(d, nrow = n_llm, dimnames = list(crossed$llms, rq2_within_terms))
  origin_china <- crossed$origin == first_nation()
  if (n_llm < 3) stop("RQ2 needs at least three LLMs", call. = FALSE)
  # respondent and respondent x LLM mean squares (within nationality)
  within_groups <- function(m) {
    resp_means <- rowMeans(m)
    ms_resp <- sum(tapply(resp_means, china, function(x) sum((x - mean(x))^2))) /
      (length(resp_means) - 2)
    ss_pair <- sum(vapply(c(TRUE, FALSE), function(g) {
      block <- m[china == g, , drop = FALSE]
      r <- block - rowMeans(block)
      r <- sweep(r, 2, colMeans(r))
      sum(r^2)
    }, numeric(1)))
    df_pair <- (sum(china) - 1 + sum(!china) - 1) * (n_llm - 1)
    c(ms_resp = ms_resp, ms_pair = ss_pair / df_pair, df_pair = df_pair)
  }
  respondent <- vapply(pair_contrast, within_groups, numeric(3))
  covariance <- pooled_within_covariance(d, origin_china)
  list(
    d = d, origin_china = origin_china, cov_llm = covariance,
    ms_llm = diag(covariance), df_llm = n_llm - 2,
    respondent = respondent,
    n_respondents = stats::setNames(c(sum(china), sum(!china)), c(first_nation(), second_nation())),
    n_llm = n_llm, n_obs = length(y), llms = crossed$llms, respondents = crossed$respondents
  )
}

# Pooled within-origin variance of each column of per-LLM values.
pooled_within_variance <- function(values, origin_china) {
  diag(pooled_within_covariance(values, origin_china))
}

# Pooled within-origin covariance matrix of the columns of per-LLM values.
pooled_within_covariance <- function(values, origin_china) {
  centred <- values
  for (group in c(TRUE, FALSE)) {
    rows <- origin_china == group
    centred[rows, ] <- sweep(values[rows, , drop = FALSE], 2,
                             colMeans(values[rows, , drop = FALSE]))
  }
  crossprod(centred) / (nrow(values) - 2)
}

# The residual variance of rq2_lmer_formula: the respondent x LLM L:P contrast (coefficient
# scale, weights +/-1 over the four conditions) has variance 4 sigma^2.
rq2_residual_variance <- function(fit) {
  list(value = fit$respondent["ms_pair", "L:P"] / 4, df = fit$respondent["df_pair", "L:P"])
}

# Mean square of the respondent x LLM stratum for a respondent term: each term its own.
rq2_pair_mean_square <- function(fit, term) {
  list(value = fit$respondent["ms_pair", term], df = fit$respondent["df_pair", term])
}

# Estimate, SE (quasi-F) and Satterthwaite df of linear functions of the factorial
# coefficients; `weights` is a list of lists(term, origin, weight) (see rq2_paper_terms).
rq2_linear_test <- function(fit, weights) {
  n1 <- sum(fit$origin_china)
  n2 <- sum(!fit$origin_china)
  # weights on gamma_T of the first and of the second origin, the mean per-LLM contrast within
  # each origin
  on_china <- on_usa <- stats::setNames(numeric(length(rq2_within_terms)), rq2_within_terms)
  for (w in weights) {
    if (w$origin) {
      on_china[w$term] <- on_china[w$term] + w$weight
      on_usa[w$term] <- on_usa[w$term] - w$weight
    } else {
      on_china[w$term] <- on_china[w$term] + w$weight / 2
      on_usa[w$term] <- on_usa[w$term] + w$weight / 2
    }
  }
  gamma_china <- colMeans(fit$d[fit$origin_china, , drop = FALSE])
  gamma_usa <- colMeans(fit$d[!fit$origin_china, , drop = FALSE])
  estimate <- sum(on_china * gamma_china + on_usa * gamma_usa)
  # the LLM stratum: variance of each origin's mean of the LLMs' combined contrasts, from the
  # pooled within-origin covariance of the per-LLM contrasts
  parts <- if (is.null(fit$cov_by_origin)) {
    tibble::tibble(value = sum(on_china * (fit$cov_llm %*% on_china)) / n1 +
                     sum(on_usa * (fit$cov_llm %*% on_usa)) / n2,
                   df = fit$df_llm, coefficient = 1)
  } else {
    tibble::tibble(value = c(sum(on_china * (fit$cov_by_origin[[1]] %*% on_china)) / n1,
                             sum(on_usa * (fit$cov_by_origin[[2]] %*% on_usa)) / n2),
                   df = c(n1 - 1, n2 - 1), coefficient = 1)
  }
  n_china <- fit$n_respondents[[first_nation()]]
  n_usa <- fit$n_respondents[[second_nation()]]
  for (term in rq2_respondent_terms) {
    with_n <- if (term == "1") "N" else paste0("N:", term)
    a <- on_china[[term]] + on_usa[[term]]
    b <- on_china[[with_n]] + on_usa[[with_n]]
    q <- (a / 2 + b)^2 / n_china + (a / 2 - b)^2 / n_usa
    ms_resp <- fit$respondent["ms_resp", term]
    pair <- rq2_pair_mean_square(fit, term)
    component <- ms_resp - pair$value / fit$n_llm
    if (q > 0 && component > 0) {
      parts <- dplyr::bind_rows(parts, tibble::tibble(
        value = c(ms_resp, pair$value), df = c(length(fit$respondents) - 2, pair$df),
        coefficient = c(q, -q / fit$n_llm)
      ))
    }
  }
  parts <- parts[parts$coefficient != 0, ]
  variance <- sum(parts$coefficient * parts$value)
  df <- variance^2 / sum((parts$coefficient * parts$value)^2 / parts$df)
  list(estimate = estimate, std_error = sqrt(variance), df = df)
}

# Every factorial term as a one-coefficient weight list, paper terms first.
rq2_all_terms <- function() {
  factorial <- list()
  for (origin in c(FALSE, TRUE)) {
    for (term in rq2_within_terms) {
      factorial[[factorial_name(term, origin)]] <- list(term = term, origin = origin, weight = 1)
    }
  }
  used <- vapply(rq2_paper_terms, function(w) factorial_name(w$term, w$origin), "")
  c(lapply(rq2_paper_terms, list), lapply(factorial[setdiff(names(factorial), used)], list))
}

# The fit with its between-LLM stratum taken over the inference units (llm_level.R): each
# maker's mean of its LLMs' contrasts (the LLMs themselves when makers are unknown), with each
# origin's own covariance (Welch: the units of the two origins vary unequally).
rq2_fit_by_unit <- function(fit, makers = NULL) {
  units <- inference_units(fit$llms, fit$origin_china, makers)
  means <- unit_means(fit$d, fit$origin_china, units$unit)
  fit$units <- units
  fit$d <- means$values
  fit$origin_china <- means$origin_first
  fit$cov_by_origin <- lapply(c(TRUE, FALSE), function(g) {
    stats::cov(fit$d[fit$origin_china == g, , drop = FALSE])
  })
  fit
}

# rq2_tests() at the LLM level, with the primary columns (the same tests with makers as the
# between-LLM unit) when the fit carries a unit fit (rq2_lmm()).
rq2_tests_table <- function(fit, weight_lists, level = 0.95) {
  table <- rq2_tests(fit, weight_lists, level)
  if (is.null(fit$unit_fit)) return(table)
  unit <- rq2_tests(fit$unit_fit, weight_lists, level)
  units <- fit$unit_fit$units
  dplyr::mutate(table, primary_unit = units$level,
                primary_test = sprintf("Welch t over %ss", units$level),
                primary_note = units$note, primary_estimate = unit$estimate,
                primary_std_error = unit$std_error, primary_df = unit$df,
                primary_conf_low = unit$conf_low, primary_conf_high = unit$conf_high,
                p_primary = unit$p_value)
}

rq2_tests <- function(fit, weight_lists, level = 0.95) {
  tests <- lapply(weight_lists, rq2_linear_test, fit = fit)
  estimate <- vapply(tests, `[[`, 0, "estimate")
  std_error <- vapply(tests, `[[`, 0, "std_error")
  df <- vapply(tests, `[[`, 0, "df")
  statistic <- estimate / std_error
  interval <- t_interval(estimate, std_error, df, level)
  tibble::tibble(
    term = names(weight_lists), estimate = unname(estimate), std_error = unname(std_error),
    statistic = unname(statistic), df = unname(df),
    p_value = unname(2 * stats::pt(abs(statistic), df, lower.tail = FALSE)),
    conf_low = interval$low, conf_high = interval$high,
    d_row_sd = unname(estimate) / rq2_total_sd(fit),
    df_method = "Satterthwaite (balanced ANOVA = REML)"
  )
}

# Coefficient table: paper congruence terms (Holm over the seven, family named), then the
# other eight factorial terms.
rq2_lmm_table <- function(fit, model_name = "rq2_lmm") {
  table <- rq2_tests_table(fit, rq2_all_terms())
  paper <- table$term %in% setdiff(names(rq2_paper_terms), "(Intercept)")
  table$family <- ifelse(paper, rq2_congruence_family, NA_character_)
  table$p_adjusted <- NA_real_
  table$p_adjusted[paper] <- stats::p.adjust(table$p_value[paper], method = "holm")
  table$adjust <- ifelse(paper, "holm", NA_character_)
  if ("p_primary" %in% names(table)) {
    table$p_primary_adjusted <- NA_real_
    table$p_primary_adjusted[paper] <- stats::p.adjust(table$p_primary[paper], method = "holm")
  }
  table$paper_term <- table$term %in% names(rq2_paper_terms)
  table$n_obs <- fit$n_obs
  dplyr::mutate(table, model = model_name, .before = 1)
}

# makers: named by LLM (study_makers()); NULL or NA for unknown.
rq2_lmm <- function(rq2_rows, makers = NULL) {
  fit <- rq2_fit(rq2_rows)
  fit$unit_fit <- rq2_fit_by_unit(fit, makers)
  fit$table <- rq2_lmm_table(fit)
  fit
}

# ---- Variance components and diagnostics --------------------------------------------------

rq2_variance_components <- function(fit, model_name = "rq2_lmm") {
  residual <- rq2_residual_variance(fit)
  n_factor <- 1 / fit$n_respondents[[first_nation()]] + 1 / fit$n_respondents[[second_nation()]]
  # part of Var(d[l, T]) that comes from the respondent x LLM stratum
  llm_noise <- vapply(rq2_within_terms, function(term) {
    parts <- strsplit(term, ":", fixed = TRUE)[[1]]
    rest <- setdiff(parts, "N")
    base <- if (length(rest) == 0) "1" else paste(rest, collapse = ":")
    pair <- rq2_pair_mean_square(fit, base)$value
    pair * n_factor * (if ("N" %in% parts) 1 else 1 / 4)
  }, numeric(1))
  llm <- pmax(fit$ms_llm - llm_noise, 0)
  respondent <- vapply(rq2_respondent_terms, function(term) {
    max(fit$respondent["ms_resp", term] - rq2_pair_mean_square(fit, term)$value / fit$n_llm, 0)
  }, numeric(1))
  # respondent x LLM intercept (weights 1/4: sigma^2 / 4 of residual) and L, P slopes
  # (weights +/-1/2: sigma^2)
  pair <- c("1" = fit$respondent["ms_pair", "1"] - residual$value / 4,
            L = fit$respondent["ms_pair", "L"] - residual$value,
            P = fit$respondent["ms_pair", "P"] - residual$value)
  pair <- pmax(pair, 0)
  label <- function(term) vapply(term, factorial_name, "")
  tibble::tibble(
    model = model_name,
    group = c(rep("llm", length(llm)), rep("respondent_key", length(respondent)),
              rep("respondent_key:llm", length(pair)), "Residual"),
    term = c(label(names(llm)), label(names(respondent)), label(names(pair)), ""),
    term2 = "",
    variance = unname(c(llm, respondent, pair, residual$value)),
    sd_or_cor = sqrt(.data$variance)
  )
}

# SD of one cosine at the centre of the design: every random intercept plus the residual.
rq2_total_sd <- function(fit) {
  components <- rq2_variance_components(fit)
  sqrt(sum(components$variance[components$term %in% c("(Intercept)", "")]))
}

rq2_lmm_selection <- function(fit, model_name = "rq2_lmm") {
  tibble::tibble(
    model = model_name, structure = "maximal_uncorrelated",
    random = sub("^.*china_persona \\+ ", "", deparse1(rq2_lmer_formula, collapse = "")),
    singular = any(rq2_variance_components(fit)$variance == 0), converged = TRUE,
    warnings = "", aic = NA_real_, lrt_p_vs_previous_choice = NA_real_, fit_seconds = NA_real_,
    not_fitted_reason = NA_character_, chosen = TRUE
  )
}

rq2_lmm_diagnostics <- function(fit, model_name = "rq2_lmm") {
  components <- rq2_variance_components(fit)
  intercepts <- components[components$term %in% c("(Intercept)", ""), ]
  # slopes enter the marginal variance with the mean square of their +/-0.5 design column
  design_square <- 4^-vapply(components$term, function(term) {
    if (term %in% c("(Intercept)", "")) 0 else length(strsplit(term, ":")[[1]])
  }, numeric(1))
  random <- sum(components$variance * design_square) - intercepts$variance[intercepts$group ==
                                                                              "Residual"]
  fixed <- rq2_fixed_variance(fit)
  total <- fixed + random + intercepts$variance[intercepts$group == "Residual"]
  tibble::tibble(
    model = model_name,
    formula = deparse1(rq2_lmer_formula, collapse = ""),
    structure = "maximal_uncorrelated",
    n_obs = fit$n_obs, n_respondents = length(fit$respondents), n_llms = fit$n_llm,
    reml = TRUE, optimizer = "balanced ANOVA (closed form)",
    singular = any(components$variance == 0), converged = TRUE, warnings = "",
    r2_marginal = fixed / total, r2_conditional = (fixed + random) / total,
    icc = icc_string(intercepts$group, intercepts$variance),
    residual_sd = sqrt(intercepts$variance[intercepts$group == "Residual"]),
    df_method = "Satterthwaite (balanced ANOVA = REML)"
  )
}

# Variance over rows of the fixed-effect prediction (the 16 cell means of the factorial).
rq2_fixed_variance <- function(fit) {
  table <- rq2_tests(fit, rq2_all_terms())
  codes <- expand.grid(N = c(0.5, -0.5), O = c(0.5, -0.5), L = c(0.5, -0.5), P = c(0.5, -0.5))
  weights <- ifelse(codes$N > 0, fit$n_respondents[[first_nation()]],
                    fit$n_respondents[[second_nation()]]) *
    ifelse(codes$O > 0, sum(fit$origin_china), sum(!fit$origin_china))
  all_terms <- rq2_all_terms()
  prediction <- rowSums(vapply(names(all_terms), function(name) {
    w <- all_terms[[name]][[1]]
    columns <- c(if (w$origin) "O", if (w$term != "1") strsplit(w$term, ":")[[1]])
    x <- if (length(columns) == 0) rep(1, nrow(codes)) else Reduce(`*`, codes[columns])
    table$estimate[table$term == name] / w$weight * x
  }, numeric(nrow(codes))))
  centre <- sum(weights * prediction) / sum(weights)
  sum(weights * (prediction - centre)^2) / sum(weights)
}

# ---- Contrasts of congruence (the emmeans tables of RQ2) ----------------------------------

rq2_congruence_factors <- c("congruent_language", "congruent_persona", "congruent_origin")

# The linear function "sum over paper terms of the product of `values` x coefficient":
# `values` names each congruence factor and "(Intercept)": +/-0.5 for a factor held at a level,
# 1 for the factor whose effect is taken, 0 for a factor averaged over.
congruence_combination <- function(values) {
  weights <- list()
  for (term in names(rq2_paper_terms)) {
    multiplier <- prod(values[strsplit(term, ":", fixed = TRUE)[[1]]])
    if (multiplier == 0) next
    w <- rq2_paper_terms[[term]]
    weights[[term]] <- list(term = w$term, origin = w$origin, weight = w$weight * multiplier)
  }
  weights
}

# Holm over a family's primary p values, when the table has them.
holm_primary <- function(table) {
  if (!"p_primary" %in% names(table)) return(table)
  dplyr::mutate(table, p_primary_adjusted = stats::p.adjust(.data$p_primary, method = "holm"))
}

rq2_emmeans <- function(fit) {
  label <- function(value) ifelse(value > 0, "congruent", "incongruent")
  effect_point <- function(variable, fixed = c()) {
    values <- stats::setNames(rep(0, 4), c("(Intercept)", rq2_congruence_factors))
    values[names(fixed)] <- fixed
    values[variable] <- 1
    # only terms containing `variable` carry its effect
    combination <- congruence_combination(values)
    keep <- vapply(names(combination), function(t) variable %in% strsplit(t, ":")[[1]], TRUE)
    combination[keep]
  }
  main <- rq2_tests_table(fit, lapply(stats::setNames(rq2_congruence_factors,
                                                      rq2_congruence_factors), effect_point)) |>
    dplyr::mutate(family = "congruence effects", factor = .data$term,
                  contrast = "congruent - incongruent", .before = 1) |>
    dplyr::select(-"term") |>
    dplyr::mutate(p_adjusted = stats::p.adjust(.data$p_value, method = "holm"), adjust = "holm") |>
    holm_primary()
  simple <- purrr::map_dfr(rq2_congruence_factors, function(variable) {
    others <- setdiff(rq2_congruence_factors, variable)
    grid <- expand.grid(a = c(0.5, -0.5), b = c(0.5, -0.5))
    names(grid) <- others
    points <- lapply(seq_len(nrow(grid)), function(i) {
      effect_point(variable, unlist(grid[i, ]))
    })
    rq2_tests_table(fit, stats::setNames(points, seq_along(points))) |>
      dplyr::select(-"term") |>
      dplyr::bind_cols(tibble::as_tibble(lapply(grid, label))) |>
      dplyr::mutate(family = paste("simple effects of", variable), factor = variable,
                    contrast = "congruent - incongruent",
                    p_adjusted = stats::p.adjust(.data$p_value, method = "holm"),
                    adjust = "holm") |>
      holm_primary()
  }) |>
    dplyr::relocate("family", "factor", "contrast", dplyr::all_of(rq2_congruence_factors))
  grid <- expand.grid(congruent_language = c(0.5, -0.5), congruent_persona = c(0.5, -0.5),
                      congruent_origin = c(0.5, -0.5))
  cells <- rq2_tests_table(fit, stats::setNames(lapply(seq_len(nrow(grid)), function(i) {
    values <- c(unlist(grid[i, ]), "(Intercept)" = 1)
    congruence_combination(values)
  }), seq_len(nrow(grid)))) |>
    dplyr::select(-"term") |>
    dplyr::bind_cols(tibble::as_tibble(lapply(grid, label))) |>
    dplyr::mutate(family = "cell means", p_adjusted = .data$p_value, adjust = "none") |>
    dplyr::relocate("family", dplyr::all_of(rq2_congruence_factors))
  list(
    emmeans_rq2_congruence = main,
    emmeans_rq2_simple_congruence = simple,
    emmeans_rq2_cells = cells
  )
}

# Inference at the unit of the origin claims. Every term that involves LLM origin is a
# difference between the first and the second compared nation's LLMs of a per-LLM contrast (a
# linear function of that LLM's mean cosines over each nationality's respondents and the
# conditions). Because the same respondents meet every LLM, respondent effects cancel from it.
# LLMs of one maker are not independent, so the primary test takes the maker as the unit: the
# per-maker mean of the per-LLM contrasts, origin permuted over the makers (exact enumeration,
# 330 splits for 7 + 4 makers), with a t interval on n_maker - 2 df. Beside it: a
# `(1 | maker)` model of the per-LLM contrasts as a check, and the LLM-level tests (two-sample
# t, df = n_LLM - 2; permutation over LLMs; two-way cluster bootstrap; each LLM left out).
# Without known makers the LLM is the unit, and the table says so (inference_units()).

llm_level_boot_reps <- 999
llm_level_seed <- 20251213
# Above this many origin splits the permutation test samples this many of them at random.
permutation_exact_limit <- 2e6

# Cosines as a respondent x LLM x condition array; refuses an incomplete crossing.
respondent_llm_array <- function(rows, condition, conditions) {
  respondents <- unique(rows[c("respondent_key", "nationality")]) |>
    dplyr::arrange(dplyr::desc(.data$nationality == first_nation()), .data$respondent_key)
  llms <- unique(rows[c("llm", "llm_origin")]) |>
    dplyr::arrange(dplyr::desc(.data$llm_origin == first_nation()), .data$llm)
  for (table in list(respondents = respondents, llms = llms)) {
    if (anyDuplicated(table[[1]])) {
      stop(sprintf("%s has two nationalities/origins", table[[1]][anyDuplicated(table[[1]])]),
           call. = FALSE)
    }
  }
  k <- match(rows[[condition]], conditions)
  if (anyNA(k)) {
    stop(sprintf("row %d: %s `%s` not in {%s}", which(is.na(k))[1], condition,
                 rows[[condition]][which(is.na(k))[1]], paste(conditions, collapse = ", ")),
         call. = FALSE)
  }
  index <- cbind(match(rows$respondent_key, respondents$respondent_key),
                 match(rows$llm, llms$llm), k)
  if (anyDuplicated(index)) {
    row <- anyDuplicated(index)
    stop(sprintf("row %d: a second cosine for respondent %s x LLM %s x %s", row,
                 rows$respondent_key[row], rows$llm[row], rows[[condition]][row]), call. = FALSE)
  }
  y <- array(NA_real_, c(nrow(respondents), nrow(llms), length(conditions)))
  y[index] <- rows$cosine
  if (anyNA(y)) {
    at <- which(is.na(y), arr.ind = TRUE)[1, ]
    stop(sprintf(paste("respondent %s x LLM %s has no cosine for %s; the crossed analyses",
                       "need every respondent to meet every LLM in every condition"),
                 respondents$respondent_key[at[1]], llms$llm[at[2]], conditions[at[3]]),
         call. = FALSE)
  }
  list(y = y, nationality = respondents$nationality, origin = llms$llm_origin,
       llms = llms$llm, respondents = respondents$respondent_key, conditions = conditions)
}

# A term: weights over the conditions for the mean of the first and of the second compared
# nation's respondents.
llm_term <- function(first, second) rbind(first = first, second = second)

# The origin-involving terms of RQ1, RQ2 and RQ3, named as in their model tables.
rq1_llm_terms <- list(
  chinese_origin = llm_term(0.5, 0.5),
  "chinese_participant:chinese_origin" = llm_term(1, -1)
)

# Conditions in rq2_conditions() order: Chinese|China, Chinese|USA, English|China, English|USA.
rq2_llm_terms <- local({
  l <- c(1, 1, -1, -1)
  p <- c(1, -1, 1, -1)
  list(
    congruent_origin = llm_term(rep(1 / 8, 4), rep(-1 / 8, 4)),
    "congruent_language:congruent_origin" = llm_term(l / 4, l / 4),
    "congruent_persona:congruent_origin" = llm_term(p / 4, p / 4),
    "congruent_language:congruent_persona:congruent_origin" = llm_term(l * p / 2, -l * p / 2)
  )
})

# RQ3: conditions are the removed levels, "none" first; change = removed minus full cosine.
rq3_llm_terms <- function(removed_levels) {
  units <- setdiff(removed_levels, nothing_removed())
  change <- function(unit) {
    as.numeric(removed_levels == unit) - (removed_levels == nothing_removed())
  }
  terms <- list()
  for (unit in units) {
    terms[[paste0("chinese_origin:removed", unit)]] <- llm_term(change(unit) / 2, change(unit) / 2)
    terms[[paste0("chinese_participant:chinese_origin:removed", unit)]] <-
      llm_term(change(unit), -change(unit))
  }
  terms
}

# Per-LLM contrasts: one column per term. `weights` (replicates x respondents) gives
# respondent bootstrap weights; the result is then replicates x LLMs per term.
llm_contrasts <- function(crossed, terms, weights = NULL) {
  china <- crossed$nationality == first_nation()
  n_llm <- length(crossed$llms)
  n_conditions <- length(crossed$conditions)
  means <- lapply(c(first = TRUE, second = FALSE), function(group) {
    block <- matrix(crossed$y[china == group, , , drop = FALSE], nrow = sum(china == group))
    w <- if (is.null(weights)) matrix(1, 1, nrow(block)) else weights[, china == group]
    (w %*% block) / rowSums(w)
  })
  lapply(terms, function(term) {
    Reduce(`+`, lapply(names(means), function(group) {
      Reduce(`+`, lapply(seq_len(n_conditions), function(k) {
        if (term[group, k] == 0) return(0)
        term[group, k] * means[[group]][, (k - 1) * n_llm + seq_len(n_llm), drop = FALSE]
      }))
    }))
  })
}

# Per-LLM contrasts as an LLMs x terms matrix.
per_llm_values <- function(crossed, terms) {
  values <- vapply(llm_contrasts(crossed, terms), function(m) m[1, ], numeric(length(crossed$llms)))
  matrix(values, ncol = length(terms), dimnames = list(crossed$llms, names(terms)))
}

two_sample_t <- function(values, origin_china) {
  n1 <- sum(origin_china)
  n2 <- sum(!origin_china)
  estimate <- mean(values[origin_china]) - mean(values[!origin_china])
  pooled <- pooled_within_variance(matrix(values), origin_china)
  std_error <- sqrt(pooled * (1 / n1 + 1 / n2))
  statistic <- estimate / std_error
  df <- n1 + n2 - 2
  tibble::tibble(estimate = estimate, std_error = std_error, df = df, statistic = statistic,
                 p_value = 2 * stats::pt(abs(statistic), df, lower.tail = FALSE))
}

# Every split of the LLMs into groups of the observed sizes, as an indicator matrix (splits x
# LLMs); sampled at random when there are more than `permutation_exact_limit`.
origin_splits <- function(n, n1) {
  key <- paste(n, n1)
  if (!is.null(split_cache[[key]])) return(split_cache[[key]])
  if (choose(n, n1) <= permutation_exact_limit) {
    chosen <- utils::combn(n, n1)
  } else {
    chosen <- replicate(1e5, sample.int(n, n1))
  }
  splits <- matrix(0, ncol(chosen), n)
  splits[cbind(rep(seq_len(ncol(chosen)), each = n1), as.vector(chosen))] <- 1
  if (choose(n, n1) <= permutation_exact_limit) split_cache[[key]] <- splits
  splits
}

# Exact split matrices already enumerated, by "n n1" (the same sizes recur in every analysis).
split_cache <- new.env(parent = emptyenv())

# Two-sided permutation p value of the difference in means, for every column of `values`
# at once. With the group sizes fixed, |t| is monotone in |difference|, so this is the
# permutation test of the t statistic too.
permutation_p <- function(values, origin_china) {
  n1 <- sum(origin_china)
  n2 <- length(origin_china) - n1
  splits <- origin_splits(length(origin_china), n1)
  sums <- splits %*% values
  differences <- sums / n1 - sweep(-sums, 2, colSums(values), `+`) / n2
  observed <- colMeans(values[origin_china, , drop = FALSE]) -
    colMeans(values[!origin_china, , drop = FALSE])
  tolerance <- 1e-12 * max(1, max(abs(observed)))
  list(p = colMeans(sweep(abs(differences), 2, abs(observed) - tolerance, `>=`)),
       n = nrow(splits))
}

# Two-way cluster bootstrap: respondents resampled within nationality and LLMs within origin
# (multinomial weights), the per-LLM contrasts recomputed from the weighted means.
cluster_bootstrap <- function(crossed, terms, reps = llm_level_boot_reps,
                              seed = llm_level_seed) {
  withr::with_seed(seed, {
    china <- crossed$nationality == first_nation()
    respondent_weights <- matrix(0, reps, length(china))
    for (group in c(TRUE, FALSE)) {
      n <- sum(china == group)
      respondent_weights[, china == group] <- t(stats::rmultinom(reps, n, rep(1, n)))
    }
    origin_china <- crossed$origin == first_nation()
    llm_weights <- matrix(0, reps, length(origin_china))
    for (group in c(TRUE, FALSE)) {
      n <- sum(origin_china == group)
      llm_weights[, origin_china == group] <- t(stats::rmultinom(reps, n, rep(1, n)))
    }
  })
  contrasts <- llm_contrasts(crossed, terms, respondent_weights)
  vapply(contrasts, function(values) {
    weighted <- values * llm_weights
    replicates <- rowSums(weighted[, origin_china, drop = FALSE]) /
      rowSums(llm_weights[, origin_china, drop = FALSE]) -
      rowSums(weighted[, !origin_china, drop = FALSE]) /
      rowSums(llm_weights[, !origin_china, drop = FALSE])
    stats::sd(replicates)
  }, numeric(1))
}

# ---- The unit of origin inference ------------------------------------------------------------

# The unit each LLM counts as in origin tests: its maker when every LLM's maker is known and
# each origin has at least two makers, else the LLM itself. A maker with LLMs of both origins
# gives one unit per origin. `note` says why the unit is what it is.
inference_units <- function(llms, origin_first, makers = NULL) {
  makers <- if (is.null(makers)) rep(NA_character_, length(llms)) else unname(makers[llms])
  llm_units <- function(note) list(unit = llms, level = "llm", note = note)
  if (anyNA(makers)) {
    return(llm_units(sprintf("makers unknown for %d of %d LLMs: the LLM is the unit",
                             sum(is.na(makers)), length(llms))))
  }
  unit <- makers
  spanning <- intersect(makers[origin_first], makers[!origin_first])
  both <- makers %in% spanning
  unit[both] <- paste0(makers[both], " (", ifelse(origin_first[both], first_nation(),
                                                  second_nation()), ")")
  counts <- c(length(unique(unit[origin_first])), length(unique(unit[!origin_first])))
  if (any(counts < 2)) {
    return(llm_units(sprintf("fewer than two makers of %s LLMs: the LLM is the unit",
                             nation_adjective(c(first_nation(), second_nation())[counts < 2][1]))))
  }
  notes <- c(
    if (length(spanning) > 0) {
      sprintf("makers with LLMs of both origins split by origin: %s",
              paste(spanning, collapse = ", "))
    },
    if (length(unique(unit)) == length(llms)) "each LLM its own maker: maker and LLM tests agree"
  )
  list(unit = unit, level = "maker",
       note = if (length(notes) == 0) "" else paste(notes, collapse = "; "))
}

# Why no origin test is possible with these LLMs ("" when one is).
origin_test_impossible <- function(origin_first) {
  counts <- c(sum(origin_first), sum(!origin_first))
  if (all(counts >= 2)) return("")
  nation <- c(first_nation(), second_nation())[counts < 2][1]
  sprintf("not possible: %d %s LLM(s), a two-sample test needs two of each origin",
          min(counts), nation_adjective(nation))
}

# Per-unit means of per-LLM values (LLMs x terms) and each unit's origin.
unit_means <- function(values, origin_first, unit) {
  levels <- unique(unit)
  means <- rowsum(values, factor(unit, levels = levels)) / as.vector(table(factor(unit, levels)))
  list(values = means, origin_first = origin_first[match(levels, unit)])
}

# Welch's two-sample t of the origin difference for every column of `values`: the origins'
# units vary unequally (per-LLM variance ratios .4-3.8 between origins on MFQ-2; maker means
# average one to three LLMs), which a pooled variance with 7 + 4 units turns into a test too
# strict or too lenient.
welch_t <- function(values, origin_first) {
  groups <- lapply(c(TRUE, FALSE), function(g) values[origin_first == g, , drop = FALSE])
  n <- vapply(groups, nrow, 1)
  share <- lapply(seq_along(groups), function(i) apply(groups[[i]], 2, stats::var) / n[i])
  std_error <- unname(sqrt(share[[1]] + share[[2]]))
  tibble::tibble(
    term = colnames(values),
    estimate = unname(colMeans(groups[[1]]) - colMeans(groups[[2]])), std_error = std_error,
    df = unname(std_error^4 / (share[[1]]^2 / (n[1] - 1) + share[[2]]^2 / (n[2] - 1)))
  )
}

# Two-sided exact permutation p value of Welch's t for every column of `values`: studentized,
# so that it holds its level when the origins' units vary unequally.
studentized_permutation_p <- function(values, origin_first) {
  n1 <- sum(origin_first)
  n2 <- length(origin_first) - n1
  splits <- origin_splits(length(origin_first), n1)
  sums <- splits %*% values
  squares <- splits %*% values^2
  total <- function(m) matrix(colSums(m), nrow(splits), ncol(values), byrow = TRUE)
  mean1 <- sums / n1
  mean2 <- (total(values) - sums) / n2
  var1 <- (squares - n1 * mean1^2) / (n1 - 1)
  var2 <- (total(values^2) - squares - n2 * mean2^2) / (n2 - 1)
  statistic <- abs(mean1 - mean2) / sqrt(pmax(var1 / n1 + var2 / n2, 0))
  observed <- with(welch_t(values, origin_first), abs(estimate) / std_error)
  list(p = colMeans(sweep(statistic, 2, observed * (1 - 1e-9), `>=`), na.rm = TRUE),
       n = nrow(splits))
}

# The primary test on per-unit values, one row per term (column of `values`): Welch's t with
# its interval at `level`, and the exact permutation test of Welch's t.
unit_origin_tests <- function(values, origin_first, level = 0.95) {
  permutation <- studentized_permutation_p(values, origin_first)
  welch_t(values, origin_first) |>
    dplyr::mutate(conf_low = t_interval(.data$estimate, .data$std_error, .data$df, level)$low,
                  conf_high = t_interval(.data$estimate, .data$std_error, .data$df, level)$high,
                  p_welch = 2 * stats::pt(abs(.data$estimate / .data$std_error), .data$df,
                                          lower.tail = FALSE),
                  p_permutation = unname(permutation$p), permutations = permutation$n)
}

# The LLM-level tests: pooled two-sample t (df n_LLM - 2) and the permutation of the difference.
llm_origin_tests <- function(values, origin_first) {
  permutation <- permutation_p(values, origin_first)
  purrr::map_dfr(colnames(values), function(term) {
    dplyr::mutate(two_sample_t(values[, term], origin_first), term = term, .before = 1)
  }) |>
    dplyr::mutate(p_permutation = unname(permutation$p), permutations = permutation$n)
}

# Per-LLM contrast ~ origin + (1 | maker), Kenward-Roger df (lmerTest); a row of NA with the
# reason when the model cannot be fitted (each LLM its own maker, makers unknown).
maker_model_check <- function(values, origin_first, makers) {
  missing <- tibble::tibble(maker_model_estimate = NA_real_, maker_model_std_error = NA_real_,
                            maker_model_df = NA_real_, p_maker_model = NA_real_,
                            maker_model_singular = NA)
  reason <- if (is.null(makers) || anyNA(makers)) {
    "makers unknown"
  } else if (length(unique(makers)) == length(makers)) {
    "each LLM its own maker: no maker variance to fit"
  } else if (length(unique(makers)) < 3) {
    "fewer than three makers"
  } else {
    ""
  }
  if (reason != "") return(dplyr::mutate(missing, maker_model_note = reason))
  data <- data.frame(value = values, origin = ifelse(origin_first, 0.5, -0.5), maker = makers)
  fitted <- tryCatch(
    collect_warnings(lmerTest::lmer(value ~ origin + (1 | maker), data = data, REML = TRUE,
                                    control = lmm_control())),
    error = function(e) e
  )
  if (inherits(fitted, "error")) {
    return(dplyr::mutate(missing, maker_model_note = conditionMessage(fitted)))
  }
  coefs <- summary(fitted$value, ddf = "Kenward-Roger")$coefficients
  tibble::tibble(maker_model_estimate = coefs["origin", "Estimate"],
                 maker_model_std_error = coefs["origin", "Std. Error"],
                 maker_model_df = coefs["origin", "df"],
                 p_maker_model = coefs["origin", "Pr(>|t|)"],
                 maker_model_singular = lme4::isSingular(fitted$value), maker_model_note = "")
}

# The primary test of each term (rows of unit_origin_tests() at the chosen unit), named.
primary_columns <- function(tests, units) {
  test <- sprintf("exact permutation of origin over %ss (Welch t)", units$level)
  tibble::tibble(
    primary_unit = units$level, primary_test = test, primary_note = units$note,
    primary_estimate = tests$estimate, primary_std_error = tests$std_error,
    primary_df = tests$df, primary_conf_low = tests$conf_low,
    primary_conf_high = tests$conf_high, p_primary = tests$p_permutation,
    p_primary_welch = tests$p_welch, primary_permutations = tests$permutations,
    n_units_first = sum(units$origin_first), n_units_second = sum(!units$origin_first)
  )
}

# Per-term origin tests on per-LLM values (LLMs x terms): the primary test at the maker (or
# LLM) level, the LLM-level t and permutation, the maker model (unless `model_check` is FALSE).
# Rows say when no test is possible.
origin_tests <- function(values, origin_first, makers = NULL, model_check = TRUE) {
  impossible <- origin_test_impossible(origin_first)
  if (impossible != "") {
    return(tibble::tibble(term = colnames(values), estimate = NA_real_, std_error = NA_real_,
                          df = NA_real_, p_value = NA_real_, n_china_llms = sum(origin_first),
                          n_usa_llms = sum(!origin_first), primary_unit = NA_character_,
                          primary_test = "none", primary_note = impossible,
                          p_primary = NA_real_))
  }
  llm <- llm_origin_tests(values, origin_first)
  units <- inference_units(rownames(values), origin_first, makers)
  unit_level <- unit_means(values, origin_first, units$unit)
  primary <- unit_origin_tests(unit_level$values, unit_level$origin_first)
  units$origin_first <- unit_level$origin_first
  model <- if (model_check) {
    purrr::map_dfr(colnames(values), function(term) {
      maker_model_check(values[, term], origin_first, if (units$level == "maker") units$unit)
    })
  }
  dplyr::bind_cols(
    dplyr::select(llm, "term", "estimate", "std_error", "df", "statistic", "p_value",
                  "p_permutation", "permutations"),
    tibble::tibble(n_china_llms = sum(origin_first), n_usa_llms = sum(!origin_first)),
    primary_columns(primary, units), model
  )
}

# The llm_level table of one analysis (`terms` over the conditions of `crossed`).
llm_level_tests <- function(crossed, terms, analysis, makers = NULL,
                            reps = llm_level_boot_reps) {
  origin_first <- crossed$origin == first_nation()
  values <- per_llm_values(crossed, terms)
  tests <- origin_tests(values, origin_first, makers)
  if (origin_test_impossible(origin_first) == "") {
    boot_se <- cluster_bootstrap(crossed, terms, reps)
    tests <- dplyr::mutate(tests, boot_se = unname(boot_se[.data$term]), boot_reps = reps,
                           .after = "permutations")
  }
  dplyr::mutate(tests, analysis = analysis, .before = 1)
}

# Each LLM left out in turn: the t-test on the remaining LLMs.
llm_level_leave_one_out <- function(crossed, terms, analysis) {
  origin_china <- crossed$origin == first_nation()
  values <- per_llm_values(crossed, terms)
  purrr::map_dfr(seq_along(crossed$llms), function(left_out) {
    purrr::map_dfr(names(terms), function(term) {
      two_sample_t(values[-left_out, term], origin_china[-left_out]) |>
        dplyr::mutate(analysis = analysis, term = term, left_out = crossed$llms[left_out],
                      left_out_origin = crossed$origin[left_out], .before = 1)
    })
  })
}

# The crossed arrays and terms of every analysis present.
llm_level_inputs <- function(rq1_rows, rq2_rows = NULL, rq3_rows = NULL) {
  inputs <- list(rq1 = list(
    crossed = respondent_llm_array(dplyr::mutate(rq1_rows, condition = nothing_removed()),
                                   "condition", nothing_removed()),
    terms = rq1_llm_terms
  ))
  if (!is.null(rq2_rows)) {
    rows <- dplyr::mutate(rq2_rows, condition = paste(.data$language, .data$persona, sep = "|"))
    inputs$rq2 <- list(crossed = respondent_llm_array(rows, "condition", rq2_conditions()),
                       terms = rq2_llm_terms)
  }
  if (!is.null(rq3_rows)) {
    removed_levels <- levels(rq3_rows$removed)
    rows <- dplyr::mutate(rq3_rows, removed = as.character(.data$removed))
    inputs$rq3 <- list(crossed = respondent_llm_array(rows, "removed", removed_levels),
                       terms = rq3_llm_terms(removed_levels))
  }
  inputs
}

llm_level <- function(rq1_rows, rq2_rows = NULL, rq3_rows = NULL, makers = NULL,
                      reps = llm_level_boot_reps) {
  inputs <- llm_level_inputs(rq1_rows, rq2_rows, rq3_rows)
  list(
    llm_level = purrr::imap_dfr(inputs, function(input, analysis) {
      llm_level_tests(input$crossed, input$terms, analysis, makers, reps)
    }),
    llm_level_loo = purrr::imap_dfr(inputs, function(input, analysis) {
      llm_level_leave_one_out(input$crossed, input$terms, analysis)
    })
  )
}

# The RQ1 contrasts "origin within nationality" (rows named by nation in `chinese_participant`)
# with the primary test's columns: origin over the makers (or LLMs) of each LLM's mean cosine
# with that nationality's respondents; Holm over the nationalities.
with_primary_origin_within_nationality <- function(table, rq1_rows, makers = NULL) {
  crossed <- llm_level_inputs(rq1_rows)$rq1$crossed
  terms <- stats::setNames(list(llm_term(1, 0), llm_term(0, 1)),
                           c(first_nation(), second_nation()))
  tests <- origin_tests(per_llm_values(crossed, terms), crossed$origin == first_nation(),
                        makers, model_check = FALSE)
  primary <- dplyr::select(tests, chinese_participant = "term", dplyr::starts_with("primary_"),
                           "p_primary", "p_primary_welch")
  table |>
    dplyr::mutate(chinese_participant = as.character(.data$chinese_participant)) |>
    dplyr::left_join(primary, by = "chinese_participant") |>
    dplyr::mutate(p_primary_adjusted = stats::p.adjust(.data$p_primary, method = "holm"))
}

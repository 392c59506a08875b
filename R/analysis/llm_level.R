# Inference at the unit of the origin claims: the LLMs. Every term that involves LLM origin is
# a difference between the Chinese and the American LLMs of a per-LLM contrast (a linear
# function of that LLM's mean cosines over each nationality's respondents and the conditions).
# Because the same respondents meet every LLM, respondent effects cancel from that difference.
# Per term: a two-sample t-test of the per-LLM contrasts (df = n_LLM - 2), an exact
# permutation test over the origin labels, a two-way cluster bootstrap (respondents and LLMs
# resampled), a maker-level random intercept, and each LLM left out in turn.

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

# A term: weights over the conditions for the Chinese and for the American respondents' mean.
llm_term <- function(china, usa) rbind(China = china, USA = usa)

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
  means <- lapply(c(China = TRUE, USA = FALSE), function(group) {
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
  if (choose(n, n1) <= permutation_exact_limit) {
    chosen <- utils::combn(n, n1)
  } else {
    chosen <- replicate(1e5, sample.int(n, n1))
  }
  splits <- matrix(0, ncol(chosen), n)
  splits[cbind(rep(seq_len(ncol(chosen)), each = n1), as.vector(chosen))] <- 1
  splits
}

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

# Per-LLM contrast ~ origin + (1 | maker), Kenward-Roger df (lmerTest).
maker_level_test <- function(values, origin_china, makers) {
  data <- data.frame(value = values, origin = ifelse(origin_china, 0.5, -0.5), maker = makers)
  fitted <- collect_warnings(lmerTest::lmer(value ~ origin + (1 | maker), data = data,
                                            REML = TRUE, control = lmm_control()))
  coefs <- summary(fitted$value, ddf = "Kenward-Roger")$coefficients
  tibble::tibble(maker_estimate = coefs["origin", "Estimate"],
                 maker_std_error = coefs["origin", "Std. Error"], maker_df = coefs["origin", "df"],
                 p_maker = coefs["origin", "Pr(>|t|)"],
                 maker_singular = lme4::isSingular(fitted$value))
}

# The llm_level table of one analysis (`terms` over the conditions of `crossed`).
llm_level_tests <- function(crossed, terms, analysis, makers = NULL,
                            reps = llm_level_boot_reps) {
  origin_china <- crossed$origin == first_nation()
  values <- per_llm_values(crossed, terms)
  permutation <- permutation_p(values, origin_china)
  boot_se <- cluster_bootstrap(crossed, terms, reps)
  rows <- purrr::map_dfr(names(terms), function(term) {
    row <- two_sample_t(values[, term], origin_china) |>
      dplyr::mutate(analysis = analysis, term = term, .before = 1)
    if (!is.null(makers)) {
      row <- dplyr::bind_cols(row, maker_level_test(values[, term], origin_china,
                                                    makers[crossed$llms]))
    }
    row
  })
  rows |>
    dplyr::mutate(p_permutation = unname(permutation$p[.data$term]),
                  permutations = permutation$n,
                  boot_se = unname(boot_se[.data$term]), boot_reps = reps,
                  n_china_llms = sum(origin_china), n_usa_llms = sum(!origin_china),
                  .after = "p_value")
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

# Who made each LLM (named vector), from the canonical models table the derived tables were
# built from (its folder is in the derived manifest); NULL when it cannot be found.
model_makers <- function(derived_dir) {
  manifest <- file.path(derived_dir, "manifest.json")
  if (!file.exists(manifest)) return(NULL)
  canonical <- jsonlite::read_json(manifest)$options$canonical
  path <- file.path(if (is.null(canonical)) "." else canonical, "models.csv")
  if (is.null(canonical) || !file.exists(path)) {
    message(sprintf("no models table at %s: maker-level tests skipped", path))
    return(NULL)
  }
  models <- readr::read_csv(path, show_col_types = FALSE)
  stats::setNames(models$maker, models$model)
}

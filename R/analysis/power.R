# Power of the origin tests for a new study's design, by simulation from the calibration's truth
# (simulate.R: effects and variance components fitted on the MFQ-2 release with true respondent
# ids; makers sharing part of the by-LLM variance; unequal by-LLM variances between the origins).
# A design: LLMs per origin, makers per origin (each origin's LLMs dealt to its makers as evenly
# as possible), respondents per nationality. An effect: the size of both RQ1 origin terms
# (chinese_origin, chinese_participant:chinese_origin), in units of the human nationality gap
# (|chinese_participant| of the truth, a cosine difference) unless `effect_unit` says otherwise.
# RQ2: the congruence terms that involve origin, each given the effect. Tests: those of the
# calibration (calibration_tests): the primary exact permutation of Welch's t over makers (over
# LLMs when each LLM is its own maker), maker Welch t, and the LLM-level t and permutation.

# Each origin's LLMs dealt to its makers, as evenly as possible (list of maker sizes).
even_maker_sizes <- function(llms_per_origin, makers_per_origin) {
  if (makers_per_origin < 1 || makers_per_origin > llms_per_origin) {
    stop(sprintf("makers per origin must be between 1 and the LLMs per origin (%d), not %d",
                 llms_per_origin, makers_per_origin), call. = FALSE)
  }
  sizes <- tabulate(rep(seq_len(makers_per_origin), length.out = llms_per_origin))
  list(first = sizes, second = sizes)
}

# The designs as a tibble; refuses a design that cannot be simulated.
check_designs <- function(designs) {
  designs <- tibble::as_tibble(designs)
  needed <- c("llms_per_origin", "makers_per_origin", "respondents")
  missing <- setdiff(needed, names(designs))
  if (length(missing) > 0) {
    stop(sprintf("design grid: missing column(s) %s", paste(missing, collapse = ", ")),
         call. = FALSE)
  }
  for (column in needed) {
    bad <- which(!is.finite(designs[[column]]) | designs[[column]] < 2 |
                   designs[[column]] != round(designs[[column]]))
    if (column == "makers_per_origin") bad <- which(designs[[column]] < 1)
    if (length(bad) > 0) {
      stop(sprintf("design grid row %d: %s must be a whole number >= %d, not %s", bad[1],
                   column, if (column == "makers_per_origin") 1 else 2,
                   format(designs[[column]][bad[1]])), call. = FALSE)
    }
  }
  designs
}

# p values of every origin test (calibration_tests) and term on one simulated data set, long
# (analysis, term, test, p): RQ1 and, when `analyses` has it, the RQ2 congruence terms that
# involve origin (each given the effect).
power_p_values <- function(design, effect_cosine, seed, truth, maker_share,
                           analyses = c("rq1", "rq2")) {
  structure <- calibration_structure(truth, maker_share)
  structure$maker_sizes <- even_maker_sizes(design$llms_per_origin, design$makers_per_origin)
  n <- design$respondents
  simulate <- function(f, part, terms, seed) {
    fixed <- null_origin(truth[[part]])
    fixed[names(terms)] <- effect_cosine
    validate_derived(f(n, n, 2 * design$llms_per_origin, seed = seed, truth = fixed,
                       sd = truth[[paste0(part, "_sd")]], structure = structure))
  }
  rq1 <- rq1_data(simulate(simulate_rq1, "rq1", rq1_llm_terms, seed))
  rq2 <- if ("rq2" %in% analyses) {
    rq2_data(simulate(simulate_rq2, "rq2", rq2_llm_terms, (seed + 1e6) %% .Machine$integer.max))
  }
  makers <- calibration_makers(structure)
  purrr::imap_dfr(llm_level_inputs(rq1, rq2), function(input, analysis) {
    values <- per_llm_values(input$crossed, input$terms)
    origin_test_p_values(values, input$crossed$origin == first_nation(), makers) |>
      dplyr::mutate(analysis = analysis, .before = 1)
  })
}

# Power at alpha per design, effect, test and term over `n_sets` simulated data sets, with its
# exact binomial 95% Monte-Carlo interval; the type-I error (the rate at effect 0, when the grid
# has it) and the minimum detectable effect at `target` power, interpolated linearly over the
# effect grid (NA when the grid never reaches it). Every set of a design uses the same random
# draws at every effect (common random numbers: smoother curves). Runs on the future plan
# (futures.R): the same seed gives the same table on any plan.
power_grid <- function(designs, effects, n_sets, seed, alpha = 0.05, target = 0.8,
                       truth = calibration_truth, maker_share = truth$maker_share,
                       effect_unit = abs(truth$rq1[["chinese_participant"]]),
                       analyses = c("rq1", "rq2")) {
  designs <- check_designs(designs)
  if (any(!is.finite(effects)) || any(effects < 0)) {
    stop("effects must be numbers >= 0 (in units of the nationality gap)", call. = FALSE)
  }
  effects <- sort(unique(effects))
  p_values <- simulation_lapply(seq_len(n_sets), function(set) {
    set_seed <- stream_seed()
    purrr::map_dfr(seq_len(nrow(designs)), function(d) {
      purrr::map_dfr(effects, function(effect) {
        power_p_values(designs[d, ], effect * effect_unit, set_seed, truth, maker_share,
                       analyses) |>
          dplyr::mutate(design = d, effect = effect, .before = 1)
      })
    })
  }, seed = seed)
  table <- dplyr::bind_rows(p_values) |>
    dplyr::group_by(.data$design, .data$effect, .data$analysis, .data$test, .data$term) |>
    dplyr::summarise(rejected = sum(.data$p < alpha), n_sets = dplyr::n(), .groups = "drop") |>
    dplyr::mutate(power = .data$rejected / .data$n_sets,
                  mc_conf_low = stats::qbeta(0.025, .data$rejected,
                                             .data$n_sets - .data$rejected + 1),
                  mc_conf_high = stats::qbeta(0.975, .data$rejected + 1,
                                              .data$n_sets - .data$rejected),
                  mc_conf_low = ifelse(.data$rejected == 0, 0, .data$mc_conf_low),
                  mc_conf_high = ifelse(.data$rejected == .data$n_sets, 1, .data$mc_conf_high))
  summaries <- table |>
    dplyr::group_by(.data$design, .data$analysis, .data$test, .data$term) |>
    dplyr::summarise(type_i_error = if (0 %in% .data$effect) .data$power[.data$effect == 0]
                     else NA_real_,
                     mde = interpolated_mde(.data$effect, .data$power, target),
                     .groups = "drop")
  designs |>
    dplyr::mutate(design = dplyr::row_number(), .before = 1) |>
    dplyr::right_join(table, by = "design") |>
    dplyr::left_join(summaries, by = c("design", "analysis", "test", "term")) |>
    dplyr::mutate(effect_cosine = .data$effect * effect_unit, .after = "effect") |>
    dplyr::mutate(alpha = alpha, mde_power = target,
                  mde_method = "linear interpolation of power over the effect grid",
                  effect_scale = sprintf("units of the human nationality gap (%.3f cosine)",
                                         effect_unit),
                  maker_share = maker_share, seed = seed,
                  truth = paste("MFQ-2 release, true respondent ids; makers, correlated (RQ2) and",
                                "unequal by-LLM effects")) |>
    dplyr::arrange(.data$design, .data$analysis, .data$test, .data$term, .data$effect)
}

# The smallest effect at which power, linear between grid points, first reaches `target`.
interpolated_mde <- function(effect, power, target) {
  order <- order(effect)
  effect <- effect[order]
  power <- power[order]
  above <- which(power >= target)
  if (length(above) == 0) return(NA_real_)
  i <- above[1]
  if (i == 1) return(effect[1])
  effect[i - 1] + (target - power[i - 1]) / (power[i] - power[i - 1]) *
    (effect[i] - effect[i - 1])
}

# `moralign power`: the grid of every combination of the comma-separated design values, its
# power table written to `out` (CSV); prints each design's minimum detectable effects.
power_command <- function(llms, makers, respondents, effects, sets, seed, out) {
  numbers <- function(text, name) {
    values <- suppressWarnings(as.numeric(strsplit(text, ",", fixed = TRUE)[[1]]))
    if (length(values) == 0 || anyNA(values)) {
      stop(sprintf("--%s: expected comma-separated numbers, found `%s`", name, text),
           call. = FALSE)
    }
    values
  }
  designs <- tidyr::crossing(llms_per_origin = numbers(llms, "llms-per-origin"),
                             makers_per_origin = numbers(makers, "makers-per-origin"),
                             respondents = numbers(respondents, "respondents"))
  seconds <- system.time(
    table <- power_grid(designs, numbers(effects, "effects"), as.integer(sets), as.integer(seed))
  )[["elapsed"]]
  dir.create(dirname(out), recursive = TRUE, showWarnings = FALSE)
  readr::write_csv(table, out, na = "")
  save_figure(plot_power_curves(table), dirname(out), "power_curves", width = 10,
              height = 2 + 1.6 * length(unique(table$term)))
  summary <- dplyr::distinct(table, .data$llms_per_origin, .data$makers_per_origin,
                             .data$respondents, .data$analysis, .data$test, .data$term,
                             .data$type_i_error,
                             .data$mde)
  cat(sprintf("%-6s %-7s %-11s %-4s %-32s %-54s %7s %s\n", "LLMs", "makers", "respondents",
              "RQ", "test", "term", "type-I", "effect at power .8"))
  for (i in seq_len(nrow(summary))) {
    row <- summary[i, ]
    cat(sprintf("%-6d %-7d %-11d %-4s %-32s %-54s %7.3f %s\n",
                as.integer(row$llms_per_origin), as.integer(row$makers_per_origin),
                as.integer(row$respondents), row$analysis, row$test,
                row$term, row$type_i_error,
                if (is.na(row$mde)) "not reached on the grid" else sprintf("%.3f", row$mde)))
  }
  cat(sprintf("%s; %d sets per design and effect, %.1f s; written to %s\n",
              unique(table$effect_scale), as.integer(sets), seconds, out))
  invisible(table)
}

# Power curves of the primary and the LLM-level t: one panel per term (rows) and design
# (columns), exact binomial 95% Monte-Carlo intervals, lines at .05 and at the target power.
plot_power_curves <- function(table) {
  shown <- c("maker permutation (primary)", "LLM t, ignoring makers")
  data <- table |>
    dplyr::filter(.data$test %in% shown) |>
    dplyr::mutate(design_label = sprintf("%d LLMs, %d makers per origin; %d + %d respondents",
                                         as.integer(.data$llms_per_origin),
                                         as.integer(.data$makers_per_origin),
                                         as.integer(.data$respondents),
                                         as.integer(.data$respondents)),
                  term_label = paste(toupper(.data$analysis), gsub(":", ": ", .data$term)))
  ggplot2::ggplot(data, ggplot2::aes(.data$effect, .data$power, colour = .data$test)) +
    ggplot2::geom_hline(yintercept = c(unique(data$alpha), unique(data$mde_power)),
                        linetype = "dashed", colour = "grey50") +
    ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$mc_conf_low, ymax = .data$mc_conf_high),
                             position = ggplot2::position_dodge(width = 0.02), size = 0.2) +
    ggplot2::geom_line(position = ggplot2::position_dodge(width = 0.02)) +
    ggplot2::facet_grid(ggplot2::vars(.data$term_label), ggplot2::vars(.data$design_label),
                        labeller = ggplot2::label_wrap_gen(24)) +
    ggplot2::labs(x = sprintf("Effect (%s)", unique(data$effect_scale)), y = "Power",
                  colour = "Test",
                  caption = sprintf(paste("Points: rejection rate at alpha %g over %d simulated",
                                          "data sets; bars: exact binomial 95%% Monte-Carlo",
                                          "intervals."), unique(data$alpha),
                                    max(data$n_sets))) +
    theme_moralign() +
    ggplot2::theme(strip.text.y = ggplot2::element_text(angle = 0, hjust = 0))
}

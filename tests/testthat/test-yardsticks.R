# Ceiling-relative gaps over LLMs and the centrality regression against plain references.

test_that("the ceiling-relative gap summary is the mean and t interval over LLMs", {
  set.seed(11)
  gap <- tibble::tibble(
    metric = "cosine_z", scale = "share_of_ceiling",
    llm = c(sprintf("llm-%02d", 1:8), "Human mean, China"),
    llm_origin = c(rep(c("China", "USA"), 4), "China"),
    is_human_mean = c(rep(FALSE, 8), TRUE),
    gap_relative = stats::rnorm(9, -0.2, 0.1), gap_raw = stats::rnorm(9, -0.1, 0.05),
    conf_low = NA_real_, conf_high = NA_real_
  )
  summary <- ceiling_gap_summary(gap)
  all <- dplyr::filter(summary, .data$llm_group == "all")
  expected <- stats::t.test(gap$gap_relative[1:8])
  expect_equal(all$mean_gap_relative, unname(expected$estimate))
  expect_equal(c(all$conf_low, all$conf_high), as.numeric(expected$conf.int))
  expect_equal(all$n_llms, 8)
  expect_equal(all$mean_gap_raw, mean(gap$gap_raw[1:8]))
  china <- dplyr::filter(summary, .data$llm_group == "China")
  expect_equal(china$mean_gap_relative, mean(gap$gap_relative[c(1, 3, 5, 7)]))
})

test_that("the centrality regression is OLS on standardised predictors, the USA left out", {
  set.seed(12)
  countries <- c(sprintf("country-%02d", 1:15), "USA")
  centrality <- tibble::tibble(country = countries, metric = "cosine_z",
                               similarity_to_world = stats::runif(16, 0.5, 1),
                               similarity_to_usa = stats::runif(16, 0.3, 1), n_units = 6)
  llms <- sprintf("llm-%02d", 1:6)
  placement <- tidyr::expand_grid(llm = llms, language = c("English", "Chinese"),
                                  country = countries) |>
    dplyr::mutate(llm_origin = ifelse(.data$llm %in% llms[1:3], "China", "USA"),
                  persona = "none", metric = "cosine_z",
                  similarity = stats::rnorm(dplyr::n(), 0.6, 0.1))
  extra <- dplyr::mutate(placement, persona = "China", similarity = 5)
  table <- centrality_regression(dplyr::bind_rows(placement, extra), centrality)
  kept <- dplyr::filter(centrality, .data$country != "USA")
  x <- cbind(1, as.numeric(scale(kept$similarity_to_world)),
             as.numeric(scale(kept$similarity_to_usa)))
  y <- placement |>
    dplyr::filter(.data$country != "USA") |>
    dplyr::group_by(.data$country) |>
    dplyr::summarise(similarity = mean(.data$similarity)) |>
    dplyr::arrange(match(.data$country, kept$country))
  beta <- solve(crossprod(x), crossprod(x, y$similarity))
  pooled <- dplyr::filter(table, .data$fit == "mean_over_llms", .data$llm_group == "all")
  expect_equal(pooled$estimate, as.numeric(beta))
  expect_equal(unique(pooled$df), 15 - 3)
  expect_equal(unique(table$n_countries), 15)
  per_llm <- dplyr::filter(table, .data$fit == "per_llm", .data$llm_group == "all",
                           .data$term == "usa_similarity")
  slopes <- vapply(llms, function(l) {
    yl <- placement |>
      dplyr::filter(.data$llm == l, .data$country != "USA") |>
      dplyr::group_by(.data$country) |>
      dplyr::summarise(similarity = mean(.data$similarity)) |>
      dplyr::arrange(match(.data$country, kept$country))
    solve(crossprod(x), crossprod(x, yl$similarity))[3]
  }, numeric(1))
  expected <- stats::t.test(slopes)
  expect_equal(per_llm$estimate, unname(expected$estimate))
  expect_equal(c(per_llm$conf_low, per_llm$conf_high), as.numeric(expected$conf.int))
  expect_equal(per_llm$p_value, expected$p.value)
})

test_that("usa_versus_world averages usa_minus_world per language over LLMs", {
  llms <- tibble::tibble(llm = rep(c("a", "b", "c"), 2), llm_origin = rep(c("China", "USA",
                         "USA"), 2), language = rep(c("English", "Chinese"), each = 3),
                         metric = "cosine_z", usa_minus_world = c(0.1, 0.2, -0.05, 1, 2, 3))
  table <- usa_versus_world(llms)
  english <- dplyr::filter(table, .data$language == "English", .data$llm_group == "all")
  expect_equal(english$mean_usa_minus_world, mean(c(0.1, 0.2, -0.05)))
  expect_equal(english$n_llms_closer_to_usa, 2)
  expect_equal(english$df, 2)
})

test_that("the invariant-items headline sets the two item sets' LLM-level tests side by side", {
  measures <- tibble::tibble(metric = c("cosine_z", "spearman"), label = c("a", "b"),
                             kind = "pair", scale = "correlation", description = "")
  one <- function(seed) {
    set.seed(seed)
    tidyr::expand_grid(metric = measures$metric, nationality = c("China", "USA"),
                       llm = sprintf("llm-%02d", 1:6)) |>
      dplyr::mutate(kind = "pair", llm_origin = ifelse(.data$llm < "llm-04", "China", "USA"),
                    is_human_mean = FALSE, similarity = stats::rnorm(dplyr::n()), sd = 1,
                    n = 10)
  }
  all_items <- one(1)
  invariant <- one(2)
  table <- invariant_items_headline(all_items, invariant, measures)
  expect_equal(nrow(table), 4)
  row <- dplyr::filter(table, .data$metric == "spearman", .data$items == "invariant")
  gaps <- invariant |>
    dplyr::filter(.data$metric == "spearman") |>
    tidyr::pivot_wider(id_cols = c("llm", "llm_origin"), names_from = "nationality",
                       values_from = "similarity")
  expect_equal(row$mean_gap, mean(gaps$China - gaps$USA))
  expect_equal(row$df, 4)
})

test_that("the baseline figure draws every responder type with a defined gap", {
  measures <- tibble::tibble(metric = c("cosine_z", "neg_euclidean"),
                             label = c("Cosine", "Distance"))
  gaps <- tibble::tibble(responder_type = c("uniform", "llm", "midpoint"),
                         metric = c("cosine_z", "cosine_z", "neg_euclidean"),
                         mean_gap = c(0, -0.2, 0.5), gap_low = c(-0.1, -0.3, 0.5),
                         gap_high = c(0.1, -0.1, 0.5))
  plot <- plot_baseline_gaps(gaps, measures, "mfq2")
  built <- ggplot2::ggplot_build(plot)
  points <- built$data[[2]]
  expect_equal(nrow(points), 3)
  expect_equal(sort(points$x), sort(gaps$mean_gap))
})

test_that("shuffle tests are Holm-adjusted within each measure", {
  tests <- tibble::tibble(llm = rep(c("a", "b", "c"), 2), metric = rep(c("m1", "m2"), each = 3),
                          p_value = c(0.01, 0.02, 0.5, 0.2, 0.01, 0.03))
  adjusted <- adjust_shuffle_tests(tests)
  expect_equal(adjusted$p_adjusted[1:3], stats::p.adjust(c(0.01, 0.02, 0.5), "holm"))
  expect_equal(adjusted$p_adjusted[4:6], stats::p.adjust(c(0.2, 0.01, 0.03), "holm"))
  expect_equal(unique(adjusted$adjust), "holm")
})

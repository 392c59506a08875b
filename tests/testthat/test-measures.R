# LLM-level tests of the measures-and-countries analysis against plain references.

simulated_metric_llm <- function(n_llm = 12, seed = 3) {
  set.seed(seed)
  llms <- sprintf("llm-%02d", seq_len(n_llm))
  origin <- rep(c("China", "USA"), length.out = n_llm)
  one <- function(metric) {
    tibble::tibble(
      metric = metric, kind = "pair",
      llm = rep(c(llms, "Human mean, China"), 2),
      llm_origin = rep(c(origin, "China"), 2),
      is_human_mean = rep(c(rep(FALSE, n_llm), TRUE), 2),
      nationality = rep(c("China", "USA"), each = n_llm + 1),
      similarity = stats::rnorm(2 * (n_llm + 1), 0.3, 0.1),
      sd = 0.2, n = 50
    )
  }
  dplyr::bind_rows(one("cosine_z"), one("spearman"))
}

measures_registry <- tibble::tibble(
  metric = c("cosine_z", "spearman"), label = c("Cosine", "Spearman"), kind = "pair",
  scale = "correlation", description = c("a", "b")
)

test_that("metric sensitivity: the LLM-level origin term is a pooled two-sample t-test of gaps", {
  data <- simulated_metric_llm()
  table <- metric_sensitivity(data, measures_registry)
  expect_equal(table$metric, c("cosine_z", "spearman"))
  llms <- data[data$metric == "spearman" & !data$is_human_mean, ]
  gap <- llms$similarity[llms$nationality == "China"] - llms$similarity[llms$nationality == "USA"]
  origin <- llms$llm_origin[llms$nationality == "China"]
  reference <- stats::t.test(gap[origin == "China"], gap[origin == "USA"], var.equal = TRUE)
  row <- table[table$metric == "spearman", ]
  expect_equal(row$origin_x_nationality, unname(diff(rev(reference$estimate))))
  expect_equal(row$p_value, reference$p.value)
  expect_equal(row$df, 10)
  expect_equal(c(row$conf_low, row$conf_high), as.numeric(reference$conf.int))
  expect_equal(row$mean_gap, mean(gap))
  expect_equal(row$n_llms_closer_to_china, sum(gap > 0))
  expect_equal(row$n_llms, 12)
})

test_that("unit contributions: mean over LLMs with a t interval on n_LLM - 1 df", {
  set.seed(4)
  rows <- tibble::tibble(
    llm = rep(sprintf("llm-%02d", 1:8), each = 2), is_human_mean = FALSE,
    unit = rep(c("Care", "Purity"), 8),
    contribution_china = stats::rnorm(16), contribution_usa = stats::rnorm(16)
  )
  rows$contribution_to_gap <- rows$contribution_china - rows$contribution_usa
  table <- unit_contributions(rows)
  care <- rows$contribution_to_gap[rows$unit == "Care"]
  reference <- stats::t.test(care)
  expect_equal(table$contribution_to_gap[table$unit == "Care"], mean(care))
  expect_equal(c(table$conf_low[table$unit == "Care"], table$conf_high[table$unit == "Care"]),
               as.numeric(reference$conf.int))
})

test_that("the world map knows every reference country", {
  world <- unique(ggplot2::map_data("world")$region)
  countries <- c("Columbia", "UAE", "USA", "China", "South Korea", "Taiwan", "Andorra")
  regions <- dplyr::coalesce(unname(map_region_names[countries]), countries)
  expect_true(all(regions %in% world))
})

test_that("metric sensitivity: the primary test is the maker-level one, Welch on maker means", {
  data <- simulated_metric_llm()
  llms <- sprintf("llm-%02d", 1:12)
  # Chinese LLMs are the odd ones: makers a a b b c c, American: d d e e f f
  makers <- stats::setNames(c("a", "d", "a", "d", "b", "e", "b", "e", "c", "f", "c", "f"), llms)
  row <- metric_sensitivity(data, measures_registry, makers)[2, ]
  llm_rows <- data[data$metric == "spearman" & !data$is_human_mean, ]
  gap <- stats::setNames(llm_rows$similarity[1:12] - llm_rows$similarity[13:24], llms)
  by_maker <- tapply(gap, makers, mean)
  reference <- stats::t.test(by_maker[c("a", "b", "c")], by_maker[c("d", "e", "f")])
  expect_equal(row$primary_unit, "maker")
  expect_equal(row$primary_df, unname(reference$parameter))
  expect_equal(c(row$primary_conf_low, row$primary_conf_high), as.numeric(reference$conf.int))
  expect_equal(row$primary_permutations, choose(6, 3))
})

# Intervals of cell means: over LLMs (the sampled units of an origin comparison) or from a
# mixed model, never over rows treated as independent.

test_that("intervals over LLMs equal those of a linear model on the LLM means", {
  rows <- validate_derived(simulate_rq1(15, 15, 8, seed = 12))
  per_llm <- rows |>
    dplyr::group_by(.data$llm, .data$llm_origin, .data$nationality) |>
    dplyr::summarise(mean = mean(.data$cosine), .groups = "drop")
  cells <- llm_cluster_ci(per_llm, by = "nationality")
  usa <- per_llm[per_llm$nationality == "USA", ]
  reference <- stats::lm(mean ~ 0 + llm_origin, data = usa)
  interval <- stats::confint(reference)
  got <- cells[cells$nationality == "USA", ]
  expect_equal(got$llm_origin, c("China", "USA"))
  expect_equal(got$conf_low, unname(interval[, 1]))
  expect_equal(got$conf_high, unname(interval[, 2]))
  expect_equal(unique(got$df), 8 - 2)
  expect_equal(got$n_llms, c(4L, 4L))
})

test_that("intervals over LLMs refuse an LLM counted twice in one cell", {
  per_llm <- tibble::tibble(llm = c("a", "a", "b", "c"), llm_origin = c("China", "China",
                                                                       "USA", "USA"),
                            mean = c(0.1, 0.2, 0.3, 0.4))
  expect_error(llm_cluster_ci(per_llm), "LLM `a` appears more than once.*row 2")
})

test_that("RQ1 origin cells rest on the LLMs, per-LLM cells on the respondents", {
  rows <- validate_derived(simulate_rq1(40, 40, 10, seed = 13))
  cells <- rq1_cells(rows)
  origin <- cells[cells$level == "origin", ]
  expect_equal(unique(origin$interval), "llms")
  expect_equal(unique(origin$df), 10 - 2)
  expect_equal(origin$n, rep(40 * 5, 4))
  per_llm <- cells[cells$level == "llm", ]
  expect_equal(unique(per_llm$interval), "respondents")
  expect_equal(unique(per_llm$df), 39)
  # The mean of the LLM means is the row mean in this balanced design; the interval over LLMs
  # is wider than the one that takes the 200 rows of a cell as independent.
  china_usa <- rows$cosine[rows$llm_origin == "China" & rows$nationality == "USA"]
  row_level <- mean_ci(china_usa)
  cell <- origin[origin$llm_origin == "China" & origin$nationality == "USA", ]
  expect_equal(cell$mean, mean(china_usa))
  expect_gt(cell$conf_high - cell$conf_low, row_level$conf_high - row_level$conf_low)
})

test_that("figure 1 takes its intervals from the RQ1 mixed model when there is one", {
  data <- simulated_rq1(60, 60, 12, seed = 14)
  fit <- rq1_lmm(data)
  model_cells <- rq1_emmeans(fit$model, data)$emmeans_rq1_cells
  cells <- rq1_cells(validate_derived(simulate_rq1(60, 60, 12, seed = 14)))
  shown <- figure1_cells(cells, model_cells)
  expect_equal(unique(shown$interval), "mixed_model")
  china_china <- shown[shown$llm_origin == "China" & shown$nationality == "China", ]
  expected <- model_cells[model_cells$chinese_origin == "China" &
                            model_cells$chinese_participant == "China", ]
  expect_equal(china_china$conf_low, expected$conf_low)
  expect_lt(china_china$df, 40) # an LLM-level df, not thousands of rows
  expect_match(plot_origin_by_nationality(dplyr::mutate(shown, instrument = "mfq2"))$labels$caption,
               "from the RQ1 mixed model's estimated cell means; (Satterthwaite|Kenward-Roger) df")
  without_model <- figure1_cells(cells)
  expect_equal(unique(without_model$interval), "llms")
  expect_match(interval_note(without_model), "of each origin over its LLMs.*df 10$")
})

test_that("origin cells of a condition table are recomputed over LLMs within each condition", {
  rows <- validate_derived(simulate_rq2(10, 10, 6, seed = 15))
  cells <- with_origin_cells_over_llms(rq2_cells(rows), c("language", "persona", "nationality"))
  origin <- cells[cells$level == "origin", ]
  expect_equal(nrow(origin), 16)
  expect_equal(unique(origin$interval), "llms")
  one <- cells[cells$level == "llm" & cells$language == "Chinese" & cells$persona == "USA" &
                 cells$nationality == "China", ]
  expected <- llm_cluster_ci(one, by = character())
  got <- origin[origin$language == "Chinese" & origin$persona == "USA" &
                  origin$nationality == "China", ]
  expect_equal(got$conf_high, expected$conf_high)
  note <- interval_note(cells)
  expect_match(note, "of each LLM over its respondents")
  expect_match(note, "of each origin over its LLMs")
})

test_that("one LLM per origin gives a mean without an interval", {
  per_llm <- tibble::tibble(llm = c("a", "b"), llm_origin = c("China", "USA"), mean = c(0.1, 0.3))
  cells <- llm_cluster_ci(per_llm)
  expect_equal(cells$mean, c(0.1, 0.3))
  expect_true(all(is.na(cells$conf_low)))
})

test_that("a saved figure has its data and interval note beside it", {
  rows <- validate_derived(simulate_rq1(10, 10, 6, seed = 16))
  cells <- dplyr::mutate(figure1_cells(rq1_cells(rows)), instrument = "mfq2")
  folder <- tempfile("results")
  path <- save_figure(plot_origin_by_nationality(cells), folder, "fig1")
  expect_gt(file.size(path), 10000)
  data <- readr::read_csv(file.path(folder, "figures", "fig1.csv"), show_col_types = FALSE)
  expect_equal(data$conf_low, cells$conf_low)
  expect_equal(unique(data$interval_note), interval_note(cells, "RQ1"))
  expect_match(unique(data$interval_note), "of each origin over its LLMs.*df 4$")
})

test_that("llm_cluster_ci keeps a cell whose key is missing as a cell of its own", {
  per_llm <- tibble::tibble(group = c("a", "a", "a", "a", NA, NA, NA, NA),
                            llm = rep(c("l1", "l2", "l3", "l4"), 2),
                            llm_origin = rep(c("China", "China", "USA", "USA"), 2),
                            mean = c(0.1, 0.2, 0.3, 0.5, 0.2, 0.4, 0.1, 0.3))
  cells <- llm_cluster_ci(per_llm, by = "group")
  expect_equal(nrow(cells), 4)
  missing_key <- cells[is.na(cells$group), ]
  expect_equal(missing_key$df, c(2, 2))
  expect_false(anyNA(missing_key$conf_low))
  expect_equal(missing_key$mean, c(0.3, 0.2))
})

# RQ3's multiplicity families and the intervals of figure 5.
rq3_sim <- rq3_data(validate_derived(simulate_rq3(40, 40, 10,
                                                  removed = c("Care", "Loyalty", "Purity"),
                                                  seed = 31)))
rq3_fit <- rq3_lmm(rq3_sim)

test_that("RQ3 OLS terms carry Holm-adjusted p values within four families", {
  table <- rq3_ols(rq3_sim)
  families <- split(table, table$family)
  expect_setequal(names(families), c("removal", "nationality x removal", "origin x removal",
                                     "nationality x origin x removal",
                                     "RQ1 terms (not adjusted)"))
  for (name in setdiff(names(families), "RQ1 terms (not adjusted)")) {
    family <- families[[name]]
    expect_equal(nrow(family), 3)
    expect_equal(family$p_adjusted, stats::p.adjust(family$p_value, "holm"))
    expect_equal(unique(family$adjust), "holm")
  }
  full <- families[["RQ1 terms (not adjusted)"]]
  expect_equal(full$p_adjusted, full$p_value)
  expect_equal(table$family[table$term == "chinese_origin:removedLoyalty"], "origin x removal")
  expect_equal(table$family[table$term == "chinese_participant:chinese_origin:removedCare"],
               "nationality x origin x removal")
})

test_that("RQ3 mixed terms carry the same families, and one effect-size scale", {
  table <- rq3_fit$coefficients
  origin <- table[table$family == "origin x removal", ]
  expect_equal(origin$p_adjusted, stats::p.adjust(origin$p_value, "holm"))
  expect_false("std_estimate" %in% names(table))
  expect_equal(table$d_row_sd, table$estimate / total_sd(rq3_fit$none_fit$model))
  comparison <- rq3_ols_vs_lmm(rq3_ols(rq3_sim), table)
  expect_equal(comparison$lmm_p_adjusted,
               table$p_adjusted[match(comparison$term, table$term)])
  expect_true(all(comparison$ols_p_adjusted >= comparison$ols_p_value))
})

test_that("figure 5 takes its intervals from the change models", {
  cells <- rq3_fit$change_cells
  expect_equal(nrow(cells), 3 * 4)
  expect_equal(unique(cells$interval), "mixed_model")
  # Balanced design: each model cell mean is the mean change of that cell.
  changes <- rq3_mean_change(rq3_sim)
  joined <- dplyr::inner_join(cells, dplyr::select(changes, -"df"),
                              by = c("removed", "llm_origin", "nationality"))
  expect_equal(joined$estimate, joined$mean_change, tolerance = 1e-8)
  expect_true(all(joined$df < 60))
  shown <- figure5_cells(changes, cells)
  expect_equal(shown$conf_low, cells$conf_low)
  expect_match(plot_removal_change(shown, "mfq2")$labels$caption,
               "from the RQ3 change mixed model's estimated cell means")
  expect_equal(unique(figure5_cells(changes)$interval), "llms")
})

write_simulated_derived <- function(root) {
  folder <- file.path(root, "mfq2")
  dir.create(folder, recursive = TRUE)
  contract <- jsonlite::read_json(default_contract_path)
  jsonlite::write_json(list(contract = contract), file.path(root, "manifest.json"),
                       auto_unbox = TRUE)
  rq1 <- simulate_rq1(30, 30, 6, seed = 31)
  human <- dplyr::bind_rows(lapply(unlist(contract$nations), function(nation) {
    rows <- rq1[rq1$llm == "llm-01", ]
    rows$llm <- contract$human_mean_ids[[nation]]
    rows$llm_origin <- nation
    rows$is_human_mean <- TRUE
    rows
  }))
  saveRDS(dplyr::bind_rows(rq1, human), file.path(folder, "rq1.rds"))
  saveRDS(simulate_rq2(30, 30, 6, seed = 32), file.path(folder, "rq2.rds"))
  rq3 <- simulate_rq3(30, 30, 6, seed = 31, removed = c("Care", "Loyalty"))
  saveRDS(rq3, file.path(folder, "rq3.rds"))
  saveRDS(dplyr::mutate(rq3, persona = "both"), file.path(folder, "rq3_persona.rds"))
}

coefficient_columns <- c("term", "estimate", "std_error", "statistic", "df", "p_value")

test_that("analyse_all writes every table of the results contract and skips WVS", {
  root <- file.path(tempfile("derived"), "paper")
  results <- tempfile("results")
  write_simulated_derived(root)
  expect_message(analyse_all(root, results), "skipping wvs7")
  tables <- c("rq1_ols", "rq1_lmm", "rq2_ols", "rq2_lmm", "llm_level", "llm_level_loo", "rq3_ols",
              "rq3_lmm",
              "rq3_persona_ols", "rq1_followup_ols", "welch_per_llm", "rq1_cells",
              "rq1_ols_vs_lmm", "rq2_ols_vs_lmm", "rq3_ols_vs_lmm", "rq3_mean_change",
              "rq3_persona_mean_change", "rq2_cells", "lmm_diagnostics", "lmm_selection",
              "lmm_variance_components", "emmeans_rq1_cells",
              "emmeans_rq1_nationality_within_origin", "emmeans_rq1_origin_within_nationality",
              "emmeans_rq1_nationality_within_llm", "emmeans_rq2_congruence",
              "emmeans_rq2_simple_congruence", "emmeans_rq2_cells")
  for (name in tables) {
    path <- file.path(results, "mfq2", paste0(name, ".csv"))
    expect_true(file.exists(path), label = path)
  }
  for (name in c("rq1_ols", "rq1_lmm", "rq2_ols", "rq2_lmm", "llm_level", "rq3_ols",
                 "rq3_lmm", "rq3_persona_ols", "rq1_followup_ols", "welch_per_llm")) {
    table <- readr::read_csv(file.path(results, "mfq2", paste0(name, ".csv")),
                             show_col_types = FALSE)
    expect_true(all(coefficient_columns %in% names(table)), label = name)
    expect_false(anyNA(table$df), label = name)
    expect_true(all(is.finite(table$df)), label = name)
  }
  figures <- c("fig1_origin_by_nationality", "mfq2_fig3_per_llm",
               "mfq2_fig4_language_persona", "mfq2_fig5_removal_change")
  for (name in figures) {
    expect_gt(file.size(file.path(results, "figures", paste0(name, ".png"))), 10000)
  }
  expect_false(dir.exists(file.path(results, "wvs7")))
})

test_that("analyse_all fails clearly when nothing is there", {
  expect_error(analyse_all(file.path(tempdir(), "nowhere"), tempfile()), "moralign similarity")
  empty <- tempfile("derived")
  dir.create(empty)
  expect_error(suppressMessages(analyse_all(empty, tempfile())), "no derived tables")
})

test_that("figure 2 is drawn from item-level z-scores when they are there", {
  zscores <- tidyr::crossing(who = c("human", "llm"), group = c("China", "USA"), id = 1:3,
                             item = 1:36) |>
    dplyr::mutate(language = "English", persona = "none", z = stats::rnorm(dplyr::n()))
  means <- zscore_means(zscores, "mfq2")
  expect_equal(nrow(means), 2 * 2 * 6)
  expect_equal(levels(means$unit)[4], "Authority")
  # the interval is over the three ids (each one's mean of the six Care items), not 18 ratings
  care <- zscores[zscores$who == "human" & zscores$group == "China" & zscores$item %% 6 == 1, ]
  per_id <- tapply(care$z, care$id, mean)
  row <- means[means$who == "human" & means$group == "China" & means$unit == "Care", ]
  expect_equal(c(row$n, row$df), c(3, 2))
  expect_equal(row$mean, mean(per_id))
  expect_equal(row$conf_high - row$mean, stats::qt(0.975, 2) * stats::sd(per_id) / sqrt(3))
  expect_match(plot_zscore_means(means, "mfq2")$labels$caption,
               "over respondents .*df 2\\) and over LLMs .*df 2\\)")
  path <- save_figure(plot_zscore_means(means, "mfq2"), tempfile(), "z")
  expect_gt(file.size(path), 10000)
})

test_that("model display names come from the similarity manifest", {
  dir <- tempfile("derived")
  dir.create(dir)
  expect_identical(model_display_names(dir), character())
  jsonlite::write_json(list(options = list(display_names = list(`gpt-4o` = "GPT-4o"))),
                       file.path(dir, "manifest.json"), auto_unbox = TRUE)
  names <- model_display_names(dir)
  expect_identical(display_name(c("gpt-4o", "Human mean, USA"), names),
                   c("GPT-4o", "Human mean, USA"))
})

test_that("derived tables written with factors are read as character", {
  path <- tempfile(fileext = ".rds")
  saveRDS(data.frame(llm = factor(c("a", "b")), cosine = c(0.1, 0.2)), path)
  data <- read_rds_table(path)
  expect_type(data$llm, "character")
  expect_identical(data$llm, c("a", "b"))
})

# A study the shipped one is not: an LLM of a third origin, a third persona, unknown makers
# (as the contract of a study file without `maker` fields says).
write_new_study_derived <- function(root) {
  folder <- file.path(root, "mfq2")
  dir.create(folder, recursive = TRUE)
  contract <- jsonlite::read_json(default_contract_path)
  contract$allowed_values$llm_origin <- list("China", "USA", "Japan")
  contract$allowed_values$persona <- list("none", "China", "USA", "Japan")
  contract$personas <- list("none", "China", "USA", "Japan")
  contract$origins <- list("China", "USA", "Japan")
  contract$nation_adjectives <- list(China = "Chinese", USA = "American", Japan = "Japanese")
  contract$allowed_values$language <- list("English", "Chinese", "Japanese")
  contract$languages <- list("English", "Chinese", "Japanese")
  llms <- c(sprintf("llm-%02d", 1:6), "llm-jp")
  contract$models <- lapply(llms, function(llm) {
    list(id = llm, display_name = toupper(llm),
         origin = if (llm == "llm-jp") "Japan" else c("China", "USA")[2 - grepl("[135]$", llm)],
         maker = NULL)
  })
  jsonlite::write_json(list(contract = contract), file.path(root, "manifest.json"),
                       auto_unbox = TRUE, null = "null")
  japanese <- function(rows) {
    from <- rows[rows$llm == "llm-01", ]
    dplyr::bind_rows(rows, dplyr::mutate(from, llm = "llm-jp", llm_origin = "Japan",
                                         congruent_origin = FALSE,
                                         cosine = .data$cosine + 0.01))
  }
  rq1 <- japanese(simulate_rq1(20, 20, 6, seed = 41))
  rq2 <- japanese(simulate_rq2(20, 20, 6, seed = 42))
  third_persona <- dplyr::mutate(rq2[rq2$persona == "China", ], persona = "Japan",
                                 congruent_persona = FALSE)
  saveRDS(rq1, file.path(folder, "rq1.rds"))
  third_language <- dplyr::mutate(rq2[rq2$language == "English", ], language = "Japanese",
                                  congruent_language = FALSE)
  saveRDS(dplyr::bind_rows(rq2, third_persona, third_language), file.path(folder, "rq2.rds"))
}

test_that("a new study: a third origin is described not contrasted, makers unknown say so", {
  root <- file.path(tempfile("derived"), "paper")
  results <- tempfile("results")
  write_new_study_derived(root)
  suppressMessages(analyse_all(root, results, "mfq2", measures = FALSE))
  read <- function(name) {
    readr::read_csv(file.path(results, "mfq2", paste0(name, ".csv")), show_col_types = FALSE)
  }
  excluded <- read("excluded_from_contrasts")
  expect_equal(paste(excluded$what, excluded$id),
               c("llm llm-jp", "persona Japan", "prompt language Japanese"))
  expect_match(excluded$reason, "not of the compared pair")
  expect_true("Japanese" %in% read("rq2_cells")$language)
  # The models take the compared pair's rows only.
  expect_equal(unique(read("rq2_ols")$n_obs), nrow(simulate_rq2(20, 20, 6, seed = 42)))
  expect_true("llm-jp" %in% read("rq1_cells")$llm)
  expect_true("Japan" %in% read("rq2_cells")$persona)
  level <- read("llm_level")
  expect_equal(unique(level$primary_unit), "llm")
  expect_match(unique(level$primary_note), "makers unknown for 6 of 6 LLMs")
  expect_equal(unique(level$n_china_llms + level$n_usa_llms), 6)
  expect_equal(nrow(read("equivalence")), nrow(level))
  manifest <- jsonlite::read_json(file.path(results, "manifest.json"))
  expect_equal(length(manifest$contract$models), 7)
  files <- vapply(manifest$tables, `[[`, "", "file")
  expect_true(all(c("mfq2/llm_level.csv", "mfq2/equivalence.csv") %in% files))
  expect_true(all(file.exists(file.path(results, files))))
})

test_that("analyses the similarity step marks not possible are skipped with their reason", {
  root <- file.path(tempfile("derived"), "paper")
  results <- tempfile("results")
  write_simulated_derived(root)
  unlink(file.path(root, "mfq2", c("rq2.rds", "rq3_persona.rds")))
  reason <- "no LLM of the study has ratings in persona China"
  manifest <- jsonlite::read_json(file.path(root, "manifest.json"))
  manifest$instruments$mfq2$tables <- list(
    rq1 = list(status = "built"), rq3 = list(status = "built"),
    rq2 = list(status = "not possible", reason = reason),
    rq3_persona = list(status = "not possible", reason = reason)
  )
  jsonlite::write_json(manifest, file.path(root, "manifest.json"), auto_unbox = TRUE)
  expect_message(analyse_all(root, results, "mfq2", mixed = FALSE, measures = FALSE),
                 "rq2 not possible, skipped: no LLM of the study has ratings in persona China")
  written <- readr::read_csv(file.path(results, "mfq2", "not_possible.csv"),
                             show_col_types = FALSE)
  expect_equal(written$analysis, c("rq2", "rq3_persona"))
  expect_equal(written$reason, rep(reason, 2))
  expect_true(file.exists(file.path(results, "mfq2", "rq1_ols.csv")))
  expect_true(file.exists(file.path(results, "mfq2", "rq3_ols.csv")))
  expect_false(file.exists(file.path(results, "mfq2", "rq2_ols.csv")))
  listed <- vapply(jsonlite::read_json(file.path(results, "manifest.json"))$tables,
                   function(table) table$file, "")
  expect_true("mfq2/not_possible.csv" %in% listed)
})

test_that("with LLMs of one origin the models of origin are not possible, the rest is fitted", {
  root <- file.path(tempfile("derived"), "paper")
  results <- tempfile("results")
  write_simulated_derived(root)
  unlink(file.path(root, "mfq2", c("rq2.rds", "rq3_persona.rds")))
  for (name in c("rq1", "rq3")) {
    path <- file.path(root, "mfq2", paste0(name, ".rds"))
    table <- readRDS(path)
    saveRDS(table[table$is_human_mean | table$llm_origin == "USA", ], path)
  }
  suppressMessages(analyse_all(root, results, "mfq2", mixed = FALSE, measures = FALSE))
  written <- readr::read_csv(file.path(results, "mfq2", "not_possible.csv"),
                             show_col_types = FALSE)
  expect_true(all(c("rq1 models", "rq3 models") %in% written$analysis))
  expect_match(written$reason[1], "come from USA only")
  expect_false(file.exists(file.path(results, "mfq2", "rq1_ols.csv")))
  expect_true(file.exists(file.path(results, "mfq2", "welch_per_llm.csv")))
  expect_true(file.exists(file.path(results, "mfq2", "rq3_mean_change.csv")))
})

# The closed-form RQ2 model against lmer on the release, both respondent-id modes, each term
# on its own (estimate, SE, df). lmer needs far too long for every respondent of the release,
# so the check takes 60 respondents of each nationality (seeded) with all 20 LLMs.

derived_root <- Sys.getenv("MORALIGN_DERIVED_DIR", file.path(project_root, "data", "derived"))

release_subsample <- function(rows, per_nationality = 60, seed = 11) {
  keys <- unique(rows[c("respondent_key", "nationality")])
  chosen <- withr::with_seed(seed, {
    unlist(lapply(split(keys$respondent_key, keys$nationality), sample, per_nationality))
  })
  dplyr::filter(rows, .data$respondent_key %in% chosen)
}

for (mode in c("paper", "respondent")) {
  test_that(sprintf("RQ2 closed form equals lmer per term on the release (%s ids)", mode), {
    derived_dir <- file.path(derived_root, mode)
    skip_if_not(has_derived(derived_dir, "mfq2", "rq2"),
                sprintf("no derived table %s", derived_path(derived_dir, "mfq2", "rq2")))
    previous <- use_contract(read_contract(derived_dir))
    on.exit(use_contract(previous))
    rows <- release_subsample(rq2_data(read_derived(derived_dir, "mfq2", "rq2")))
    compared <- closed_form_vs_lmer(rows)
    llm_variance <- lmer_llm_variance(compared$model$model, compared$terms$term)
    interior <- llm_variance > 1e-6
    expect_gt(sum(interior), 8)
    expect_each_term_close(compared$terms[interior, ], se_tolerance = 0.01, df_tolerance = 0.02)
  })
}

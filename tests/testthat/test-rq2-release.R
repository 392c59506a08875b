# The closed-form RQ2 model against lmer on the release, both respondent-id modes, each term
# on its own (estimate, SE, df). lmer takes minutes per mode on the release.

derived_root <- Sys.getenv("MORALIGN_DERIVED_DIR", file.path(project_root, "data", "derived"))

for (mode in c("paper", "respondent")) {
  test_that(sprintf("RQ2 closed form equals lmer per term on the release (%s ids)", mode), {
    derived_dir <- file.path(derived_root, mode)
    skip_if_not(has_derived(derived_dir, "mfq2", "rq2"),
                sprintf("no derived table %s", derived_path(derived_dir, "mfq2", "rq2")))
    previous <- use_contract(read_contract(derived_dir))
    on.exit(use_contract(previous))
    rows <- rq2_data(read_derived(derived_dir, "mfq2", "rq2"))
    compared <- closed_form_vs_lmer(rows)
    llm_variance <- lmer_llm_variance(compared$model$model, compared$terms$term)
    expect_true(all(llm_variance > 1e-6)) # no by-LLM variance at the boundary on the release
    expect_each_term_close(compared$terms, se_tolerance = 0.01, df_tolerance = 0.02)
  })
}

# Wall time and peak memory of the R analysis.
#   Rscript benchmarks/analysis.R [--derived data/derived/paper] [--cores 2]
# Each set runs in its own R process so that its peak resident memory (VmHWM) is its own.
# Sets: MFQ-2 OLS models, MFQ-2 mixed models, the whole MFQ-2 analysis (tables and figures),
# the RQ2 model with its contrasts and the RQ1 + RQ2 LLM-level tests on a synthetic WVS of paper
# size, and all mixed models on that synthetic WVS (2,808 + 2,357 respondents; 14 LLMs
# without persona, 17 with personas; 19 questions left out in turn).
# The mixed sets include the LLM-level tests (llm_level.R: exact permutations, 999 two-way
# bootstrap replicates, maker-level models) of RQ1, RQ2 and RQ3.

arguments <- commandArgs(trailingOnly = TRUE)
option <- function(name, default) {
  at <- match(paste0("--", name), arguments)
  if (is.na(at)) default else arguments[at + 1]
}
derived_dir <- option("derived", "data/derived/paper")
cores <- as.integer(option("cores", "2"))
set <- option("set", NA)

peak_memory_mb <- function() {
  status <- readLines("/proc/self/status")
  as.numeric(gsub("[^0-9]", "", grep("^VmHWM", status, value = TRUE))) / 1024
}

run_set <- function(set) {
  source("R/analysis/load.R", chdir = TRUE)
  options(moralign.cores = cores)
  suppressPackageStartupMessages({
    library(lme4)
    library(lmerTest)
    library(emmeans)
  })
  start <- Sys.time()
  rows <- switch(set,
    mfq2_ols = {
      rq1 <- read_derived(derived_dir, "mfq2", "rq1")
      rq1_ols(rq1_data(rq1))
      welch_per_llm(rq1)
      rq1_cells(rq1)
      rq1_followup_ols(rq1)
      rq2_ols(rq2_data(read_derived(derived_dir, "mfq2", "rq2")))
      rq3 <- rq3_data(read_derived(derived_dir, "mfq2", "rq3"))
      rq3_ols(rq3)
      rq3_mean_change(rq3)
      persona <- rq3_data(read_derived(derived_dir, "mfq2", "rq3_persona"))
      rq3_ols(persona, "rq3_persona_ols")
      nrow(rq1) + nrow(rq3) + nrow(persona)
    },
    mfq2_mixed = mixed_set(
      rq1_data(read_derived(derived_dir, "mfq2", "rq1")),
      rq2_data(read_derived(derived_dir, "mfq2", "rq2")),
      rq3_data(read_derived(derived_dir, "mfq2", "rq3"))
    ),
    mfq2_all = {
      suppressMessages(analyse_instrument(derived_dir, tempfile("results"), "mfq2"))
      NA
    },
    wvs7_synthetic_rq2 = {
      rq1_rows <- rq1_data(validate_derived(simulate_rq1(2808, 2357, 14, seed = 1)))
      rq2_rows <- rq2_data(validate_derived(simulate_rq2(2808, 2357, 17, seed = 2)))
      fit <- rq2_lmm(rq2_rows)
      rq2_lmm_diagnostics(fit)
      rq2_emmeans(fit)
      llm_level(rq1_rows, rq2_rows)
      nrow(rq1_rows) + nrow(rq2_rows)
    },
    wvs7_synthetic_mixed = mixed_set(
      rq1_data(validate_derived(simulate_rq1(2808, 2357, 14, seed = 1))),
      rq2_data(validate_derived(simulate_rq2(2808, 2357, 17, seed = 2))),
      rq3_data(validate_derived(simulate_rq3(2808, 2357, 14, removed = as.character(177:195),
                                             seed = 3)))
    )
  )
  seconds <- as.numeric(difftime(Sys.time(), start, units = "secs"))
  cat(sprintf("%-22s %8.1f s  peak %7.0f MB  rows %s\n", set, seconds, peak_memory_mb(),
              format(rows, big.mark = ",")))
}

# RQ1 with structure selection, emmeans contrasts and per-LLM contrasts; RQ2 (closed form) with
# contrasts; RQ3 change-score models; the LLM-level tests. Each part's time is printed; data
# preparation is counted in the part that first uses the data (arguments are evaluated
# lazily), as in a real run.
mixed_set <- function(rq1_rows, rq2_rows, rq3_rows) {
  part <- function(name, expr) {
    seconds <- system.time(value <- expr)[["elapsed"]]
    cat(sprintf("  %-20s %8.1f s\n", name, seconds))
    value
  }
  fit <- part("rq1 lmm + selection", rq1_lmm(rq1_rows))
  part("rq1 tables+emmeans", {
    tidy_lmm(fit$model, "rq1_lmm")
    lmm_diagnostics(fit, "rq1_lmm")
    rq1_emmeans(fit$model, rq1_rows)
  })
  part("rq1 per-LLM lmm", rq1_per_llm_lmm(rq1_rows))
  fit2 <- part("rq2 lmm (closed form)", rq2_lmm(rq2_rows))
  part("rq2 tables+contrasts", {
    rq2_lmm_diagnostics(fit2)
    rq2_variance_components(fit2)
    rq2_emmeans(fit2)
  })
  part("rq3 change models", rq3_lmm(rq3_rows, none_fit = fit))
  part("llm-level tests", llm_level(rq1_rows, rq2_rows, rq3_rows))
  nrow(rq1_rows) + nrow(rq2_rows) + nrow(rq3_rows)
}

if (is.na(set)) {
  cat(sprintf("R analysis benchmark: derived tables %s, %d cores\n", derived_dir, cores))
  for (name in c("mfq2_ols", "mfq2_mixed", "mfq2_all", "wvs7_synthetic_rq2",
                  "wvs7_synthetic_mixed")) {
    status <- system2("Rscript", c("benchmarks/analysis.R", "--set", name, "--derived",
                                   derived_dir, "--cores", cores))
    if (status != 0) cat(sprintf("%-22s failed (exit %d)\n", name, status))
  }
} else {
  run_set(set)
}

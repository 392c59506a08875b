# Calibration by simulation: type-I error of every origin test on data sets without any origin
# effect, with the effects and variance components of the MFQ-2 release (true respondent ids),
# makers that share part of the by-LLM variance, correlated by-LLM effects, unequal variances
# between the origins and respondent x LLM slopes (R/analysis/simulate.R: calibration_table()).
#   Rscript benchmarks/calibration.R [--sets 1000] [--maker-share 0.4] [--respondents 40]
#     [--plan multisession:2] [--out results/calibration_full.csv] [--previous-sims 0]
# --plan: the future plan the sets run on (sequential, multisession, multisession:N; default
# MORALIGN_FUTURE_PLAN, else multisession); R/analysis/futures.R.
# The pipeline writes results/calibration.csv from fewer sets (Makefile: CALIBRATION_SETS);
# `make calibrate` writes the full run. Prints each test's rate and 95% Monte-Carlo interval;
# a test the book uses outside [.03, .07] is flagged MISS, the LLM-level t ignoring makers is
# expected above .07 when makers share variance. --previous-sims N adds the RQ2 model reported
# before the factorial one (previous_rq2_lmm(), seconds per fit) on N plain data sets.

arguments <- commandArgs(trailingOnly = TRUE)
option <- function(name, default) {
  at <- match(paste0("--", name), arguments)
  if (is.na(at)) default else arguments[at + 1]
}
sets <- as.integer(option("sets", "1000"))
maker_share <- as.numeric(option("maker-share", "0.4"))
respondents <- as.integer(option("respondents", "40"))
plan <- option("plan", Sys.getenv("MORALIGN_FUTURE_PLAN", "multisession"))
out <- option("out", "results/calibration_full.csv")
previous_sims <- as.integer(option("previous-sims", "0"))

source("R/analysis/load.R", chdir = TRUE)
options(moralign.future_plan = plan)

dir.create(dirname(out), recursive = TRUE, showWarnings = FALSE)
seconds <- system.time(
  rates <- calibration_table(sets, n_per_nationality = respondents, maker_share = maker_share)
)[["elapsed"]]
if (previous_sims > 0) {
  previous <- null_rejection_rates("previous_rq2_lmm", previous_sims)
  cat(sprintf("previous RQ2 model, %d plain data sets:\n", previous_sims))
  print(as.data.frame(previous[c("term", "rejection_rate", "mc_conf_low", "mc_conf_high")]))
}
readr::write_csv(rates, out, na = "")
cat(sprintf("%-20s %-34s %-62s %6s  %s\n", "analysis", "test", "term", "rate",
            "95% MC interval"))
for (i in seq_len(nrow(rates))) {
  row <- rates[i, ]
  flag <- if (!row$book_uses) {
    if (row$rejection_rate > 0.07) "above .07 (expected)" else ""
  } else if (row$within_band) "ok" else "MISS"
  cat(sprintf("%-20s %-34s %-62s %6.3f  [%.3f, %.3f] %s\n", row$analysis, row$test, row$term,
              row$rejection_rate, row$mc_conf_low, row$mc_conf_high, flag))
}
cat(sprintf("%d data sets, maker share %.2f, %.1f min on plan %s; written to %s\n", sets,
            maker_share, seconds / 60, plan, out))

#!/usr/bin/env bash
# How long `make report` takes in a fresh copy of the project: the first run (everything), a
# second run with nothing changed, a run after touching one derived table, and one after changing
# one chapter's text (Quarto knits that chapter only). Prints the times and the stages each ran.
#
#   MORALIGN_DATA_MIRROR=/path/to/mirror benchmarks/make_report.sh [WORK_DIR]
#
# The copy holds the project's tracked and new files (as a clone would) and uses the project's
# .venv. WORK_DIR defaults to a new temporary folder; it is left in place for inspection.
# MAKE_FLAGS is passed to make: `MAKE_FLAGS="-o setup"` skips tools/setup.sh, for a .venv that
# must not be touched (one shared with other checkouts, whose pyproject.toml may differ).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
copy="$work/moralign"
mkdir -p "$copy"
(cd "$root" && git ls-files -z --cached --others --exclude-standard) |
  while IFS= read -r -d '' name; do
    if [ -f "$root/$name" ] && [ ! -L "$root/$name" ]; then
      mkdir -p "$copy/$(dirname "$name")"
      cp -p "$root/$name" "$copy/$name"
    fi
  done
ln -sfn "$(realpath "$root/.venv")" "$copy/.venv"
export PYTHONPATH="$copy/python"

timed_make() {
  local label="$1" log="$work/$1.log" start end
  start=${EPOCHREALTIME/./}
  make -C "$copy" ${MAKE_FLAGS:-} report > "$log" 2>&1 || { tail -30 "$log"; exit 1; }
  end=${EPOCHREALTIME/./}
  printf '%-28s %8.1f s   stages: %s\n' "$label" "$(( (end - start) / 100000 ))e-1" \
    "$(grep -o '^\[[^]]*\] done in [0-9.]* s' "$log" | sed 's/ done in /=/; s/[][]//g' | paste -sd, -)"
}

timed_make first-run
timed_make second-run
touch "$copy/data/derived/respondent/mfq2/rq1.rds"
timed_make after-touching-one-table
echo "" >> "$copy/reports/robustness.qmd"
timed_make after-changing-one-chapter
echo "logs in $work"

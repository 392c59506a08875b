# Two commands for a newcomer: `make report` and `make test` (see README.md).
SHELL := /bin/bash
PY := .venv/bin/python
MORALIGN := .venv/bin/moralign
# Set MORALIGN_DATA_MIRROR=<folder> to copy the pinned files from a local mirror instead of
# downloading them.

.PHONY: report test setup setup-model data similarity analysis book demo lint renv-lock bench

report: setup data analysis book ## fetch, import, similarity, R models, render the book

test: setup-model data ## every Python and R test
	$(PY) -m pytest

setup:
	@tools/setup.sh

setup-model:
	@tools/setup.sh --model

data: setup
	$(MORALIGN) data fetch
	$(MORALIGN) data import

similarity: data
	$(MORALIGN) similarity --respondent-ids paper
	$(MORALIGN) similarity --respondent-ids respondent

analysis: data ## similarity tables, then the R models, in both respondent-id modes
	$(MORALIGN) analyze --respondent-ids both

book: setup
	Rscript reports/render.R

DEMO_DB := data/collected/demo_local.sqlite
demo: setup-model data ## a small collection against a tiny local model, then export
	@echo "Demo: SmolLM2-135M is a TINY local model (135M parameters) that answers survey items"
	@echo "badly. This shows the collection machinery, not anything about moral values."
	$(MORALIGN) collect run --study studies/demo_local.toml --db $(DEMO_DB)
	$(MORALIGN) collect status --study studies/demo_local.toml --db $(DEMO_DB)
	$(MORALIGN) collect export --study studies/demo_local.toml --db $(DEMO_DB) --out results/demo

lint: setup
	.venv/bin/ruff check python tests benchmarks

renv-lock: setup ## rewrite renv.lock from the installed R packages the code loads
	Rscript tools/write_renv_lock.R

bench: setup-model data ## print the speed figures of each stage
	$(PY) benchmarks/similarity.py
	Rscript benchmarks/analysis.R
	$(PY) benchmarks/collector.py

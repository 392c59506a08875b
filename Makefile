# Two commands for a newcomer: `make report` and `make test` (see README.md).
SHELL := /bin/bash
PY := .venv/bin/python
MORALIGN := .venv/bin/moralign
# Set MORALIGN_DATA_MIRROR=<folder> to copy the pinned files from a local mirror instead of
# downloading them (Quarto's sources too, when Quarto is built: tools/install_quarto.sh).

.PHONY: report test setup setup-model fetch data similarity analysis book-inputs book demo lint \
	renv-lock bench

ifdef STUDY
# Another study: import its export folder, then similarity, R models, book inputs and its book,
# all into its own folders (`moralign analyze --help`).
report: SETUP_OPTIONS += --quarto
report: fetch ## fetch, import, similarity, R models, book inputs, the book (STUDY=FILE: that study)
	$(call stage,report $(STUDY),MORALIGN_FUTURE_PLAN=$(FUTURE_PLAN) $(MORALIGN) analyze \
		--study $(STUDY) --respondent-ids both --calibration $(CALIBRATION_SETS) --book)
else
report: _book/index.html
endif

test: setup data ## every Python and R test
	$(PY) -m pytest

# What tools/setup.sh installs besides R and the venv: what the target being made needs (the
# options are passed down to every prerequisite).
test: SETUP_OPTIONS += --model --quarto --browser
_book/index.html: SETUP_OPTIONS += --quarto

setup:
	$(call stage,setup,tools/setup.sh $(SETUP_OPTIONS))

setup-model:
	@tools/setup.sh --model

# ---- the pipeline as files: a stage runs only when a file it reads is newer than what it wrote.
# Stages write the default folders (data/..., results/, _book/) whatever MORALIGN_*_DIR says.

# $(call stage,NAME,COMMAND): say what runs, run it, say how long it took.
stage = @t0=$${EPOCHREALTIME/./}; echo "[$(1)] $(2)"; $(2) || exit $$?; \
	t1=$${EPOCHREALTIME/./}; printf '[%s] done in %.1f s\n' "$(1)" "$$(( (t1 - t0) / 100000 ))e-1"

MODES := paper respondent
# Simulated null data sets per test in results/calibration.csv (`make calibrate`: 1,000).
CALIBRATION_SETS ?= 100
# The future plan simulations run on (R/analysis/futures.R): sequential, multisession[:N].
FUTURE_PLAN ?= multisession
CANONICAL := $(addprefix data/canonical/,items.csv models.csv model_calls.csv \
	human_responses.csv llm_ratings.csv llm_calls.csv)
MANIFESTS := $(foreach mode,$(MODES),data/derived/$(mode)/manifest.json)
# run.R writes package_versions.csv last: its date is that of the whole run.
MODEL_RUNS := results/package_versions.csv results/respondent/package_versions.csv
BOOK_INPUTS := results/provenance.json
# Files listed when make starts (none on a fresh clone, where the targets do not exist yet).
EXTERNAL_FILES := $(shell find data/external -type f ! -name '.*' 2>/dev/null)
RESULT_FILES := $(shell find results -type f ! -name README.md 2>/dev/null)
derived_tables = $(wildcard data/derived/$(1)/*/*.rds)

# Checks the pinned files' hashes and fetches what is missing; quick when all are in place.
fetch: | setup
	$(call stage,fetch,$(MORALIGN) data fetch --external data/external)

$(CANONICAL) &: data/sources.toml studies/made_in_china.toml $(EXTERNAL_FILES) \
		$(wildcard python/collect/data/*.py) | fetch
	$(call stage,import,$(MORALIGN) data import --external data/external --out data/canonical)

data/derived/%/manifest.json: $(CANONICAL) $(wildcard python/collect/similarity/*.py) \
		python/collect/vocab.py python/collect/data/published.py | setup
	$(call stage,similarity $*,$(MORALIGN) similarity --respondent-ids $* \
		--canonical data/canonical --out data/derived)

results/package_versions.csv: data/derived/paper/manifest.json $(call derived_tables,paper) \
		$(wildcard R/analysis/*.R) | setup
	$(call stage,models paper,MORALIGN_FUTURE_PLAN=$(FUTURE_PLAN) Rscript R/analysis/run.R \
		--derived data/derived/paper \
		--results results --calibration-sets $(CALIBRATION_SETS))

results/respondent/package_versions.csv: data/derived/respondent/manifest.json \
		$(call derived_tables,respondent) $(wildcard R/analysis/*.R) | setup
	$(call stage,models respondent,Rscript R/analysis/run.R --derived data/derived/respondent \
		--results results/respondent)

$(BOOK_INPUTS): $(CANONICAL) $(MANIFESTS) studies/made_in_china.toml data/sources.toml \
		python/collect/report_inputs.py $(wildcard python/collect/collector/*.py) | setup
	$(call stage,book inputs,$(MORALIGN) book-inputs --canonical data/canonical \
		--derived data/derived --results results)

_book/index.html: $(MODEL_RUNS) $(BOOK_INPUTS) $(RESULT_FILES) _quarto.yml index.qmd \
		$(wildcard reports/*) renv.lock | setup
	$(call stage,book,Rscript reports/render.R --results results --output-dir _book)

data: $(CANONICAL)
similarity: $(MANIFESTS)
analysis: $(MODEL_RUNS) $(BOOK_INPUTS) ## similarity tables, R models (both id modes), book inputs
book-inputs: $(BOOK_INPUTS)
book: _book/index.html

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

bench: data ## print the speed figures of each stage
	@tools/setup.sh --model --bench
	$(PY) benchmarks/similarity.py
	$(PY) benchmarks/yardsticks.py
	Rscript benchmarks/analysis.R
	$(PY) benchmarks/collector.py
	$(PY) benchmarks/reproduction_speed.py

.PHONY: power
power: setup ## power of the origin tests for a 10 + 10 LLM study with 3, 5 or 10 makers per origin
	MORALIGN_FUTURE_PLAN=$(FUTURE_PLAN) $(MORALIGN) power --llms-per-origin 10 \
		--makers-per-origin 3,5,10 --respondents 40 --effects 0,0.1,0.2,0.3,0.5 --sets 500 \
		--out results/power.csv

.PHONY: calibrate
calibrate: setup ## type-I error of every origin test on 1,000 simulated null data sets
	Rscript benchmarks/calibration.R --sets 1000 --out results/calibration_full.csv

"""Time and memory of the similarity tables.

MFQ-2: every table from the canonical tables of the release (data/canonical, or built from the
fetched release into a temporary folder). WVS-7: SYNTHETIC data at the published scale (2,808 +
2,357 respondents, 20 LLMs, 6 conditions, 19 leave-one-out sets). For each table it prints the
seconds to build it in memory, the seconds to write its .rds, rows per second and the peak
memory traced while building; at the end the peak resident memory of the process.

Then the measures-and-countries tables: every similarity measure, coherence, contributions and
consistency for MFQ-2 (release) and WVS-7 (synthetic, paper scale), and the country placement of
every LLM condition against the published country means (data/external, from `moralign data
fetch`).

Run: .venv/bin/python benchmarks/similarity.py [--no-write]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from collect.data.canonical import build_canonical
from collect.data.published import LANGUAGE_OF_NATION, LANGUAGES, NATIONS, PERSONAS
from collect.data.reference import (
    MFQ2_MEANS,
    WVS7_MEANS,
    read_mfq2_country_means,
    read_wvs7_country_means,
    reference_file,
)
from collect.data.sources import fetch_all
from collect.paths import PATHS
from collect.similarity import measures as m
from collect.similarity.analyses import Analysis, analyses_for
from collect.similarity.build import build_analysis, standardise
from collect.similarity.countries import country_placement, with_study_nations
from collect.similarity.derived import write_rds
from collect.similarity.inputs import (
    HumanGroup,
    InstrumentInputs,
    LlmRatings,
    instrument_inputs,
    read_canonical,
)
from collect.similarity.metrics import PAIR_MEASURES
from collect.vocab import MFQ2, WVS7

WVS_PAPER_N = {"China": 2808, "USA": 2357}
N_LLMS = 20


def canonical_folder(scratch: Path) -> Path:
    if (PATHS.canonical / "human_responses.csv").exists():
        return PATHS.canonical
    out = scratch / "canonical"
    fetch_all()  # into data/external, as `moralign data fetch` does
    build_canonical(out=out, wvs7_file=scratch / "absent.csv")
    return out


def synthetic_wvs(seed: int = 1) -> InstrumentInputs:
    rng = np.random.default_rng(seed)
    k = len(WVS7.items)
    groups = tuple(
        HumanGroup(n, LANGUAGE_OF_NATION[n], np.arange(1, size + 1),  # type: ignore[index]
                   rng.integers(1, 11, size=(size, k)).astype(float))
        for n, size in WVS_PAPER_N.items()
    )
    models = tuple(f"llm-{i:02d}" for i in range(N_LLMS))
    origins = tuple(NATIONS[i % 2] for i in range(N_LLMS))
    means = rng.uniform(1, 10, size=(N_LLMS, len(LANGUAGES), len(PERSONAS), k))
    return InstrumentInputs(WVS7, WVS7.items, groups, LlmRatings(models, origins, means),
                            {n: f"Human mean, {n}" for n in NATIONS})


def traced_peak(inputs: InstrumentInputs, groups: tuple, analysis: Analysis) -> float:
    """Peak memory (MiB) traced while building the table once more."""
    tracemalloc.start()
    build_analysis(inputs, groups, analysis)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def measure(inputs: InstrumentInputs, label: str, out: Path | None) -> float:
    """Print one line per table; return the seconds spent building (and writing) them all."""
    total = 0.0
    start = time.perf_counter()
    groups = tuple(standardise(g) for g in inputs.humans)
    total += time.perf_counter() - start
    for analysis in analyses_for(inputs.instrument):
        start = time.perf_counter()
        outcome = build_analysis(inputs, groups, analysis)
        built = time.perf_counter() - start
        written = 0.0
        if out is not None:
            start = time.perf_counter()
            write_rds(outcome.table, out / label / f"{analysis.name}.rds")
            written = time.perf_counter() - start
        rows = len(outcome.table)
        total += built + written
        print(f"{label:5} {analysis.name:12} rows {rows:>10,}  build {built:6.3f} s "
              f"({rows / built:>12,.0f} rows/s)  write {written:6.3f} s  "
              f"peak traced {traced_peak(inputs, groups, analysis):7.1f} MiB", flush=True)
    return total


def measure_tables_time(inputs: InstrumentInputs, label: str) -> None:
    """Every measure (metric_llm and each pair measure's per-respondent table), coherence x
    alignment, contributions, consistency."""
    start = time.perf_counter()
    groups = tuple(m.varying(g) for g in inputs.humans)
    side = m.compared_side(inputs)
    tables = (m.metric_llm_table(groups, side), m.alignment_table(groups, side),
              m.contributions_table(inputs, groups, side),
              m.language_consistency(inputs, groups, side),
              *(m.pair_table(groups, side, name) for name in PAIR_MEASURES))
    seconds = time.perf_counter() - start
    print(f"{label:5} all {len(m.MEASURES)} measures (+ per-respondent tables), coherence, "
          "contributions, consistency "
          f"({sum(len(t) for t in tables):,} rows) in {seconds:.3f} s", flush=True)


def placement_time(inputs: InstrumentInputs, label: str) -> None:
    mfq = inputs.instrument.name == MFQ2.name
    path = reference_file(MFQ2_MEANS if mfq else WVS7_MEANS)
    if not path.is_file():
        print(f"{label:5} country placement skipped: {path} missing (moralign data fetch)")
        return
    start = time.perf_counter()
    reference = (read_mfq2_country_means if mfq else read_wvs7_country_means)(path)
    countries = with_study_nations(reference, inputs.instrument, inputs.humans)
    table = country_placement(countries, inputs.llms, inputs.instrument)
    seconds = time.perf_counter() - start
    print(f"{label:5} country placement, {len(countries.countries)} countries, every LLM "
          f"condition and pair measure ({len(table):,} rows) in {seconds:.3f} s", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="time building only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        out = None if args.no_write else scratch / "derived"
        start = time.perf_counter()
        frames = read_canonical(canonical_folder(scratch))
        mfq = instrument_inputs(frames, MFQ2, "paper")
        read = time.perf_counter() - start
        print(f"mfq2  reading canonical tables {read:.3f} s")
        mfq_total = measure(mfq, "mfq2", out)
        what = "built" if out is None else "built and written"
        print(f"mfq2  all tables {what} in {mfq_total:.3f} s (+ {read:.3f} s reading)")
        wvs = synthetic_wvs()
        wvs_total = measure(wvs, "wvs7", out)
        print(f"wvs7  all tables (synthetic, paper scale) {what} in {wvs_total:.3f} s")
        measure_tables_time(mfq, "mfq2")
        placement_time(mfq, "mfq2")
        measure_tables_time(wvs, "wvs7")
        placement_time(wvs, "wvs7")
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"peak resident memory of the process {peak_rss:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())

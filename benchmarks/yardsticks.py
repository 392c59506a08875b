"""Time of the noise ceilings, baseline responders and centrality tables.

MFQ-2 on the release (data/canonical, or built from the fetched release); WVS-7 ceilings and
baselines on SYNTHETIC respondents at the published scale (2,808 + 2,357, 20 LLMs); centrality
against the published country means (data/external, from `moralign data fetch`).

Run: .venv/bin/python benchmarks/yardsticks.py
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from collect.data.reference import (
    MFQ2_MEANS,
    WVS7_MEANS,
    read_mfq2_country_means,
    read_wvs7_country_means,
    reference_file,
)
from collect.similarity import measures as m
from collect.similarity.baselines import DRAWS, baseline_gaps, baseline_scores
from collect.similarity.ceilings import REPLICATES, ceiling_tables
from collect.similarity.centrality import country_centrality, llm_centrality
from collect.similarity.countries import with_study_nations
from collect.similarity.inputs import InstrumentInputs, instrument_inputs, read_canonical
from collect.vocab import MFQ2
from similarity import canonical_folder, synthetic_wvs


def timed(label: str, what: str, build: Callable[[], object]) -> None:
    start = time.perf_counter()
    result = build()
    rows = sum(len(t) for t in (result.values() if isinstance(result, dict) else [result]))
    print(f"{label:5} {what} ({rows:,} rows) in {time.perf_counter() - start:.3f} s", flush=True)


def yardsticks_time(inputs: InstrumentInputs, label: str) -> None:
    groups = tuple(m.varying(g) for g in inputs.humans)
    side = m.compared_side(inputs)
    timed(label, f"noise ceilings, {REPLICATES} replicates", lambda: ceiling_tables(groups, side))
    timed(label, f"baselines, {DRAWS} draws each, every measure",
          lambda: baseline_gaps(baseline_scores(inputs.instrument, groups, side)))
    mfq = inputs.instrument.name == MFQ2.name
    path = reference_file(MFQ2_MEANS if mfq else WVS7_MEANS)
    if not path.is_file():
        print(f"{label:5} centrality skipped: {path} missing (moralign data fetch)")
        return
    reference = (read_mfq2_country_means if mfq else read_wvs7_country_means)(path)
    countries = with_study_nations(reference, inputs.instrument, inputs.humans)
    timed(label, f"centrality, {len(countries.countries)} countries",
          lambda: {"countries": country_centrality(countries),
                   "llms": llm_centrality(countries, inputs.llms, inputs.instrument)})


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        mfq = instrument_inputs(read_canonical(canonical_folder(Path(scratch))), MFQ2, "paper")
        yardsticks_time(mfq, "mfq2")
    yardsticks_time(synthetic_wvs(), "wvs7")
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"peak resident memory of the process {peak_rss:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())

"""`moralign similarity`: z-score, exclude and compute the cosine tables R reads."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from collect.core.study import load_vocabulary
from collect.paths import PATHS
from collect.similarity.analyses import WvsNoPersona
from collect.similarity.metrics import DEFAULT_METRIC, PAIR_MEASURES
from collect.similarity.run import Exclusion, run_similarity
from collect.vocab import INSTRUMENTS, RespondentIds


class InstrumentOption(StrEnum):
    mfq2 = "mfq2"
    wvs7 = "wvs7"
    all = "all"


def similarity(
    respondent_ids: Annotated[RespondentIds, typer.Option(
        "--respondent-ids",
        help="paper: the release's Participant labels (reproduces the published numbers); "
             "respondent: true row-order respondents (docs/methods.md section 2.2).",
    )] = RespondentIds.PAPER,
    instrument: Annotated[InstrumentOption, typer.Option(
        help="Which instrument's tables to build. WVS-7 is skipped, with a message, when its "
             "human data has not been imported.",
    )] = InstrumentOption.all,
    canonical: Annotated[Path | None, typer.Option(
        help="Folder of the canonical tables (default: data/canonical).",
    )] = None,
    wvs_no_persona: Annotated[WvsNoPersona, typer.Option(
        help="WVS-7 rq1/rq3 LLM vectors (docs/methods.md section 3.3). none-only: the "
             "persona-none ratings, z-scored per (LLM, language). all-personas (what the "
             "released scripts compute): none, China and USA ratings z-scored together per "
             "(LLM, language); rq1 compares the none vector, rq3 the three concatenated "
             "(persona label \"all\").",
    )] = WvsNoPersona.NONE_ONLY,
    metric: Annotated[list[str] | None, typer.Option(
        help="Pair measure whose per-respondent RQ1 table is written as `rq1_NAME.rds` "
             "(repeat the option, or `all`): " + ", ".join(PAIR_MEASURES) + f". Default "
             f"{DEFAULT_METRIC} (rq1.rds itself). Every measure's per-LLM summary "
             "(metric_llm.rds) is written whatever is chosen; docs/methods.md section 7.1 "
             "defines them.",
    )] = None,
    out: Annotated[Path | None, typer.Option(
        help="Folder of the derived tables (default: data/derived). Tables go to "
             "OUT/IDS/INSTRUMENT/, one .rds per analysis, listed in OUT/IDS/manifest.json.",
    )] = None,
    exclusion: Annotated[Exclusion, typer.Option(
        help="What an item without enough valid answers drops (docs/methods.md section 1.7). "
             "llm (the paper's rule, the default): an LLM with an item without any valid "
             "answer, in a condition an analysis uses, is dropped from that analysis. item "
             "(for new studies): the item is dropped for every LLM and respondent when some "
             "LLM gave it fewer than --min-valid-answers valid answers in a compared "
             "condition.",
    )] = Exclusion.LLM,
    min_valid_answers: Annotated[int, typer.Option(
        min=1, help="With --exclusion item: the fewest valid answers each LLM must give an "
                    "item in each compared condition for the item to be kept.",
    )] = 1,
    study: Annotated[Path | None, typer.Option(
        help="The study file whose vocabulary (title, nations, languages, personas, LLMs and "
             "makers) the manifest carries to R (default: the shipped study, "
             "made_in_china.toml in studies/).",
    )] = None,
) -> None:
    """Build the cosine-similarity tables (rq1, rq2, rq3, rq3_persona) that R reads.

    Respondents are z-scored within respondent; zero-variance respondents are dropped, counted.

    LLM vectors are z-scored per (LLM, language, persona); MFQ-2 persona analyses pool personas.

    An LLM is dropped from an analysis if an item of a condition it uses has no valid answer
    (or, with --exclusion item, the item is dropped instead).
    """
    names = list(INSTRUMENTS) if instrument is InstrumentOption.all else [instrument.value]
    metrics = tuple(metric or [DEFAULT_METRIC])
    if "all" in metrics:
        metrics = PAIR_MEASURES
    unknown = sorted(set(metrics) - set(PAIR_MEASURES))
    if unknown:
        raise typer.BadParameter(f"{unknown}: --metric takes a pair measure "
                                 f"{list(PAIR_MEASURES)} or all", param_hint="--metric")
    run_similarity(
        canonical or PATHS.canonical,
        out or PATHS.derived,
        respondent_ids,
        names,
        PATHS.wvs7_file,
        say=typer.echo,
        wvs_no_persona=wvs_no_persona,
        metrics=metrics,
        study=load_vocabulary(study) if study else None,
        exclusion=exclusion,
        min_valid_answers=min_valid_answers,
    )

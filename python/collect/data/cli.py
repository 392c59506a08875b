"""`moralign data ...`: fetch the pinned sources and build the canonical tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from collect.data.canonical import build_canonical, export_files, exported_models
from collect.data.sources import MIRROR_ENV, dataset_names, fetch_all, load_sources
from collect.paths import PATHS

app = typer.Typer(
    help="Fetch the pinned data sources and build the canonical tables.", no_args_is_help=True,
    rich_markup_mode="markdown",  # help paragraphs reflow to the terminal's width
)


@app.command()
def fetch(
    mirror: Annotated[
        Path | None,
        typer.Option(
            help=f"Copy from this folder instead of downloading (also ${MIRROR_ENV}). "
            "It may be laid out like `data/external/<dataset>/` or like the upstream "
            "repository."
        ),
    ] = None,
    external: Annotated[Path | None, typer.Option(help="Where fetched files go.")] = None,
    dataset: Annotated[list[str] | None, typer.Option(
        help="Fetch only this dataset of data/sources.toml (repeat for several); the only way "
             "to fetch one marked `on_request`.",
    )] = None,
) -> None:
    """Download the files of data/sources.toml into data/external/ and verify their sha256.

    By default every dataset but those marked `on_request` (the study's analysis scripts, which
    only the speed benchmark reads).

    Files already present with the right hash are left alone. A download is written to a
    temporary file and kept only if its hash matches; a mismatch is an error naming the file
    and both hashes. The WVS wave 7 file is not fetched: its terms forbid redistribution, so
    users download it themselves (see data/README.md).
    """
    sources = load_sources(datasets=dataset or ())
    for path, fetched in fetch_all(mirror=mirror, external=external, sources=sources):
        typer.echo(f"{'fetched' if fetched else 'present'}  {path}")


@app.command("import")
def import_(
    external: Annotated[Path | None, typer.Option(help="Folder of fetched files.")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Folder for the canonical tables (default: data/canonical; with --export of a "
             "study other than the shipped one, its own folder under data/studies/).")] = None,
    wvs7_file: Annotated[
        Path | None, typer.Option("--wvs7", help="The WVS wave 7 cross-national CSV.")
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="Use the answers of this export folder (what `moralign collect export` wrote, "
            "e.g. data/collected/NAME/export) instead of the release's: its item-mean files "
            "llm_<survey>_responses.csv are found in it.",
        ),
    ] = None,
    llm_responses: Annotated[
        list[Path] | None,
        typer.Option(
            "--llm-responses",
            help="Use these item-mean files (llm_mfq_responses.csv, llm_wvs_responses.csv of an "
            "export; not llm_calls.csv or llm_<survey>_calls.csv) instead of the release's LLM "
            "answers. Repeat for several files.",
        ),
    ] = None,
    study: Annotated[
        Path | None,
        typer.Option(
            help="Study file naming the models of --llm-responses. Optional: by default they "
            "come from the models table `moralign collect export` writes beside its files."
        ),
    ] = None,
) -> None:
    """Build the canonical tables (data/canonical/*.csv) from the fetched sources."""
    if export is not None:
        if llm_responses:
            raise typer.BadParameter("give --export or --llm-responses, not both",
                                     param_hint="--export")
        llm_responses, others = export_files(export)
        for path in llm_responses:
            typer.echo(f"importing {path}")
        for path in others:
            typer.secho(f"not imported: {path} (no human data of that instrument to compare "
                        "with)", fg=typer.colors.YELLOW)
        exported = exported_models(llm_responses)
        if out is None and exported is not None:  # a study's answers go to its own folder
            out = PATHS.study(exported[0]).canonical
    report = build_canonical(
        external=external,
        out=out,
        wvs7_file=wvs7_file,
        llm_files=llm_responses,
        study_file=study,
    )
    for name, rows in report.tables.items():
        typer.echo(f"{name:16} {rows:>8} rows")
    if report.wvs7 is not None:
        for nation, counts in report.wvs7.items():
            typer.echo(f"wvs7 {nation}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if report.wvs7_missing:
        typer.secho(f"WVS-7 humans not imported: {report.wvs7_missing}", fg=typer.colors.YELLOW)
    typer.echo(f"written to {out or PATHS.canonical}")


@app.command()
def sources() -> None:
    """List the pinned files: dataset, path, URL and sha256."""
    for source in load_sources(datasets=dataset_names()):
        note = "  (on request)" if source.on_request else ""
        typer.echo(f"{source.dataset}/{source.local}{note}\n  {source.url}\n"
                   f"  sha256 {source.sha256}")

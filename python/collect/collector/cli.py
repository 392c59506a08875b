"""`moralign collect ...`: run a study against provider APIs, see where it stands, export it."""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from collect.collector.design import PlannedCall, plan_calls
from collect.collector.export import export_study
from collect.collector.gates import GateFailure, cell_summary, check_gates
from collect.collector.prompts import render_prompts
from collect.collector.runlock import DatabaseInUseError, run_lock
from collect.collector.runner import Runner, RunObserver, RunReport
from collect.collector.store import Store, in_plan
from collect.collector.study import Study, load_study
from collect.core.outcome import Outcome
from collect.core.presentation import combinations
from collect.paths import PATHS

EXIT_GATE_FAILED = 1
EXIT_MOSTLY_FAILED = 3
EXIT_DATABASE_IN_USE = 4
EXIT_INTERRUPTED = 130

app = typer.Typer(
    help=(
        "Collect LLM answers to survey items. A study file (TOML, see studies/) declares "
        "providers, models, instruments, conditions, repetitions and the exact prompts. "
        "`run` makes every call not yet stored (reruns skip finished calls and retry failed "
        "ones), `status` shows what is done, `export` writes the release's format and the "
        "canonical llm_calls and models tables."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",  # help paragraphs reflow to the terminal's width
)
# Wide enough for one progress line per model when the output is a file or a pipe.
console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 140)

StudyOption = Annotated[Path, typer.Option("--study", help="The study file (TOML).")]
DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", help="The SQLite database of calls (default: data/collected/STUDY.sqlite)."
    ),
]
ModelsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--models", help="Only these model ids (repeat the option or separate with commas)."
    ),
]


def _db_path(study: Study, db: Path | None) -> Path:
    return db if db is not None else PATHS.root / "data" / "collected" / f"{study.name}.sqlite"


def _model_ids(models: list[str] | None) -> list[str] | None:
    if not models:
        return None
    return [m.strip() for value in models for m in value.split(",") if m.strip()]


def _secrets(study: Study) -> list[str]:
    names = {spec.config.api_key_env for spec in study.providers.values()}
    return [os.environ[name] for name in names if os.environ.get(name)]


def _open_store(study: Study, db: Path | None, *, read_only: bool = False) -> Store:
    return Store(_db_path(study, db), secrets=_secrets(study), read_only=read_only)


@app.command()
def run(
    study_file: StudyOption,
    models: ModelsOption = None,
    db: DbOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print call counts, example prompts and a cost estimate; "
                                       "make no call."),
    ] = False,
    grace: Annotated[
        float,
        typer.Option(help="On Ctrl-C, seconds to let calls in flight finish before abandoning "
                          "them (a second Ctrl-C abandons at once)."),
    ] = 10.0,
    detach: Annotated[
        bool,
        typer.Option("--detach", help="Batch-mode providers: submit the batches and exit; a "
                                      "later run collects them."),
    ] = False,
    replace_changed: Annotated[
        bool,
        typer.Option("--replace-changed",
                     help="Ask again the stored calls whose settings (api_model, temperature, "
                          "prompt) differ from the study file, replacing their old rows. "
                          "Without it such rows stop the run with an error."),
    ] = False,
) -> None:
    """Make every call of the study that is not stored yet, then check the quality gates.

    Every call is planned (with a stable key: model, instrument, language, persona, item,
    iteration) before any is made; calls already answered are skipped, failed ones are retried.
    Stored answers asked with other settings than the study file now gives (api_model,
    temperature, prompt) stop the run, unless --replace-changed asks them again.
    Results are committed one by one, so an interrupted or killed run loses at most the calls in
    flight. API keys are read from the environment variables the study names, never stored.

    Only one run at a time may use a database: a second run on the same --db stops at once,
    naming the process that holds it (pid, host, start time), and leaves the database untouched.
    The hold is an OS lock on a file next to the database, named like it with .lock added (e.g.
    calls.sqlite.lock), released when the run ends in any way (even kill -9). `status`,
    `export`, `prompts` and --dry-run need no lock and work during a run.

    Exit status: 0 when every gate passes; 1 when a gate fails (incomplete cells, too many
    unparseable answers or refusals, degenerate output); 3 when the run mostly failed (most due
    calls got no answer, e.g. a missing API key or an exhausted quota); 4 when another run is
    using the database; 130 when interrupted.
    """
    study = load_study(study_file)
    chosen = study.select_models(_model_ids(models))
    planned = plan_calls(study, chosen)
    if dry_run:
        _dry_run(study, planned, db)
        return
    try:
        with run_lock(_db_path(study, db)):
            if study.description:
                console.print(study.description)
            with _local_servers(study) as study, _open_store(study, db) as store:
                batched = [c for c in planned if study.providers[c.provider].batch is not None]
                online = [c for c in planned if study.providers[c.provider].batch is None]
                report = _run_with_progress(study, store, online, grace, replace_changed)
                if batched:
                    if online:
                        _print_report(report)
                    report = _run_batches(study, store, batched, detach)
                summary = cell_summary(planned, store.frame(study.name))
    except DatabaseInUseError as err:
        console.print(f"error: {err}", style="red", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_DATABASE_IN_USE) from None
    _print_report(report)
    if detach:
        console.print("detached: batches are submitted; run again (without --detach) to collect")
        return
    failures = check_gates(summary, study.gates)
    _print_gates(failures)
    if report.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if report.mostly_failed(study.gates.max_failed_share):
        console.print("[red]the run mostly failed: most due calls got no answer[/red]")
        raise typer.Exit(EXIT_MOSTLY_FAILED)
    if failures:
        raise typer.Exit(EXIT_GATE_FAILED)


@contextmanager
def _local_servers(study: Study) -> Iterator[Study]:
    """Starts the local model servers the study asks for; yields the study pointed at them."""
    wanted = {name: spec for name, spec in study.providers.items() if spec.local_server}
    if not wanted:
        yield study
        return
    from collect.collector.local_model import start_local_model_server

    providers = dict(study.providers)
    servers = []
    try:
        for name, spec in wanted.items():
            key_env = spec.config.api_key_env
            if not os.environ.get(key_env):
                # A key for this session only: the local server demands it, nobody else sees it.
                os.environ[key_env] = secrets.token_urlsafe(24)
            console.print(f"starting the local model server for provider {name!r} "
                          f"({spec.local_server})")
            server = start_local_model_server(api_key=os.environ[key_env])
            servers.append(server)
            config = replace(spec.config, base_url=server.base_url)
            providers[name] = replace(spec, config=config)
        yield replace(study, providers=providers)
    finally:
        for server in servers:
            server.stop()


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:5.1f}/s" if speed else "    -/s")


class _ProgressObserver(RunObserver):
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, int] = {}
        self.counts: dict[str, Counter[str]] = {}

    def planned(self, model: str, total: int, already_done: int) -> None:
        self.counts[model] = Counter()
        self.tasks[model] = self.progress.add_task(
            model, total=total, completed=already_done, errors=self._errors(model)
        )

    def _errors(self, model: str) -> str:
        c = self.counts[model]
        return (f"invalid {c['invalid']} refused {c['refused']} failed {c['failed']} "
                f"retries {c['retry']}")

    def call_done(self, model: str, kind: str) -> None:
        self.counts[model][kind] += 1
        self.progress.update(self.tasks[model], advance=1, errors=self._errors(model))

    def retrying(self, model: str) -> None:
        self.counts[model]["retry"] += 1

    def message(self, text: str) -> None:
        self.progress.console.print(text)


def _run_batches(study: Study, store: Store, planned: list[PlannedCall],
                 detach: bool) -> RunReport:
    from collect.collector.batch import BatchCollector

    class _Messages(RunObserver):
        def message(self, text: str) -> None:
            console.print(text, markup=False)

    try:
        return BatchCollector(study, store, _Messages(), detach=detach).run(planned)
    finally:
        _print_batches(store, study.name)


def _print_batches(store: Store, study: str) -> None:
    rows = store.batches(study)
    if not rows:
        return
    table = Table(title="batches")
    for column in ("provider", "batch", "input file", "status", "lines", "completed", "failed",
                   "collected"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.provider, row.batch_id or f"(key {row.batch_key})",
                      row.input_file_id or "-", row.status, str(row.lines), str(row.completed),
                      str(row.failed), "yes" if row.collected else "no")
    typer.echo(_render(table, width=1000))  # ids whole: they are copied into consoles


def _run_with_progress(study: Study, store: Store, planned: list[PlannedCall],
                       grace: float, replace_changed: bool) -> RunReport:
    from collect.collector.providers.registry import make_provider

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[errors]}"),
        console=console,
    )
    runner = Runner(study, store, make_provider, _ProgressObserver(progress), grace_s=grace)
    with progress:
        return asyncio.run(_run_interruptibly(runner, planned, replace_changed))


async def _run_interruptibly(runner: Runner, planned: list[PlannedCall],
                             replace_changed: bool) -> RunReport:
    loop = asyncio.get_running_loop()
    presses = 0

    def on_signal() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            runner.request_stop()
        else:
            console.print("abandoning the calls in flight")
            runner.request_abandon()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        return await runner.run(planned, replace_changed)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _print_report(report: RunReport) -> None:
    counts = report.counts
    console.print(
        f"planned {report.planned}, already stored {report.planned - report.pending_at_start}, "
        f"made now {report.attempted} (valid {counts['valid']}, invalid {counts['invalid']}, "
        f"refused {counts['refused']}, failed {counts['failed']}; retries {report.retries}), "
        f"not attempted {report.not_attempted}"
    )
    for name, reason in report.stopped_providers.items():
        console.print(f"[red]provider {name} stopped:[/red] {reason}")
    for name, reason in report.stopped_models.items():
        console.print(f"[red]model {name} stopped:[/red] {reason}")
    if report.interrupted:
        console.print("interrupted: finished calls are stored; run again to continue")


def _print_gates(failures: list[GateFailure]) -> None:
    if not failures:
        console.print("quality gates: all passed")
        return
    console.print(f"[red]quality gates: {len(failures)} failed[/red]")
    for failure in failures[:40]:
        console.print(f"  {failure.describe()}")
    if len(failures) > 40:
        console.print(f"  ... and {len(failures) - 40} more (see `moralign collect status`)")


def _dry_run(study: Study, planned: list[PlannedCall], db: Path | None) -> None:
    path = _db_path(study, db)
    pending = planned
    if path.exists():
        with _open_store(study, db, read_only=True) as store:
            pending = store.pending(planned)
    table = Table(title=f"study {study.name}: {len(planned)} calls, {len(pending)} not stored yet")
    for column in ("model", "provider", "mode", "calls", "to make", "input tokens", "output tokens",
                   "cost (USD)"):
        table.add_column(column, justify="left" if column in ("model", "provider") else "right")
    total_cost = 0.0
    unpriced = []
    for model in study.models:
        mine = [c for c in planned if c.key.model == model.id]
        if not mine:
            continue
        todo = [c for c in pending if c.key.model == model.id]
        batch = study.providers[model.provider].batch
        tokens_in = sum(c.estimated_input_tokens for c in todo)
        tokens_out = sum(c.request.max_tokens for c in todo)
        cost = None
        if model.price_input_per_mtok is not None and model.price_output_per_mtok is not None:
            cost = (tokens_in * model.price_input_per_mtok
                    + tokens_out * model.price_output_per_mtok) / 1e6
            if batch is not None:
                cost *= batch.price_factor
        if cost is None:
            unpriced.append(model.id)
        else:
            total_cost += cost
        table.add_row(model.id, model.provider, "online" if batch is None else "batch",
                      str(len(mine)), str(len(todo)), f"{tokens_in:,}",
                      f"{tokens_out:,}", "no price" if cost is None else f"{cost:.2f}")
    typer.echo(_render(table))
    typer.echo(
        "Token counts are estimates (input from prompt length, output at max_tokens); batch "
        "providers cost batch_price_factor (default 0.5) times the online price; cost "
        + (f"total {total_cost:.2f} USD." if not unpriced
           else f"of the models with a price {total_cost:.2f} USD; no price for "
                f"{', '.join(unpriced)} (the study file gives them no price_input_per_mtok "
                "and price_output_per_mtok).")
    )
    typer.echo(_design_factors(study, planned, pending))
    typer.echo("")
    for instrument, spec in study.instruments.items():
        for language in study.languages:
            for persona in study.personas:
                system, user = render_prompts(study, instrument, language, persona, spec.items[0])
                typer.echo(f"--- {instrument} / {language} / persona {persona} / item "
                           f"{spec.items[0]}")
                typer.echo(f"[system]\n{system}\n[user]\n{user}\n")
        language, persona = study.languages[0], study.personas[0]
        for presentation, variant in combinations(study, spec)[1:]:
            system, user = render_prompts(study, instrument, language, persona, spec.items[0],
                                          presentation, variant)
            typer.echo(f"--- {instrument} / {language} / persona {persona} / item "
                       f"{spec.items[0]} / {presentation} / variant {variant}")
            typer.echo(f"[system]\n{system}\n[user]\n{user}\n")


def _design_factors(study: Study, planned: list[PlannedCall], pending: list[PlannedCall]) -> str:
    """The calls of each presentation x wording, with their estimated tokens still to ask."""
    table = Table(title=f"presentations x wordings ({study.assignment} assignment over "
                        f"{study.repetitions} repetitions)")
    for column in ("presentation", "variant", "calls", "to make", "input tokens"):
        table.add_column(column, justify="left" if column in ("presentation", "variant")
                         else "right")
    calls = Counter((c.presentation, c.variant) for c in planned)
    todo = Counter((c.presentation, c.variant) for c in pending)
    tokens = Counter()
    for call in pending:
        tokens[call.presentation, call.variant] += call.estimated_input_tokens
    for (presentation, variant), n in calls.items():
        table.add_row(presentation, variant, str(n), str(todo[presentation, variant]),
                      f"{tokens[presentation, variant]:,}")
    return _render(table)


def _render(table: Table, width: int = 120) -> str:
    buffer = io.StringIO()
    Console(width=width, file=buffer).print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip("\n").splitlines())


@app.command()
def status(
    study_file: StudyOption,
    models: ModelsOption = None,
    db: DbOption = None,
) -> None:
    """Per model, instrument and condition: calls planned, valid, invalid, refused, failed, pending.

    Also lists the quality gates that currently fail.
    """
    study = load_study(study_file)
    planned = plan_calls(study, study.select_models(_model_ids(models)))
    path = _db_path(study, db)
    if not path.exists():
        typer.echo(f"no database at {path}: nothing collected yet ({len(planned)} calls planned)")
        return
    with _open_store(study, db, read_only=True) as store:
        calls = store.frame(study.name)
        _print_batches(store, study.name)
    summary = cell_summary(planned, calls)
    table = Table(title=f"study {study.name} in {path}")
    columns = ("model", "instrument", "language", "persona", "planned", "valid", "invalid",
               "refused", "failed", "pending")
    for column in columns:
        table.add_column(column, justify="right" if column in columns[4:] else "left")
    for row in summary.itertuples(index=False):
        table.add_row(row.model, row.instrument, row.language, row.persona, str(row.planned),
                      str(row.valid), str(row.invalid), str(row.refused), str(row.failed),
                      str(row.planned - row.finished))
    typer.echo(_render(table))
    totals = summary[["planned", "finished", "valid", "invalid", "refused", "failed"]].sum()
    typer.echo(
        f"total: {totals['planned']} planned, {totals['finished']} finished ({totals['valid']} "
        f"valid, {totals['invalid']} invalid, {totals['refused']} refused), {totals['failed']} "
        f"failed, {totals['planned'] - totals['finished']} pending"
    )
    failures = check_gates(summary, study.gates)
    typer.echo("quality gates: " + ("all passed" if not failures else f"{len(failures)} failing"))
    for failure in failures:
        typer.echo(f"  {failure.describe()}")


@app.command()
def export(
    study_file: StudyOption,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder for the exported tables (default: data/collected/NAME/export, "
                      "NAME the study's name; `moralign data import --export` reads it)."
    )] = None,
    db: DbOption = None,
) -> None:
    """Write the stored calls in the project's canonical tables and in the release's format.

    `llm_calls.csv` and `models.csv` are canonical tables: with the models table beside them,
    `moralign data import --export FOLDER` needs no study file. Per instrument,
    `llm_<survey>_responses.csv` (item means) and `llm_<survey>_calls.csv` (one row per call)
    have exactly the columns of the original study's public release.
    """
    study = load_study(study_file)
    out = out or PATHS.collected(study.name)
    path = _db_path(study, db)
    if not path.exists():
        raise typer.BadParameter(f"no database at {path}; run `moralign collect run` first",
                                 param_hint="--db")
    planned = plan_calls(study)
    with _open_store(study, db, read_only=True) as store:
        stored = store.frame(study.name)
        logprobs = store.logprobs(study.name)
        pending = len(store.pending(planned))
        changed = len(store.changed(planned))
    calls = in_plan(stored, planned)
    if calls.empty:
        raise typer.BadParameter(f"{path} holds no planned call of study {study.name!r}",
                                 param_hint="--db")
    if len(stored) > len(calls):
        console.print(f"[yellow]note: {len(stored) - len(calls)} stored calls are no longer "
                      "planned by the study file and are left out of the export[/yellow]")
    if pending:
        console.print(f"[yellow]note: {pending} planned calls are not stored yet; the export "
                      "covers the stored ones[/yellow]")
    if changed:
        console.print(f"[yellow]note: {changed} stored answers were asked with other settings "
                      "than the study file now gives; `collect run --replace-changed` asks them "
                      "again[/yellow]")
    failed = int(calls["status"].eq(Outcome.FAILED).sum())
    if failed:
        console.print(f"[yellow]note: {failed} calls failed (no answer from the provider); they "
                      "are left out of the item means and prop_na, and marked status=failed in "
                      "the per-call tables[/yellow]")
    for written in export_study(study, calls, out, logprobs):
        typer.echo(f"wrote {written}")


@app.command()
def prompts(
    study_file: StudyOption,
    instrument: Annotated[str, typer.Option(help="Instrument name, e.g. mfq2.")],
    item: Annotated[int, typer.Option(help="Item number.")],
    language: Annotated[str | None, typer.Option(help="Only this language.")] = None,
    persona: Annotated[str | None, typer.Option(help="Only this persona.")] = None,
) -> None:
    """Print the exact system and user messages of one item in every condition."""
    study = load_study(study_file)
    for lang in [language] if language else study.languages:
        for pers in [persona] if persona else study.personas:
            system, user = render_prompts(study, instrument, lang, pers, item)
            typer.echo(f"--- {instrument} / {lang} / persona {pers} / item {item}")
            typer.echo(f"[system]\n{system}\n[user]\n{user}\n")


if __name__ == "__main__":
    app()

"""The `moralign` command: one sub-command group per stage of the pipeline."""

from __future__ import annotations

import typer

from collect import __version__
from collect.analysis_cli import analyze, book_inputs
from collect.collector.cli import app as collect_app
from collect.data.cli import app as data_app
from collect.errors import MoralignError
from collect.power_cli import power
from collect.similarity.cli import similarity

app = typer.Typer(
    name="moralign",
    help=(
        "Ask LLMs the questions of validated human value surveys and measure which people they "
        "answer like.\n\nPipeline: `data fetch` -> `data import` -> `similarity` -> `analyze` "
        "(R models) -> the Quarto book (`make report`). Collect new LLM answers with `collect`."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # help paragraphs reflow to the terminal's width
)
app.add_typer(data_app, name="data")
app.add_typer(collect_app, name="collect")
app.command("similarity")(similarity)
app.command("analyze")(analyze)
app.command("book-inputs")(book_inputs)
app.command("power")(power)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    try:
        app()
    except MoralignError as err:
        typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None

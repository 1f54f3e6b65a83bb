"""The ``previs`` command: the studio's requests from a terminal. Errors: one line on stderr, exit 1."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from previs.cli import fitting, frames, init, provenance, review, scenes, shots, storyboard, workers
from previs.cli.common import CliState
from previs.cli.consent import consent_app
from previs.cli.users import users_app
from previs.errors import PrevisError
from previs.settings import Settings
from previs.version import __version__

app = typer.Typer(
    name="previs",
    help="Virtual production previs: concept frames, fittings and storyboards with consent and provenance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"previs {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    context: typer.Context,
    home: Annotated[Path | None, typer.Option(help="Data directory [env: PREVIS_HOME].")] = None,
    model: Annotated[
        str | None, typer.Option(help="Preset, hub id, folder or previs-tiny [env: PREVIS_MODEL].")
    ] = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:N or mps [env: PREVIS_DEVICE].")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    context.obj = CliState(Settings.from_env(home=home, model=model, device=device))


app.command()(init.init)
app.command()(frames.generate)
app.command()(frames.frames)
app.command()(frames.models)
app.command()(frames.styles)
app.command("import-script")(scenes.import_script)
app.command()(scenes.scenes)
app.command()(storyboard.storyboard)
app.command()(shots.shotlist)
app.command()(storyboard.aspect)
app.command()(fitting.fit)
app.command()(fitting.figures)
app.command()(provenance.verify)
app.command()(provenance.reproduce)
app.command()(provenance.export)
app.command()(review.review)
app.command()(workers.workers)
app.add_typer(consent_app, name="consent")
app.add_typer(provenance.ledger_app, name="ledger")
app.add_typer(users_app, name="users")
app.add_typer(shots.shot_app, name="shot")


def main(argv: list[str] | None = None) -> int:
    """Console entry point: user-facing errors become one line on stderr and exit code 1."""
    try:
        app(args=argv, prog_name="previs")  # standalone: usage errors print themselves and exit 2
    except PrevisError as error:
        typer.echo(f"error: {error}", err=True)
        return 1
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


def run() -> None:
    """``previs`` console script."""
    sys.exit(main())

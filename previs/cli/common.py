"""What every CLI command shares: the studio built from global options, and output helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import typer

from previs.app.studio import Studio, open_studio
from previs.errors import InvalidRequest
from previs.settings import Settings


@dataclass
class CliState:
    """Global options; the studio is opened on first use so `--help` stays fast."""

    settings: Settings
    _studio: Studio | None = field(default=None, repr=False)

    @property
    def studio(self) -> Studio:
        if self._studio is None:
            self._studio = open_studio(self.settings)
        return self._studio

    def use_model(self, model: str | None) -> None:
        """A command's own ``--model`` (e.g. ``previs generate --model sdxl``), before the studio opens."""
        if model is not None:
            if self._studio is not None:
                raise InvalidRequest("--model must be given before the studio is opened")
            self.settings = replace(self.settings, model=model)


def state(context: typer.Context) -> CliState:
    found = context.find_root().obj
    if not isinstance(found, CliState):  # set by the previs command's callback before any subcommand runs
        raise RuntimeError("no CliState on the root context: run commands through previs.cli.app")
    return found


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def parse_size(size: str | None) -> tuple[int | None, int | None]:
    """'768x512' -> (768, 512); None -> model defaults."""
    if size is None:
        return None, None
    width, sep, height = size.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise typer.BadParameter(f"{size!r} is not WIDTHxHEIGHT, e.g. 768x512", param_hint="--size")
    return int(width), int(height)


JSON_OPTION = typer.Option("--json", help="Print machine-readable JSON instead of text.")
MAX_USER_FILE_BYTES = 64 * 1024 * 1024


def read_user_file(path: Path, option: str) -> bytes:
    """Read a file the user named on the command line, with a clear error instead of a traceback."""
    try:
        if path.stat().st_size > MAX_USER_FILE_BYTES:
            raise InvalidRequest(f"{option} {path} is over {MAX_USER_FILE_BYTES // 2**20} MiB")
        return path.read_bytes()
    except OSError as error:
        raise InvalidRequest(f"cannot read {option} {path}: {error.strerror or error}") from error

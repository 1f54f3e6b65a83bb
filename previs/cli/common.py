"""What every CLI command shares: the studio built from global options, and output helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import typer

from previs.settings import Settings
from previs.studio import Studio, open_studio


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


def state(context: typer.Context) -> CliState:
    return context.find_root().obj


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

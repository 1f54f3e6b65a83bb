"""``previs workers``: who draws frames (PREVIS_WORKERS): id, host, device, model, busy or idle, frames drawn."""

from __future__ import annotations

from typing import Annotated

import typer

from previs.cli.common import JSON_OPTION, print_json, state


def workers(context: typer.Context, as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """List the generation workers: the in-process generator, or the Ray workers (docs/deploy.md)."""
    studio = state(context).studio
    listed = studio.models.workers()
    if as_json:
        print_json({"mode": str(studio.settings.workers), "workers": [worker.to_json() for worker in listed]})
        return
    for worker in listed:
        typer.echo(f"{worker.id:<18} {worker.host:<20} {worker.device:<8} {worker.model:<24} {worker.state:<5} "
                   f"{worker.frames:>6} frames")

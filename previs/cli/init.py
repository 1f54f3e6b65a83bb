"""``previs init``: make the studio, or start its database or signing identity over, explicitly."""

from __future__ import annotations

from typing import Annotated

import typer

from previs.app.lifecycle import start_over
from previs.cli.common import JSON_OPTION, print_json, state


def init(
    context: typer.Context,
    new_database: Annotated[bool, typer.Option(
        "--new-database", help="Start a new database for a data directory whose database is lost; the old "
                               "files are moved into set-aside-<time>/, nothing is deleted.")] = False,
    new_signing_identity: Annotated[bool, typer.Option(
        "--new-signing-identity", help="Make a new local signing identity; the old one is set aside and its "
                                       "CA stays trusted for earlier frames.")] = False,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Open (or make) the studio in the data directory and say what it holds; starting over only when asked."""
    done = start_over(state(context).settings, new_database=new_database, new_signing_identity=new_signing_identity)
    if as_json:
        print_json({"done": done})
    else:
        for line in done:
            typer.echo(line)

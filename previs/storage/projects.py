"""What a project may be called: one rule for every place that can create a project (frames, scripts, grants)."""

from __future__ import annotations

import re

from previs.errors import InvalidRequest

_PROJECT_NAME = re.compile(r"^[\w][\w .,'&()+-]{0,99}$")


def check_project_name(name: str) -> str:
    """The name, trimmed; or InvalidRequest saying what is allowed (names show in UIs, sheets and file names)."""
    name = name.strip()
    if not _PROJECT_NAME.match(name):
        raise InvalidRequest(
            f"project name {name!r} is not allowed: use 1-100 letters, digits, spaces or . , ' & ( ) + - _"
        )
    return name

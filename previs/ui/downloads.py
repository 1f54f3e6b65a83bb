"""Files the studio hands out for download (a storyboard PDF), written where Gradio serves them from.

The file goes into a fresh folder of its own inside Gradio's cache, under a name the program builds (the
project's name reduced to letters, digits, dots, dashes and underscores: never a separator, never a name a
user typed as it was), so no two downloads collide and no user text becomes a path. Gradio serves files in its
cache without copying them, and sweeps them with the rest of the cache (``shell.CACHE_SWEEP``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from pathlib import Path

import gradio as gr


def served_file(component: gr.components.Component, data: bytes, name: str) -> str:
    """Write ``data`` as ``name`` for ``component`` (a gr.File) to hand out; returns the path to return."""
    folder = Path(component.GRADIO_CACHE) / f"previs-{secrets.token_hex(16)}"
    folder.mkdir(parents=True)
    path = folder / name
    path.write_bytes(data)
    return str(path)


def storyboard_pdf_name(project: str, scenes: Sequence[str], what: str = "storyboard.pdf") -> str:
    """``harbour-scene3-storyboard.pdf``: says what the file is once it sits among others in a download folder.

    ``what`` names the kind of file ("shotlist.csv"); no scene means the whole project.
    """
    which = f"scene{scenes[0]}" if len(scenes) == 1 else f"scenes{'-'.join(scenes)}" if scenes else ""
    return "-".join(part for part in (_slug(project), _slug(which) if which else "", what) if part)


def _slug(text: str) -> str:
    """Letters, digits, dots, dashes and underscores only: a file name on every system."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "previs"


def frame_file_name(project: str, frame_id: int, seed: int, extension: str) -> str:
    """``harbour-frame12-seed7.png``: which frame, and the seed that remakes it."""
    return f"{_slug(project)}-frame{frame_id}-seed{seed}.{extension}"

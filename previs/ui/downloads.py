"""Files the studio hands out for download (a storyboard PDF), written where Gradio serves them from.

The file goes into a fresh folder of its own inside Gradio's cache, under a name the program chooses (never
one a user typed), so no two downloads collide and no user text becomes a path. Gradio serves files in its
cache without copying them, and sweeps them with the rest of the cache (``shell.CACHE_SWEEP``).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import gradio as gr


def served_file(component: gr.components.Component, data: bytes, name: str) -> str:
    """Write ``data`` as ``name`` for ``component`` (a gr.File) to hand out; returns the path to return."""
    folder = Path(component.GRADIO_CACHE) / f"previs-{secrets.token_hex(16)}"
    folder.mkdir(parents=True)
    path = folder / name
    path.write_bytes(data)
    return str(path)

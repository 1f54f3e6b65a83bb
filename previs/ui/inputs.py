"""Reading what people type or click: numbers and ids, with messages that say how to fix a typo."""

from __future__ import annotations

from typing import Any

import gradio as gr

from previs.errors import InvalidRequest

# A gallery's buttons: no "share" (it posts to Hugging Face, which a private studio must never do, and fails).
GALLERY_BUTTONS: list[Any] = ["download", "fullscreen"]  # Any: Gradio types it as a list of literals
SIZES = ("256x256", "512x512", "768x512", "512x768", "1024x576", "1024x1024")  # frame sizes the tabs offer


def whole_number(text: str | float | None, what: str, fix: str) -> int | None:
    """A number typed in a text box, or None when it is blank (the browser sends an empty gr.Number as 0,
    and 0 can be a valid value, so numbers are typed into text boxes)."""
    text = "" if text is None else str(text).strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidRequest(f"{what} {text!r} is not a whole number: {fix}") from None


def chosen_id(text: str | float | None, what: str, fix: str) -> int:
    """The id of the thing an event acts on (a frame, a grant); blank says how to choose one."""
    number = whole_number(text, what, fix)
    if number is None:
        raise InvalidRequest(f"no {what} chosen: {fix}")
    return number


def gallery_choice(shown_ids: list[int], selected: gr.SelectData) -> str:
    """The id of the frame clicked in a gallery (``shown_ids`` in gallery order), for a frame-id text box."""
    return str(shown_ids[selected.index])

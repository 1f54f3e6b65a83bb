"""A stored frame's record as a person reads it: what the model was given and what was left out to fit.

Shared by the tabs that show frames (not a tab itself). Markdown, with every user-typed text escaped, since
Gradio renders it as HTML.
"""

from __future__ import annotations

import html

from previs.app.requests import FrameInfo


def _text(value: str) -> str:
    return html.escape(value, quote=False).replace("*", "\\*").replace("_", "\\_")


def given_to_model(frame: FrameInfo) -> str:
    """The prompt the text encoder received for ``frame`` and, when a template was fitted, what it left out."""
    generation, details = frame.record.generation, frame.record.details
    lines = [f"**Frame {frame.id}** · seed {frame.seed}"]
    if generation.prompt is not None:
        lines.append(f"Prompt given to the model: {_text(generation.prompt)}")
    rendered = details.prompt_template
    if rendered is not None and rendered.dropped:
        left_out = "; ".join(_text(segment.text) for segment in rendered.dropped)
        lines.append(f"Left out ({rendered.token_limit}-token limit): {left_out}")
    elif rendered is not None:
        lines.append(f"Nothing left out ({rendered.token_count} of {rendered.token_limit} tokens).")
    if details.prompt_fit:
        lines.append(_text(details.prompt_fit))
    return "\n\n".join(lines)


def given_to_model_all(frames: list[FrameInfo]) -> str:
    """One block per frame, separated by rules."""
    return "\n\n---\n\n".join(given_to_model(frame) for frame in frames)

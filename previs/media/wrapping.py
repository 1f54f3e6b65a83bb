"""Greedy word wrap and ellipsis for any text measure: storyboard sheets and fitting boards lay out captions alike."""

from __future__ import annotations

from collections.abc import Callable

ELLIPSIS = "…"
Measure = Callable[[str], float]  # the width of a text in the units of the line width


def longest_fitting_prefix(text: str, width: float, measure: Measure) -> int:
    """Length of the longest prefix of ``text`` no wider than ``width`` (at least one character)."""
    return next((n for n in range(len(text) - 1, 0, -1) if measure(text[:n]) <= width), 1)


def wrap(text: str, width: float, measure: Measure, *, limit: int | None = None,
         break_word: Callable[[str], int] | None = None) -> list[str]:
    """Lines of ``text`` no wider than ``width``, at most ``limit`` of them; a word (or unspaced CJK) wider than a
    line is broken between characters where ``break_word`` says (default: the longest prefix that fits)."""
    cut_at = break_word or (lambda word: longest_fitting_prefix(word, width, measure))
    lines: list[str] = []
    line = ""
    for word in text.split(" ") if text else ():
        candidate = f"{line} {word}" if line else word
        if measure(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while (limit is None or len(lines) < limit) and measure(line) > width:
            cut = cut_at(line)
            lines.append(line[:cut])
            line = line[cut:]
        if limit is not None and len(lines) >= limit:
            return lines[:limit]
    return [*lines, line] if line else lines


def ellipsize(text: str, width: float, measure: Measure) -> str:
    """``text`` cut short with an ellipsis so that it fits in ``width``."""
    while text and measure(text.rstrip() + ELLIPSIS) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS

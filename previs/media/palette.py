"""The house colours of everything previs prints: storyboard sheets and fitting boards share one palette."""

from __future__ import annotations

Colour = tuple[int, int, int]

PAPER: Colour = (250, 250, 248)
INK: Colour = (28, 28, 32)
MUTED: Colour = (112, 112, 120)
RULE: Colour = (40, 40, 46)
HAIRLINE: Colour = (176, 176, 184)
LETTERBOX: Colour = (16, 16, 18)
TAG_INK: Colour = (255, 255, 255)
DIALOGUE_INK: Colour = (34, 72, 128)
STATUS_INK: Colour = (176, 84, 16)

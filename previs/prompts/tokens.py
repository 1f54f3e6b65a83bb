"""Token counting for prompts, where the caller has no tokenizer at hand."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

TokenCounter = Callable[[str], int]
"""``count(text)``: the tokens the text encoder sees for ``text``, its begin and end tokens included."""

CLIP_TOKEN_LIMIT = 77
"""CLIP's window: 75 tokens of text between its begin and end tokens."""

# CLIP's pre-tokeniser splits letter runs, single digits and punctuation runs; we count punctuation per mark.
_PIECE_RE = re.compile(r"[^\W\d_]+|\d|[^\w\s]|_")
_LETTERS_PER_TOKEN = 5
_BEGIN_END_TOKENS = 2


def approximate_clip_tokens(text: str) -> int:
    """A conservative estimate of CLIP's token count for ``text``, begin and end tokens included (+2).

    Each digit and each punctuation mark counts one token, as CLIP's pre-tokeniser splits them; each run of
    letters counts one token per started five letters (ordinary words are one CLIP token, rare ones split
    into pieces of three to five letters). That over-counts ordinary English by about a third, so a prompt
    that fits by this count fits CLIP; a text of rare, long words can still exceed it. Prefer a counter
    built from the model's own tokenizer (``Generator.token_counter()``).
    """
    pieces = _PIECE_RE.findall(text)
    return _BEGIN_END_TOKENS + sum(math.ceil(len(piece) / _LETTERS_PER_TOKEN) for piece in pieces)

"""Splitting prose into sentences without breaking at abbreviations ("Mr. Grey", "VARIOUS H.S.", "6 a.m.").

Shared by the shot breakdown (one beat per sentence) and the prompt renderer (sentences dropped from the end
when a prompt is too long), so both cut a description at the same places.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "mx", "dr", "st", "jr", "sr", "prof", "capt", "sgt", "lt", "col", "gen", "gov", "rev", "fr",
    "mt", "ft", "ave", "blvd", "rd", "vs", "etc", "approx", "dept", "inc", "ltd", "co", "corp", "det", "insp",
    "supt", "cpl", "pvt", "adm", "cmdr",
})
"""Words that end in a period without ending a sentence (compared lower-case, without the period)."""

_END_RE = re.compile(r"(?<=[.!?])(?P<close>[\"'’”)]?)\s+(?=[\"'‘“(]?[A-Z0-9])")
_LAST_WORD_RE = re.compile(r"(\S+)\.[\"'’”)]?$")
_INITIALS_RE = re.compile(r"^(?:[A-Za-z]\.)*[A-Za-z]$")  # "H.S", "a.m", "U.S", "J"


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order, cut after ``.``, ``!`` or ``?`` before a capital, digit or quote.

    A period after a known abbreviation (Mr., Dr., St., ...) or after initials (H.S., a.m., J.) does not end
    the sentence: a sentence that really ends with one merely stays joined to the next, which is harmless.
    """
    sentences: list[str] = []
    start = 0
    for end in _END_RE.finditer(text):
        piece = text[start : end.start()] + end.group("close")
        word = _LAST_WORD_RE.search(piece)
        if word and _is_abbreviation(word.group(1)):
            continue
        sentences.append(piece.strip())
        start = end.end()
    sentences.append(text[start:].strip())
    return [sentence for sentence in sentences if sentence]


def _is_abbreviation(word: str) -> bool:
    word = word.lstrip("\"'‘“(")
    return word.lower() in _ABBREVIATIONS or bool(_INITIALS_RE.match(word))

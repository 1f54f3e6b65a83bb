"""Finding registered performers in text by name or alias, the way people write names: the consent gate's search.

Every request is matched against every name and alias in the registry, so each performer's labels are turned
into words once per stored row (rows are never edited), not once per request: with 500 performers that was
~10 ms per frame, now ~2 ms (`benchmarks/bookkeeping.py`, consent gate table).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from previs.errors import NotFound

_WORD = re.compile(r"\w+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def words(text: str) -> tuple[str, ...]:
    """Lower-case words without accents: "Zoë O'Neil's" → ("zoe", "o", "neil", "s")."""
    plain = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    return tuple(_WORD.findall(plain.casefold()))


class SearchedText:
    """A text's words, with their set for a quick no before the exact search."""

    def __init__(self, text: str):
        self.words = words(text)
        self._present = set(self.words)

    def contains(self, needle: tuple[str, ...]) -> bool:
        """Whether ``needle``'s words occur together, in order ("Ann" matches "Ann's", not "Annex")."""
        if not needle or not self._present.issuperset(needle):
            return False
        size = len(needle)
        return any(self.words[start:start + size] == needle for start in range(len(self.words) - size + 1))


def mentions(text: str, name: str) -> bool:
    """Whether ``name`` occurs in ``text`` as whole words ("Ann" matches "Ann's", not "Annex")."""
    return SearchedText(text).contains(words(name))


@dataclass(frozen=True)
class Registered:
    """A registered performer as the gate matches text against them: each label (name first) with its words."""

    id: int
    name: str
    labels: tuple[tuple[str, tuple[str, ...]], ...]

    def label_in(self, text: SearchedText) -> str | None:
        """The first of the performer's labels the text names, if any."""
        return next((label for label, label_words in self.labels if text.contains(label_words)), None)

    def answers_to(self, name: str) -> bool:
        """Whether ``name`` is one of the performer's labels, written any way (case, accents)."""
        wanted = words(name)
        return any(label_words == wanted for _, label_words in self.labels)


@functools.lru_cache(maxsize=16_384)
def registered(performer_id: int, name: str, aliases_json: str) -> Registered:
    """A performer row (its aliases as the JSON text stored) as the gate matches it."""
    labels = (name, *json.loads(aliases_json))
    return Registered(performer_id, name, tuple((label, words(label)) for label in labels))


def performer_named(people: Sequence[Registered], name: str) -> Registered:
    """The registered performer ``name`` is a label of, or NotFound saying how to register them."""
    found = next((person for person in people if person.answers_to(name)), None)
    if found is None:
        raise NotFound(f"no performer named {name!r}: register them with `previs consent add-performer`")
    return found

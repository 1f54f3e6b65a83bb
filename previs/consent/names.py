"""Finding registered performers in text by name or alias, the way people write names: the consent gate's search.

The gate does not read the registry per request. Every word of every label (name and aliases) is stored by its
key, ``word_keys``, in the ``name_words`` table (indexed on the key); a request's text is turned into its own
keys, the performers with a label all of whose keys are among them are fetched in one indexed query, and only
those are matched exactly (``Registered.label_in``: the label's keys together and in order). A label can only
match a text containing all of its keys, so the candidates always include every performer the text names.

``word_keys`` is the ONE function both sides use: the stored keys and a text's keys must come from it, and the
exact match compares its output too. Changing it (a stronger canonical form) needs a re-index: a new migration
that calls ``previs.storage.repositories.index_name_words(op.get_bind(), word_keys)``, as
``0003_name_words`` does for databases made before the index existed.
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


def word_keys(text: str) -> tuple[str, ...]:
    """The match keys of a text's words, in order: what the name-word index stores and the gate looks up.

    Today the folded words (``words``). Swapping in another canonical form is a change here plus a re-index
    migration (see the module docstring): keys stored under the old form would no longer be found.
    """
    return words(text)


class SearchedText:
    """A text's word keys, with their set: the index lookup's question, and a quick no before the exact search."""

    def __init__(self, text: str):
        self.words = word_keys(text)
        self.keys = frozenset(self.words)

    def contains(self, needle: tuple[str, ...]) -> bool:
        """Whether ``needle``'s words occur together, in order ("Ann" matches "Ann's", not "Annex")."""
        if not needle or not self.keys.issuperset(needle):
            return False
        size = len(needle)
        return any(self.words[start:start + size] == needle for start in range(len(self.words) - size + 1))


def mentions(text: str, name: str) -> bool:
    """Whether ``name`` occurs in ``text`` as whole words ("Ann" matches "Ann's", not "Annex")."""
    return SearchedText(text).contains(word_keys(name))


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
        wanted = word_keys(name)
        return any(label_words == wanted for _, label_words in self.labels)


@functools.lru_cache(maxsize=16_384)
def registered(performer_id: int, name: str, aliases_json: str) -> Registered:
    """A performer row (its aliases as the JSON text stored) as the gate matches it."""
    labels = (name, *json.loads(aliases_json))
    return Registered(performer_id, name, tuple((label, word_keys(label)) for label in labels))


def performer_named(people: Sequence[Registered], name: str) -> Registered:
    """The performer among ``people`` (the candidates the index found for ``name``'s keys) that ``name`` is a
    label of, or NotFound saying how to register them."""
    found = next((person for person in people if person.answers_to(name)), None)
    if found is None:
        raise NotFound(f"no performer named {name!r}: register them with `previs consent add-performer`")
    return found

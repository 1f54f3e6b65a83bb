"""The registry's side of name matching: a stored performer row as the gate matches it, found by its labels.

The rules themselves are ``previs/consent/canonical.py``. The registry stores each performer's index rows
(``PerformerNames.index``) in the ``name_words`` table; a request's text keys (``NameText.keys``) fetch the
performers one of whose labels the text may name (``ConsentRepository.performers_with_words``), and only those
are matched (``PerformerNames.mention_in``). Both sides come from canonical.py, versioned by
``NAME_KEYS_VERSION``: when it changes, the registry re-indexes every performer on open.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass

from previs.consent.canonical import PerformerNames, performer_names
from previs.errors import NotFound


@dataclass(frozen=True)
class Registered:
    """A registered performer as the gate sees them: the row's id and name, and their labels' rules."""

    id: int
    name: str
    names: PerformerNames


@functools.lru_cache(maxsize=16_384)
def registered(performer_id: int, name: str, aliases_json: str, identifying_json: str | None) -> Registered:
    """A performer row (aliases and identifying words as the JSON text stored) as the gate matches it."""
    identifying = tuple(json.loads(identifying_json or "null") or ())  # NULL for rows made before 0007
    return Registered(performer_id, name, performer_names(name, tuple(json.loads(aliases_json)), identifying))


def performer_named(people: Sequence[Registered], name: str) -> Registered:
    """The performer among ``people`` (the candidates the index found for ``name``'s keys) that ``name`` is a
    label of, or NotFound saying how to register them."""
    found = next((person for person in people if person.names.answers_to(name)), None)
    if found is None:
        raise NotFound(f"no performer named {name!r}: a producer registers performers first (Consent tab)")
    return found

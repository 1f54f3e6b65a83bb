"""A free-text scene description → Scene, for productions that have no screenplay yet.

Only what is obvious is inferred: a slugline on the first line is used as it is; otherwise interior or
exterior and the time of day come from telling words, and stay "" when the words are absent or disagree.
"""

from __future__ import annotations

import re

from previs.errors import ScriptImportError
from previs.scenes.headings import TIME_WORD_RE, TIME_WORDS, build_heading, is_heading, split_heading
from previs.scenes.model import Scene

_SETTING_WORDS: dict[str, frozenset[str]] = {
    "EXT": frozenset(
        {
            "exterior",
            "outside",
            "outdoors",
            "outdoor",
            "street",
            "streets",
            "rooftop",
            "roof",
            "alley",
            "forest",
            "woods",
            "beach",
            "desert",
            "field",
            "park",
            "garden",
            "mountain",
            "mountains",
            "sea",
            "ocean",
            "river",
            "lake",
            "sky",
            "highway",
            "road",
            "bridge",
            "courtyard",
            "plaza",
            "square",
            "jungle",
            "cliff",
            "harbour",
            "harbor",
            "dock",
            "docks",
            "meadow",
            "yard",
            "countryside",
        }
    ),
    "INT": frozenset(
        {
            "interior",
            "inside",
            "indoors",
            "indoor",
            "room",
            "kitchen",
            "bedroom",
            "bathroom",
            "office",
            "hallway",
            "corridor",
            "apartment",
            "flat",
            "bar",
            "restaurant",
            "diner",
            "cafe",
            "lobby",
            "basement",
            "attic",
            "cellar",
            "warehouse",
            "classroom",
            "library",
            "laboratory",
            "lab",
            "cockpit",
            "elevator",
            "cabin",
            "studio",
        }
    ),
}
_LOCATION_WORDS = 12
_TIME_PHRASE_RE = re.compile(
    r"(?:\b(?:at|in|during|by)\s+(?:the\s+)?)?(?:\b(?:early|late)\s+)?" + TIME_WORD_RE.pattern, re.IGNORECASE
)


def parse_description(text: str, *, number: str = "1") -> Scene:
    """Turn a scene description into a Scene numbered ``number``; raise ScriptImportError when empty.

    Without a slugline the location is the first clause of the first sentence, minus time phrases and a
    leading article ("A rain-soaked rooftop in Neo Tokyo at night, two detectives argue" → "rain-soaked
    rooftop in Neo Tokyo"), and the heading is composed from what was inferred.
    """
    lines = [line.strip() for line in text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not body:
        raise ScriptImportError(
            "The scene description is empty. Describe the place, the time and what happens, e.g. "
            "'A rain-soaked rooftop in Neo Tokyo at night, two detectives argue.'"
        )
    first, _, rest = body.partition("\n")
    if is_heading(first):
        heading = " ".join(first.lstrip(".").split()).upper()
        setting, location, time_of_day = split_heading(heading)
        action = rest.strip()
    else:
        setting, location, time_of_day = _infer_setting(body), _infer_location(body), _infer_time(body)
        heading = build_heading(setting, location, time_of_day)
        action = body
    return Scene(
        number=number, heading=heading, int_ext=setting, location=location, time_of_day=time_of_day, action=action
    )


def _infer_setting(text: str) -> str:
    """Return "INT" or "EXT" when only one side's words appear, else ""."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    sides = [side for side, vocabulary in _SETTING_WORDS.items() if words & vocabulary]
    return sides[0] if len(sides) == 1 else ""


def _infer_time(text: str) -> str:
    """The canonical time of day when every time word agrees on one, else ""."""
    times = {TIME_WORDS[match.lower()] for match in TIME_WORD_RE.findall(text)}
    return times.pop() if len(times) == 1 else ""


def _infer_location(text: str) -> str:
    """First clause of the first sentence without time phrases or a leading article, at most 12 words."""
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    clause = re.split(r"[,;:—–]|\s-\s", sentence, maxsplit=1)[0]
    words = _TIME_PHRASE_RE.sub(" ", clause).split()
    if words and words[0].lower() in {"a", "an", "the"}:
        words = words[1:]
    return " ".join(words[:_LOCATION_WORDS]).rstrip(".!?")

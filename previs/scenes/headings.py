"""Scene headings (sluglines): recognising one and splitting it into setting, location and time of day.

Shared by the Fountain importer and the free-text description importer so both read headings the same way.
"""

from __future__ import annotations

import re

# Longest first so "INT./EXT." is not read as "INT." followed by a location of "/EXT.".
_SETTING_RE = re.compile(
    r"^(?P<setting>INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT|I\.?\s*/\s*E|E\.?\s*/\s*I|INT|EXT|EST)(?:\.|\s)\s*",
    re.IGNORECASE,
)
# Fountain: a single period followed by a letter or digit forces a heading; "..." starts ordinary action.
_FORCED_RE = re.compile(r"^\.(?=[^\W_])")
_SEPARATOR_RE = re.compile(r"\s+-{1,2}\s+|\s*--\s*|\s*[–—]\s*")
_CONTINUITY_RE = re.compile(
    r"^(?:CONTINUOUS|SIMULTANEOUS|SAME(?:\s+TIME)?|(?:A\s+)?(?:(?:FEW|LITTLE)\s+)?(?:MOMENTS?\s+)?LATER)$",
    re.IGNORECASE,
)

TIME_WORDS: dict[str, str] = {
    "dawn": "DAWN",
    "sunrise": "DAWN",
    "daybreak": "DAWN",
    "morning": "MORNING",
    "day": "DAY",
    "daytime": "DAY",
    "daylight": "DAY",
    "noon": "DAY",
    "midday": "DAY",
    "afternoon": "AFTERNOON",
    "evening": "EVENING",
    "dusk": "DUSK",
    "sunset": "DUSK",
    "twilight": "DUSK",
    "nightfall": "DUSK",
    "magic hour": "DUSK",
    "golden hour": "DUSK",
    "night": "NIGHT",
    "nighttime": "NIGHT",
    "midnight": "NIGHT",
}
"""Words that name a time of day, mapped to the canonical time a description is given."""

TIME_WORD_RE = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, TIME_WORDS), key=len, reverse=True)) + r")\b", re.IGNORECASE
)
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_CLOCK_RE = re.compile(r"\b\d{1,2}(?::\d{2})?\s*[AP]\.?M\b\.?", re.IGNORECASE)


def is_heading(line: str, *, forced: bool = True) -> bool:
    """True for ``INT. KITCHEN - NIGHT``-style lines (any case) and, unless not ``forced``, ``.ROOFTOP``."""
    line = line.strip()
    return bool(_SETTING_RE.match(line) or (forced and _FORCED_RE.match(line)))


def split_heading(heading: str, previous_time: str = "") -> tuple[str, str, str]:
    """Split a heading into (int_ext, location, time_of_day).

    The time is the last `` - `` segment when it names a time of day (DAY, NIGHT, DUSK, 3 AM, ...); a
    period after it ("NIGHT.") is dropped. A continuity marker (CONTINUOUS, LATER, MOMENTS LATER, SAME
    TIME) names no light of its own, so the scene inherits ``previous_time``: the previous scene's time.
    ``EST.`` (establishing) counts as exterior.
    """
    text = " ".join(heading.split())
    match = _SETTING_RE.match(text)
    setting = _setting_name(match.group("setting")) if match else ""
    rest = (text[match.end() :] if match else text.lstrip(".")).lstrip(" -–—")  # "INT - HOUSE": no "-"
    segments = [s for s in _SEPARATOR_RE.split(rest) if s]
    continuity = False
    while len(segments) > 1 and _CONTINUITY_RE.match(_bare(segments[-1])):
        segments.pop()
        continuity = True
    if len(segments) > 1 and (TIME_WORD_RE.search(segments[-1]) or _CLOCK_RE.search(segments[-1])):
        return setting, " - ".join(segments[:-1]), _bare(segments[-1])
    return setting, " - ".join(segments), previous_time if continuity else ""


def _bare(segment: str) -> str:
    """A heading's last segment without a closing period, unless it is a clock time ("3 A.M.")."""
    return segment if _CLOCK_RE.search(segment) else segment.rstrip(".")


def build_heading(int_ext: str, location: str, time_of_day: str) -> str:
    """Compose a conventional uppercase slugline, e.g. ``EXT. ROOFTOP - NIGHT``."""
    prefix = f"{int_ext}." if int_ext else ""
    suffix = f"- {time_of_day}" if time_of_day else ""
    return " ".join(part for part in (prefix, location, suffix) if part).upper()


def readable(text: str) -> str:
    """``DEX'S VAN`` → ``Dex's Van``, ``O'BRIEN`` → ``O'Brien``: headings and cues shout, prompts need not.

    Text that is not all uppercase was cased by the writer ("McCLANE") and is left alone.
    """
    return _WORD_RE.sub(_capitalise, text) if text.isupper() else text


_ACRONYMS = frozenset({"POV", "TV", "ATM", "FBI", "CIA", "NYPD", "NYC", "UK", "USA", "DJ", "ER", "ICU"})


def _capitalise(match: re.Match[str]) -> str:
    """Capitalise a word; after a one-letter piece and an apostrophe (O'Brien, D'Artagnan's) the next too."""
    if match.group() in _ACRONYMS:
        return match.group()
    pieces = re.split(r"(['’])", match.group())
    out = [pieces[0].capitalize()]
    for apostrophe, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        after_initial = len(out[-1]) == 1 and len(piece) > 1
        out += [apostrophe, piece.capitalize() if after_initial else piece.lower()]
    return "".join(out)


def _setting_name(prefix: str) -> str:
    """Map any written form of the setting prefix to "INT", "EXT" or "INT/EXT"."""
    compact = re.sub(r"[\s.]", "", prefix.upper())
    if "/" in compact:
        return "INT/EXT"
    return "INT" if compact == "INT" else "EXT"

"""Scene → a first-pass shot list: an establishing shot, then one shot per beat, in script order.

It is a starting point for the storyboard artist, not a decision: the result is deterministic so the same
scene always gives the same frames, and shots are frozen values an editor replaces with
``dataclasses.replace(shot, shot_size="close-up")`` (Shot validates the new size and angle).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from previs.errors import InvalidRequest
from previs.scenes.headings import readable
from previs.scenes.model import DialogueLine, Scene, Shot

_EXCERPT_CHARS = 160
# First matching rule wins; words are matched whole, lowercase.
_SIZE_RULES: tuple[tuple[str, frozenset[str]], ...] = (
    ("extreme close-up", frozenset({"eye", "eyes", "pupil", "lips", "fingertip", "fingertips", "trigger"})),
    (
        "close-up",
        frozenset({"face", "hand", "hands", "phone", "screen", "letter", "photo", "ring", "key", "tear"}),
    ),
    (
        "wide",
        frozenset(
            {"crowd", "everyone", "army", "skyline", "city", "horizon", "explodes", "explosion", "chase"}
        ),
    ),
)
_ANGLE_RULES: tuple[tuple[str, frozenset[str]], ...] = (
    ("overhead", frozenset({"overhead", "aerial", "bird's-eye", "top-down"})),
    ("low angle", frozenset({"towers", "looms", "looming", "towering"})),
    ("high angle", frozenset({"cowers", "cowering", "sprawled", "below"})),
)


@dataclass(frozen=True)
class _Beat:
    """An action passage, or the dialogue spoken between two action passages."""

    action: str = ""
    dialogue: tuple[DialogueLine, ...] = ()


def breakdown_shots(scene: Scene, *, max_shots: int = 8) -> tuple[Shot, ...]:
    """Break ``scene`` into at most ``max_shots`` shots (>= 1), the first always establishing the location.

    Beats are taken at the finest grain that fits: each action sentence and each spoken line when they fit
    in ``max_shots - 1``, else each action paragraph and each exchange of dialogue between paragraphs. If
    even those are too many, beats are picked evenly from first to last so the frames still span the scene.
    """
    if isinstance(max_shots, bool) or not isinstance(max_shots, int) or max_shots < 1:
        raise InvalidRequest(f"max_shots must be a whole number of at least 1, got {max_shots!r}")
    slots = max_shots - 1
    beats = _beats(scene, fine=True)
    if len(beats) > slots:
        beats = _spread(_beats(scene, fine=False), slots)
    pov = "POV" in scene.heading.upper().split()
    shots = [_establishing(scene, pov)]
    shots += [_shot(order, beat, pov) for order, beat in enumerate(beats, start=2)]
    return tuple(shots)


def _beats(scene: Scene, *, fine: bool) -> list[_Beat]:
    """Interleave action and dialogue by each line's ``action_before``; lines with None come last."""
    paragraphs = scene.action_paragraphs
    gaps: list[list[DialogueLine]] = [[] for _ in range(len(paragraphs) + 1)]
    for line in scene.dialogue:
        place = len(paragraphs) if line.action_before is None else min(line.action_before, len(paragraphs))
        gaps[place].append(line)
    beats: list[_Beat] = []
    for index, gap in enumerate(gaps):
        if gap:
            beats += [_Beat(dialogue=(line,)) for line in gap] if fine else [_Beat(dialogue=tuple(gap))]
        if index < len(paragraphs):
            text = " ".join(paragraphs[index].split())
            beats += [_Beat(action=s) for s in _sentences(text)] if fine else [_Beat(action=text)]
    return beats


def _sentences(text: str) -> list[str]:
    """Split at sentence ends; an ellipsis or an initial ("Mr. Grey") may split oddly, which is harmless."""
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])", text) if s]


def _spread(beats: list[_Beat], slots: int) -> list[_Beat]:
    """Pick ``slots`` beats evenly spaced from the first to the last."""
    if slots >= len(beats):
        return beats
    if slots <= 1:
        return beats[:slots]
    step = (len(beats) - 1) / (slots - 1)
    return [beats[round(i * step)] for i in range(slots)]


def _establishing(scene: Scene, pov: bool) -> Shot:
    """Wide on the location at the scene's time of day; exteriors go extreme wide and high."""
    setting = {"INT": "interior", "EXT": "exterior", "INT/EXT": "interior and exterior"}.get(
        scene.interior_exterior, ""
    )
    place = readable(scene.location) or "the location"
    details = ", ".join(part for part in (setting, scene.time_of_day.lower()) if part)
    exterior = scene.interior_exterior == "EXT"
    return Shot(
        order=1,
        description=f"Establishing shot of {place}" + (f" ({details})" if details else ""),
        shot_size="extreme wide" if exterior else "wide",
        camera_angle="point of view" if pov else "high angle" if exterior else "eye level",
    )


def _shot(order: int, beat: _Beat, pov: bool) -> Shot:
    """A shot for one beat: sized from what the action mentions; one speaker close, several medium."""
    if beat.action:
        words = set(re.findall(r"[a-z][a-z'-]*", beat.action.lower()))
        size = next((size for size, cues in _SIZE_RULES if words & cues), "medium")
        angle = next((angle for angle, cues in _ANGLE_RULES if words & cues), "eye level")
        return Shot(order, beat.action, size, "point of view" if pov else angle)
    speakers = list(dict.fromkeys(readable(line.character) for line in beat.dialogue))
    excerpt = " / ".join(f"{readable(line.character)}: {line.text}".strip() for line in beat.dialogue)
    if len(speakers) == 1:
        how = f" ({beat.dialogue[0].parenthetical})" if beat.dialogue[0].parenthetical else ""
        description, size = f"{speakers[0]} speaks{how}", "close-up"
    else:
        description, size = f"{', '.join(speakers[:-1])} and {speakers[-1]} in conversation", "medium"
    return Shot(order, description, size, "point of view" if pov else "eye level", _clip(excerpt))


def _clip(text: str) -> str:
    """Cut an excerpt at a word boundary so a shot card stays readable."""
    if len(text) <= _EXCERPT_CHARS:
        return text
    return text[: _EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "…"

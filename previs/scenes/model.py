"""The scene and shot records previs works with, and the vocabularies a shot is described in.

Nothing here knows about Fountain or prompts: importers build these, the prompt and storage layers read them.
Field names follow the storage columns (``int_ext``, ``size``, ``angle``) so ``to_record()`` maps one to one.
A Scene is a frozen import result; a Shot is a plain mutable dataclass an editor changes and then re-checks
with ``shot.validate()`` (or ``validate_shots(shots)`` for a whole list).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from previs.errors import InvalidRequest

SHOT_SIZES: tuple[str, ...] = (
    "extreme wide",
    "wide",
    "full",
    "medium",
    "medium close-up",
    "close-up",
    "extreme close-up",
    "insert",
)
"""Shot sizes, widest first; "insert" is a close shot of an object (a letter, a phone screen)."""

CAMERA_ANGLES: tuple[str, ...] = (
    "eye level",
    "high angle",
    "low angle",
    "overhead",
    "dutch",
    "POV",
    "over the shoulder",
)
"""Camera angles; the first is the neutral default."""

CAMERA_MOVEMENTS: tuple[str, ...] = (
    "static",
    "pan",
    "tilt",
    "dolly in",
    "dolly out",
    "truck",
    "crane",
    "handheld",
)
"""Camera movements; the first is the default."""

DEFAULT_LENS_MM: dict[str, int] = {
    "extreme wide": 18,
    "wide": 24,
    "full": 35,
    "medium": 50,
    "medium close-up": 65,
    "close-up": 85,
    "extreme close-up": 100,
    "insert": 100,
}
"""The focal length (mm, full-frame equivalent) a camera team reaches for at each size, when none is typed."""

LENS_RANGE_MM: tuple[int, int] = (8, 600)
"""Focal lengths a shot may carry: fisheye to long telephoto."""

ASPECT_RATIOS: dict[str, float] = {
    "2.39:1": 2.39,
    "1.85:1": 1.85,
    "16:9": 16 / 9,
    "4:3": 4 / 3,
    "1:1": 1.0,
}
"""Frame aspect ratios a project or board may use (width / height), by the name crews write them with."""

DEFAULT_ASPECT = "1:1"
"""The aspect ratio of a project that names none: today's square frames."""

INT_EXT: tuple[str, ...] = ("INT", "EXT", "INT/EXT", "")
"""Scene settings: "" is a forced heading such as ``.SNIPER SCOPE POV`` that names none."""

_OFF_SCREEN = frozenset({"VO", "OS", "OC", "OFF", "OFFSCREEN", "OFFCAMERA", "PRELAP"})


@dataclass(frozen=True)
class DialogueLine:
    """One spoken line; ``action_before`` keeps its place among the action so shots follow script order.

    ``extension`` is what the cue said besides the name, minus CONT'D ("V.O.", "O.S.", "" ...).
    ``action_before`` is how many of the scene's action paragraphs come before the line, or None when
    unknown (the line then counts as coming after all the action).
    """

    character: str
    text: str
    parenthetical: str = ""
    extension: str = ""
    action_before: int | None = None

    @property
    def off_screen(self) -> bool:
        """A voice-over or off-screen line: heard over the picture, so no shot frames its speaker."""
        return any(re.sub(r"[^A-Z]", "", part.upper()) in _OFF_SCREEN for part in self.extension.split())


@dataclass(frozen=True)
class Scene:
    """A scene as the art departments need it: where, when, who, and what happens.

    ``number`` is a string ("12A", "3") that stays the same on re-import, so storage updates scenes by it.
    ``time_of_day`` is "" when the heading gives none. ``action`` holds the action paragraphs separated by
    blank lines; ``characters`` lists speakers in order of first appearance, extensions such as (V.O.)
    stripped; ``notes`` are the writer's ``[[notes]]`` in the scene.
    """

    number: str
    heading: str
    int_ext: str
    location: str
    time_of_day: str
    action: str = ""
    characters: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    dialogue: tuple[DialogueLine, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.number, str) or not self.number.strip():
            raise InvalidRequest(f"scene number must be non-empty text such as '12A', got {self.number!r}")
        if self.int_ext not in INT_EXT:
            raise InvalidRequest(f"int_ext {self.int_ext!r} is not one of: INT, EXT, INT/EXT or empty")

    @property
    def action_paragraphs(self) -> tuple[str, ...]:
        """The action split at blank lines, in script order."""
        return tuple(p.strip() for p in self.action.split("\n\n") if p.strip())

    def to_record(self) -> dict[str, Any]:
        """Plain JSON-ready values, keyed like the ``scenes`` table columns."""
        return asdict(self) | {"characters": list(self.characters), "notes": list(self.notes)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Scene:
        """Rebuild a Scene from ``to_record()`` output or a stored row's values (unknown keys are ignored)."""
        return cls(
            number=record["number"],
            heading=record["heading"],
            int_ext=record["int_ext"],
            location=record["location"],
            time_of_day=record["time_of_day"],
            action=record.get("action") or "",
            characters=tuple(record.get("characters") or ()),
            notes=tuple(record.get("notes") or ()),
            dialogue=tuple(DialogueLine(**line) for line in record.get("dialogue") or ()),
        )


@dataclass(frozen=True)
class Screenplay:
    """An imported script: its title page title ("" when it has none), its scenes in order, and ``warnings``:
    what the import decided for the user that they should know (a renumbered duplicate, a kept prologue)."""

    title: str
    scenes: tuple[Scene, ...]
    warnings: tuple[str, ...] = ()


@dataclass
class Shot:
    """One storyboard frame to draw, with its camera block.

    ``size`` from SHOT_SIZES, ``angle`` from CAMERA_ANGLES, ``movement`` from CAMERA_MOVEMENTS, ``order`` from 1;
    ``lens_mm`` is the focal length (0 when made means the default for the size, DEFAULT_LENS_MM);
    ``characters`` are the scene's characters in frame (names as the script's cues write them).
    ``dialogue`` is an excerpt of what is said over the shot ("" when nothing is). Checked when made;
    after editing a field call ``validate()`` again.
    """

    order: int
    description: str
    size: str
    angle: str
    dialogue: str = ""
    lens_mm: int = 0
    movement: str = "static"
    characters: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.lens_mm == 0 and self.size in DEFAULT_LENS_MM:
            self.lens_mm = DEFAULT_LENS_MM[self.size]
        self.characters = tuple(self.characters)
        self.validate()

    def validate(self) -> None:
        """Raise InvalidRequest naming the field when a value is outside its vocabulary or type."""
        if isinstance(self.order, bool) or not isinstance(self.order, int) or self.order < 1:
            raise InvalidRequest(f"shot order must be a whole number from 1, got {self.order!r}")
        if not isinstance(self.description, str) or not self.description.strip():
            raise InvalidRequest(f"shot {self.order}: description must be non-empty text")
        if not isinstance(self.dialogue, str):
            raise InvalidRequest(f"shot {self.order}: dialogue must be text, got {type(self.dialogue).__name__}")
        if self.size not in SHOT_SIZES:
            raise InvalidRequest(f"shot {self.order}: size {self.size!r} is not one of: {', '.join(SHOT_SIZES)}")
        if self.angle not in CAMERA_ANGLES:
            raise InvalidRequest(f"shot {self.order}: angle {self.angle!r} is not one of: {', '.join(CAMERA_ANGLES)}")
        if self.movement not in CAMERA_MOVEMENTS:
            raise InvalidRequest(
                f"shot {self.order}: movement {self.movement!r} is not one of: {', '.join(CAMERA_MOVEMENTS)}")
        low, high = LENS_RANGE_MM
        if isinstance(self.lens_mm, bool) or not isinstance(self.lens_mm, int) or not low <= self.lens_mm <= high:
            raise InvalidRequest(f"shot {self.order}: lens must be a whole number of mm from {low} to {high}, "
                                 f"got {self.lens_mm!r}")
        if not all(isinstance(name, str) and name.strip() for name in self.characters):
            raise InvalidRequest(f"shot {self.order}: characters must be non-empty names")

    def to_record(self) -> dict[str, Any]:
        """Plain values keyed like the ``shots`` table (``order`` is its position)."""
        return asdict(self) | {"characters": list(self.characters)}


def aspect_ratio(name: str) -> float:
    """Width / height of a ratio named as in ASPECT_RATIOS ("2.39:1", "16:9"); InvalidRequest naming the choices."""
    ratio = ASPECT_RATIOS.get(name.strip().replace(" ", ""))
    if ratio is None:
        raise InvalidRequest(f"aspect ratio {name!r} is not one of: {', '.join(ASPECT_RATIOS)}")
    return ratio


def validate_shots(shots: Sequence[Shot]) -> None:
    """Check every shot, and that their orders run 1, 2, 3 ... in sequence (what storage keys them by)."""
    for shot in shots:
        shot.validate()
    orders = [shot.order for shot in shots]
    if orders != list(range(1, len(shots) + 1)):
        raise InvalidRequest(f"shot orders must run 1 to {len(shots)} in sequence, got {orders}")

"""The scene records previs works with: plain frozen values, so they hash, compare and cache safely.

Nothing here knows about Fountain or prompts; importers build these and the prompt and storage layers read
them. Edit a record with ``dataclasses.replace`` (e.g. ``replace(shot, shot_size="close-up")``): they are
immutable so a shot list handed to a generator cannot change under it.
"""

from __future__ import annotations

from dataclasses import dataclass

from previs.errors import InvalidRequest

SHOT_SIZES: tuple[str, ...] = (
    "extreme wide",
    "wide",
    "medium wide",
    "medium",
    "medium close-up",
    "close-up",
    "extreme close-up",
)
"""Shot sizes, widest first: a small fixed vocabulary that prompt templates and UIs can rely on."""

CAMERA_ANGLES: tuple[str, ...] = (
    "eye level",
    "high angle",
    "low angle",
    "overhead",
    "dutch angle",
    "point of view",
)
"""Camera angles a breakdown may choose; the first is the neutral default."""


@dataclass(frozen=True)
class DialogueLine:
    """One spoken line; ``action_before`` keeps its place among the action so shots follow script order.

    ``action_before`` is how many of the scene's action paragraphs come before the line, or None when
    unknown (the line is then treated as coming after all the action).
    """

    character: str
    text: str
    parenthetical: str = ""
    action_before: int | None = None


@dataclass(frozen=True)
class Scene:
    """A scene as the art departments need it: where, when, who, and what happens.

    ``interior_exterior`` is "INT", "EXT", "INT/EXT", or "" for a forced heading such as ``.SNIPER SCOPE
    POV`` that names no setting. ``time_of_day`` is "" when the heading gives none. ``action`` holds the
    action paragraphs separated by blank lines; ``characters`` lists speakers in order of first appearance
    with extensions such as (V.O.) stripped.
    """

    number: str
    heading: str
    interior_exterior: str
    location: str
    time_of_day: str
    action: str
    characters: tuple[str, ...]
    dialogue: tuple[DialogueLine, ...]
    notes: tuple[str, ...]

    @property
    def action_paragraphs(self) -> tuple[str, ...]:
        """The action split at blank lines, in script order."""
        return tuple(p.strip() for p in self.action.split("\n\n") if p.strip())


@dataclass(frozen=True)
class Screenplay:
    """An imported script: its title page title ("" when it has none) and its scenes in order."""

    title: str
    scenes: tuple[Scene, ...]


@dataclass(frozen=True)
class Shot:
    """One storyboard frame to draw; ``shot_size`` is from SHOT_SIZES and ``camera_angle`` from CAMERA_ANGLES.

    ``dialogue`` is an excerpt of what is said over the shot ("" when nothing is). ``order`` starts at 1.
    """

    order: int
    description: str
    shot_size: str
    camera_angle: str
    dialogue: str = ""

    def __post_init__(self) -> None:
        """Refuse sizes and angles outside the vocabularies, so an edited shot stays renderable."""
        if self.shot_size not in SHOT_SIZES:
            raise InvalidRequest(f"shot_size {self.shot_size!r} is not one of: {', '.join(SHOT_SIZES)}")
        if self.camera_angle not in CAMERA_ANGLES:
            raise InvalidRequest(
                f"camera_angle {self.camera_angle!r} is not one of: {', '.join(CAMERA_ANGLES)}"
            )

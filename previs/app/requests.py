"""The named requests front ends send and the results they get back: frames, models, reproductions, exports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from previs.generation.limits import StepReport
from previs.provenance.record import FrameRecord

FRAME_KINDS = ("set", "costume", "storyboard")
DEFAULT_PROJECT = "default"


@dataclass(frozen=True)
class FrameRequest:
    """A request for concept frames, as any front end states it.

    With a ``scene`` (a stored scene number of the project) or a ``style``, or for costume and storyboard
    frames, the prompt is rendered from the department's template to fit the text encoder, and ``prompt``
    (if any) describes the scene instead of a stored one. Otherwise ``prompt`` goes to the model as written.
    """

    prompt: str = ""
    negative_prompt: str = ""
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    width: int | None = None
    height: int | None = None
    scheduler: str = "default"
    count: int = 1
    project: str = DEFAULT_PROJECT
    kind: str = "set"
    scene: str | None = None
    shot: int | None = None  # storyboard frames: the shot's order in the scene (default 1)
    style: str | None = None
    costume: str = ""  # costume frames: the garment, e.g. "a belted wool trench coat, 1940s"
    on_step: StepReport | None = field(default=None, compare=False, repr=False)  # progress; False stops (Stop)
    aspect: str | None = None  # "2.39:1": drawn near the model's pixel count, cropped to it (storyboards: the
    # project's aspect when None)

    @property
    def templated(self) -> bool:
        return self.scene is not None or self.style is not None or self.kind in ("costume", "storyboard")


@dataclass(frozen=True)
class FrameInfo:
    """A stored frame as front ends see it."""

    id: int
    project: str
    kind: str
    path: str
    sha256: str  # of the decoded RGB pixels: equal for equal pictures, whatever metadata the file carries
    file_sha256: str  # of the stored PNG file (its embedded record makes every file unique)
    seed: int
    model: str
    width: int
    height: int
    created_by: str
    created_at: str
    status: str
    record: FrameRecord = field(repr=False)
    review: str = "pending"  # the newest review decision: pending | approved | changes_requested | rejected
    scene_id: int | None = None
    shot_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "record": self.record.to_json()}


@dataclass(frozen=True)
class ModelStatus:
    """What is generating frames right now, and whether users must be told they are placeholders."""

    name: str
    source: str
    loaded: bool
    placeholder: bool
    warning: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ModelListing:
    name: str
    source: str
    pipeline: str
    steps: int
    guidance: float
    size: str
    licence: str
    available_offline: bool
    current: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Reproduction:
    """Whether re-running a frame's recorded request gave the same picture."""

    frame_id: int
    identical: bool
    recorded_sha256: str
    reproduced_sha256: str
    model: str
    device: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Export:
    """An exported frame file, credentials included, with a download name that never came from a user."""

    frame_id: int
    filename: str
    mime_type: str
    data: bytes = field(repr=False)


LIBRARY_PAGE = 24  # frames on one page of the library


@dataclass(frozen=True)
class LibraryFilters:
    """Which frames a library page shows; None (or blank) means any."""

    project: str | None = None
    kind: str | None = None
    scene: str | None = None  # a scene number of ``project``
    review: str | None = None  # pending | approved | changes_requested | rejected
    created_by: str | None = None


@dataclass(frozen=True)
class LibraryPage:
    """Frames newest first, and whether pages newer and older than them hold more."""

    frames: list[FrameInfo]
    newer: bool
    older: bool


@dataclass(frozen=True)
class Lineage:
    """Where a frame came from and what was made from it (withdrawn frames left out)."""

    parent: FrameInfo | None
    variations: list[FrameInfo]

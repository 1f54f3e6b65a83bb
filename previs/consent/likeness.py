"""Uses of a performer's likeness: the kinds a grant can cover, one use a request would make, what was cleared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PIL import Image

USES = ("likeness_reference", "costume_fitting", "digital_double", "de_aging")
PROMPT_USE = "likeness_reference"  # a prompt that names a performer
PHOTO_USE = "costume_fitting"  # a performer photo painted over in a fitting


@dataclass(frozen=True)
class LikenessUse:
    """One use of one performer's likeness a request would make, and why previs thinks so."""

    performer: str
    use: str
    reason: str  # "named in the prompt as 'Ann'", "performer photo for a costume fitting"


@dataclass(frozen=True)
class Clearance:
    """What the consent gate let through: the likeness uses a request makes and the grants that cover them."""

    uses: list[LikenessUse]
    grant_ids: list[int]
    faces: list[FaceMatch] = field(default_factory=list)  # every face the gate found in the request's pictures
    performer_ids: tuple[int, ...] = ()  # the registered performers whose uses were cleared


@dataclass(frozen=True)
class FaceMatch:
    """One face the gate found in a picture of a request (an input or a generated frame) and what it decided:
    the registered performer it matched (None: nobody), the distance to the nearest registered reference face
    (None when the registry has none), and the face's box (left, top, width, height) in that picture."""

    picture: str  # "performer photo", "frame 12", "generated image 1"
    performer: str | None
    distance: float | None
    box: tuple[int, int, int, int]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaceMatch:
        return cls(data["picture"], data.get("performer"), data.get("distance"),
                   (int(data["box"][0]), int(data["box"][1]), int(data["box"][2]), int(data["box"][3])))


@dataclass(frozen=True)
class Picture:
    """An input picture of a request, for the gate to search for faces. ``claimed`` is the performer the caller
    says it shows (a fitting's performer photo): every face in it must be theirs, on record."""

    title: str
    image: Image.Image = field(compare=False, repr=False)
    claimed: str | None = None

"""Uses of a performer's likeness: the kinds a grant can cover, one use a request would make, what was cleared."""

from __future__ import annotations

from dataclasses import dataclass

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

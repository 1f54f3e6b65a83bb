"""A virtual fitting request: which figure, which costume, where on the body, how many variants.

The request is checked before any work (``check_fitting_request``), then gives the figure to paint on
(``fitting_figure``) and the costume for the prompt library's costume template (``costume_details``). The
mask comes from ``figures.region_mask`` so the face and hands stay protected unless the request opts out; the
consent gate, generation and storage are the studio's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from previs.errors import InvalidRequest
from previs.fitting.figures import CUSTOM_REGION, REGIONS, Figure, list_figures, load_figure, mask_figure, photo_figure
from previs.generation.limits import MAX_COUNT, MAX_SEED
from previs.prompts import CostumeDetails

DEFAULT_FIGURE = "front"
DEFAULT_REGION = "full_body"
MAX_GARMENT_CHARS = 200
MAX_FIELD_CHARS = 100
MAX_NOTES_CHARS = 500


@dataclass(frozen=True)
class FittingRequest:
    """One fitting: a costume painted onto a built-in figure or a performer's photo, ``variants`` times.

    ``figure`` names a built-in figure (default "front"); ``photo`` is a performer photo instead, and then
    ``performer`` must say whose it is (the consent gate checks that person's grant). ``mask`` is a
    user-drawn region (white = paint) that replaces ``region``; without one, ``region`` picks a named region
    (default "full_body"). ``protect=False`` lets the paint reach the face and hands.
    """

    garment: str
    fabric: str = ""
    palette: str = ""  # e.g. "navy, brass"
    period: str = ""
    notes: str = ""  # free text about the garment: "high collar with frogging"
    character: str = ""  # the role it is for; never the performer's name
    figure: str | None = None
    photo: Image.Image | None = field(default=None, compare=False, repr=False)
    performer: str = ""
    mask: Image.Image | None = field(default=None, compare=False, repr=False)
    region: str | None = None
    variants: int = 4
    seed: int | None = None
    protect: bool = True

    @property
    def region_name(self) -> str:
        """The region painted: the drawn mask's, the one asked for, or the default."""
        return CUSTOM_REGION if self.mask is not None else self.region or DEFAULT_REGION


def check_fitting_request(request: FittingRequest) -> None:
    """Reject a bad request before any work, each with a message naming the field and what is allowed."""
    if not request.garment.strip():
        raise InvalidRequest("garment is empty: name the costume piece, e.g. 'double-breasted greatcoat'")
    for name, limit in (("garment", MAX_GARMENT_CHARS), ("fabric", MAX_FIELD_CHARS), ("palette", MAX_FIELD_CHARS),
                        ("period", MAX_FIELD_CHARS), ("character", MAX_FIELD_CHARS), ("notes", MAX_NOTES_CHARS)):
        if len(getattr(request, name)) > limit:
            raise InvalidRequest(f"{name} is limited to {limit} characters: shorten it")
    _check_subject(request)
    if request.mask is None and request.region_name not in REGIONS:
        raise InvalidRequest(f"unknown region {request.region_name!r}: choose one of {', '.join(REGIONS)}, "
                             "or draw a mask")
    if request.mask is not None and request.region not in (None, CUSTOM_REGION):
        raise InvalidRequest(f"a drawn mask is the region to paint: leave region {request.region!r} out")
    if not 1 <= request.variants <= MAX_COUNT:
        raise InvalidRequest(f"variants {request.variants} is out of range: use 1 to {MAX_COUNT}")
    if request.seed is not None and not 0 <= request.seed <= MAX_SEED:
        raise InvalidRequest(f"seed {request.seed} is out of range: use 0 to {MAX_SEED}, or leave it out")


def _check_subject(request: FittingRequest) -> None:
    if request.photo is not None:
        if request.figure is not None:
            raise InvalidRequest("give either a built-in figure or a performer photo, not both")
        if not request.performer.strip():
            raise InvalidRequest("a performer photo needs the performer's name, so their consent can be checked")
    else:
        if request.performer.strip():
            raise InvalidRequest("performer names whose photo is used: add the photo, or leave performer out")
        if request.figure is not None and request.figure not in list_figures():
            raise InvalidRequest(f"unknown figure {request.figure!r}: choose one of {', '.join(list_figures())}")


def fitting_figure(request: FittingRequest) -> Figure:
    """The figure the request paints on: the photo's estimate or a built-in figure, plus the drawn mask."""
    figure = photo_figure(request.photo) if request.photo is not None else load_figure(
        request.figure or DEFAULT_FIGURE)
    return mask_figure(figure, request.mask) if request.mask is not None else figure


def costume_details(request: FittingRequest) -> CostumeDetails:
    """The costume for the prompt library's costume template; the notes describe the garment further."""
    garment = ", ".join(_clean(text) for text in (request.garment, request.notes) if text.strip())
    return CostumeDetails(garment, fabric=_clean(request.fabric), palette=_clean(request.palette),
                          period=_clean(request.period), character=_clean(request.character))


def costume_summary(request: FittingRequest) -> str:
    """The costume in one line, for labels: "greatcoat · wool melton · navy, brass · 1810s · ..."."""
    return " · ".join(_clean(text) for text in (request.garment, request.fabric, request.palette, request.period,
                                                 request.notes) if text.strip())


def _clean(text: str) -> str:
    return " ".join(text.split())

"""Figures to fit costumes on: built-in mannequins, performer photos and user-drawn masks, with region masks.

A figure is a picture plus where a costume may be painted on it (region masks, white = paint) and where it
must not (the protected face and hands). Region masks of the built-in mannequins come from the same polygons
that draw them, so they fit exactly; those of a performer photo are estimated from body proportions.

``Figure.regions`` holds the raw regions; ``region_mask`` is what a fitting paints, and by default it leaves
a margin around the protected areas wide enough that the generator's edge blending cannot reach them either.

The built-in pictures are drawn by code at first use. Copies are committed in ``assets/figures/`` for people
and front ends to look at; a test checks they match the code (``python -m previs.fitting.figures`` rewrites them).
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image

from previs.errors import InvalidRequest, NotFound
from previs.fitting import drawing, mannequin
from previs.generation.limits import INPAINT_BLEND_RADIUS
from previs.media import raster

REGIONS = ("full_body", "upper_body", "lower_body", "headwear", "footwear")
CUSTOM_REGION = "custom"
PHOTO_FIGURE = "photo"
# Largest side of a photo figure: the built-in figures' height, so fittings cost the same either way.
PHOTO_MAX_SIDE = 768
# A fitting's mask stays this far from protected pixels; the generator blends INPAINT_BLEND_RADIUS beyond it.
PROTECT_MARGIN = INPAINT_BLEND_RADIUS + 1


@dataclass(frozen=True)
class _View:
    title: str
    turn: float  # degrees the body is turned from facing the viewer
    head_turn: float


_VIEWS = {
    "front": _View("Mannequin, front", 0.0, 0.0),
    "three_quarter": _View("Mannequin, three-quarter view", 35.0, 25.0),
    "back": _View("Mannequin, back", 180.0, 180.0),
}


@dataclass(frozen=True)
class Figure:
    """A picture to paint a costume on, its regions and protected areas (mode "L", 0 or 255, image-sized).

    ``source_size`` is the size of the picture the user gave (a photo is scaled to a working size); a mask
    drawn over that picture is accepted by ``mask_figure``.
    """

    name: str
    title: str
    image: Image.Image = field(repr=False)
    regions: dict[str, Image.Image] = field(repr=False)
    protected: Image.Image = field(repr=False)
    source_size: tuple[int, int]


@dataclass(frozen=True)
class _Ease:
    """How far, in mannequin pixels, regions reach past the body and protection past the face and hands."""

    cloth: float
    hat_rise: float
    face: float
    hands: float


_MANNEQUIN_EASE = _Ease(cloth=8.0, hat_rise=40.0, face=2.0, hands=3.0)
# A photo's proportions are only estimated: protect more, and let clothes reach further.
_PHOTO_EASE = _Ease(cloth=14.0, hat_rise=40.0, face=16.0, hands=14.0)


def list_figures() -> list[str]:
    """Names of the built-in figures, in the order to offer them."""
    return list(_VIEWS)


def load_figure(name: str) -> Figure:
    """A built-in figure by name; NotFound names the valid ones."""
    if name not in _VIEWS:
        raise NotFound(f"no built-in figure {name!r}: choose one of {', '.join(_VIEWS)}")
    figure = _builtin(name)
    return replace(figure, image=figure.image.copy(), regions={k: v.copy() for k, v in figure.regions.items()},
                   protected=figure.protected.copy())


@functools.cache
def _builtin(name: str) -> Figure:
    view = _VIEWS[name]
    body = mannequin.build(view.turn, view.head_turn)
    regions, protected = _body_masks(body, mannequin.CANVAS_SIZE, 1.0, (0.0, 0.0), _MANNEQUIN_EASE)
    return Figure(name, view.title, drawing.paint(body), regions, protected, mannequin.CANVAS_SIZE)


def write_figure_files(folder: Path) -> list[Path]:
    """Write every built-in figure as ``folder/NAME.png``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in _VIEWS:
        path = folder / f"{name}.png"
        _builtin(name).image.save(path, format="PNG", optimize=True)
        paths.append(path)
    return paths


def region_mask(figure: Figure, region: str, *, protect: bool = True) -> Image.Image:
    """The mask a fitting of ``region`` paints (mode "L", 0 or 255).

    With ``protect`` (the default) the protected face and hands, plus a margin the generator's edge blending
    cannot cross, are taken out. Pass ``protect=False`` only when the user explicitly asked to paint them.
    """
    if region not in figure.regions:
        raise InvalidRequest(f"figure {figure.name!r} has no region {region!r}: choose one of "
                             f"{', '.join(figure.regions)}")
    mask = np.asarray(figure.regions[region]) > 0
    if protect:
        mask &= ~raster.grow(np.asarray(figure.protected) > 0, PROTECT_MARGIN)
        if not mask.any():
            raise InvalidRequest(f"the {region.replace('_', ' ')} region of figure {figure.name!r} lies wholly "
                                 "in its protected face and hands: choose another region or draw a mask")
    return _image(mask)


def photo_figure(image: Image.Image) -> Figure:
    """A performer photo as a figure, with regions and protected areas estimated from body proportions.

    Assumes a standing, upright, full-body photo of one person facing the camera, roughly centred, head near
    the top edge and feet near the bottom (about 4% margins), arms hanging at the sides. Nothing looks at
    the pixels: there is no face or pose detector here, so the estimate is wrong for other framings; the face
    and hands are protected generously for that reason. When the estimate does not fit the photo, draw a mask
    instead (``mask_figure``). The photo is scaled to at most ``PHOTO_MAX_SIDE`` pixels, sides multiples of 8.
    """
    source = image.convert("RGB")
    working = source.resize(_working_size(source.size), Image.Resampling.LANCZOS)
    width, height = working.size
    body = mannequin.build(0.0, 0.0)
    top, sole = mannequin.CROWN_Y, mannequin.SOLE_Y
    scale = 0.92 * height / (sole - top)
    offset = (width / 2 - mannequin.CENTRE_X * scale, 0.04 * height - top * scale)
    regions, protected = _body_masks(body, working.size, scale, offset, _PHOTO_EASE)
    return Figure(PHOTO_FIGURE, "Performer photo (regions estimated)", working, regions, protected, source.size)


def mask_figure(figure: Figure, mask: Image.Image) -> Figure:
    """``figure`` with a user-drawn ``custom`` region (white = paint), drawn over the figure's picture or over
    the photo it was made from; its protected areas still apply through ``region_mask``."""
    if mask.size not in (figure.image.size, figure.source_size):
        raise InvalidRequest(
            f"the mask is {mask.width}x{mask.height} but the picture is {_dims(figure.source_size)}: draw the "
            "mask over the same picture"
        )
    painted = mask.convert("L").resize(figure.image.size, Image.Resampling.NEAREST)
    binary = np.asarray(painted) >= 128
    if not binary.any():
        raise InvalidRequest("the mask paints nothing: paint the area to change in white")
    return replace(figure, regions={**figure.regions, CUSTOM_REGION: _image(binary)})


def _working_size(size: tuple[int, int]) -> tuple[int, int]:
    """Scaled down to fit PHOTO_MAX_SIDE (never up), each side rounded to a multiple of 8."""
    factor = min(1.0, PHOTO_MAX_SIDE / max(size))
    width, height = (max(8, round(side * factor / 8) * 8) for side in size)
    return width, height


def _body_masks(body: mannequin.Mannequin, size: tuple[int, int], scale: float, offset: tuple[float, float],
                ease: _Ease) -> tuple[dict[str, Image.Image], Image.Image]:
    """Region masks and the protected mask of ``body`` placed at ``scale`` and ``offset`` on a canvas."""

    def parts(*groups: str) -> np.ndarray:
        mask = np.zeros((size[1], size[0]), dtype=bool)
        for part in body.group(*groups):
            mask |= raster.polygon_coverage(np.asarray(part.outline) * scale + offset, size) > 0
        return mask

    def pixels(length: float) -> int:
        return max(1, round(length * scale))

    rows = (np.arange(size[1])[:, None] + 0.5 - offset[1]) / scale  # each pixel row's height on the mannequin
    head, torso, arms, legs, feet = (parts(group) for group in ("head", "torso", "arm", "leg", "foot"))
    # Clothes reach past the body by the ease, but not onto the head (hats and the face have their own rules).
    upper = raster.grow((torso & (rows < body.hem_y)) | arms | parts("neck"), pixels(ease.cloth)) & ~head
    lower = raster.grow(raster.fill_rows((torso & (rows >= body.waist_y)) | (legs & (rows < body.ankle_y))),
                        pixels(ease.cloth))
    footwear = raster.grow(feet | (legs & (rows >= body.ankle_y - 14.0)), pixels(ease.cloth / 2))
    crown = raster.grow(head & (rows < body.brow_y), pixels(ease.cloth * 2))
    headwear = raster.extend_up(crown, pixels(ease.hat_rise)) & (rows < body.brow_y + 4.0)
    regions = {
        "full_body": raster.fill_rows(upper | lower | footwear) & ~head,
        "upper_body": upper,
        "lower_body": lower,
        "headwear": headwear,
        "footwear": footwear,
    }
    face = head & (rows >= body.brow_y) if body.face_visible else np.zeros_like(head)
    protected = raster.grow(face, pixels(ease.face)) | raster.grow(parts("hand"), pixels(ease.hands))
    return {name: _image(mask) for name, mask in regions.items()}, _image(protected)


def _image(mask: np.ndarray) -> Image.Image:
    return Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), "L")


def _dims(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


if __name__ == "__main__":
    for written in write_figure_files(Path(sys.argv[1] if len(sys.argv) > 1 else "assets/figures")):
        print(written)

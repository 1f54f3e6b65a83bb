"""Paints a projected mannequin as a lit grey figure on a light neutral backdrop, in numpy only.

Each part is shaded as a soft bump: its coverage, blurred over about its own thickness, is read as a height
field and lit from the upper left (Lambert), so limbs read as round without any hand-drawn highlights. Parts
are composited far to near with a thin dark edge, which keeps an arm readable where it crosses the torso.
Everything is float64 arithmetic on exact coverage counts, so the pixels are the same on every machine.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from previs.fitting.mannequin import CANVAS_SIZE, CENTRE_X, SOLE_Y, Mannequin, Part
from previs.media import raster

BACKDROP = np.array([236.0, 234.0, 229.0])
FLOOR_SHADOW = np.array([196.0, 194.0, 190.0])
BODY = np.array([168.0, 168.0, 171.0])
EDGE = np.array([92.0, 92.0, 96.0])
SEAM = np.array([118.0, 118.0, 122.0])
_LIGHT = np.array([-0.45, -0.6, 0.66]) / np.linalg.norm([-0.45, -0.6, 0.66])
_AMBIENT, _DIFFUSE = 0.42, 0.62


def paint(mannequin: Mannequin) -> Image.Image:
    """The figure as an RGB image of ``CANVAS_SIZE``."""
    height, width = CANVAS_SIZE[1], CANVAS_SIZE[0]
    canvas = np.broadcast_to(_backdrop(), (height, width, 3)).copy()
    canvas = _over(canvas, FLOOR_SHADOW, _floor_shadow())
    for part in mannequin.parts:
        canvas = _paint_part(canvas, part)
    return Image.fromarray(np.round(np.clip(canvas, 0, 255)).astype(np.uint8), "RGB")


def _backdrop() -> np.ndarray:
    """A faint vertical falloff, lighter at the top, like a studio sweep."""
    y = np.linspace(0.0, 1.0, CANVAS_SIZE[1])[:, None, None]
    return BACKDROP * (1.0 - 0.03 * y)


def _floor_shadow() -> np.ndarray:
    angles = np.linspace(0.0, 2.0 * math.pi, 64, endpoint=False)
    ellipse = np.stack([CENTRE_X + 92.0 * np.cos(angles), SOLE_Y + 2.0 + 11.0 * np.sin(angles)], axis=1)
    return 0.8 * raster.box_blur(raster.polygon_coverage(ellipse, CANVAS_SIZE), 6)


def _paint_part(canvas: np.ndarray, part: Part) -> np.ndarray:
    """Shade, edge and seam one part, working only in its bounding box (plus room for the blurs)."""
    radius = _blur_radius(part.roundness)
    points = np.asarray(part.outline)
    left, top = np.maximum(np.floor(points.min(axis=0)).astype(int) - radius - 2, 0)
    right, bottom = np.minimum(np.ceil(points.max(axis=0)).astype(int) + radius + 2, CANVAS_SIZE)
    origin, size = np.array([left, top]), (int(right - left), int(bottom - top))
    cover = raster.polygon_coverage(points - origin, size)
    window = canvas[top:bottom, left:right]
    window = _over(window, _shade(cover, part.roundness, radius), cover)
    rim = cover * np.clip((1.0 - raster.box_blur(cover, 1)) * 3.0, 0.0, 1.0)
    window = _over(window, EDGE, 0.8 * rim)
    for line in part.lines:
        if len(line) > 1:
            seam = raster.polyline_coverage(np.asarray(line) - origin, size, 1.0)
            window = _over(window, SEAM, 0.9 * cover * seam)
    canvas[top:bottom, left:right] = window
    return canvas


def _blur_radius(roundness: float) -> int:
    return max(2, round(roundness))


def _shade(cover: np.ndarray, roundness: float, radius: int) -> np.ndarray:
    """Per-pixel colour of a part lit as a rounded bump ``roundness`` pixels deep, rising over ``radius``."""
    depth = np.clip((raster.box_blur(cover, radius) - 0.5) * 2.0, 0.0, 1.0)
    height = roundness * np.sqrt(1.0 - (1.0 - depth) ** 2)
    dy, dx = np.gradient(height)
    norm = np.sqrt(dx * dx + dy * dy + 1.0)
    lambert = np.clip((-dx * _LIGHT[0] - dy * _LIGHT[1] + _LIGHT[2]) / norm, 0.0, 1.0)
    colour: np.ndarray = BODY * (_AMBIENT + _DIFFUSE * lambert)[:, :, None]
    return colour


def _over(canvas: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``colour`` (one colour or a per-pixel field) laid over ``canvas`` with per-pixel ``alpha``."""
    a = alpha[:, :, None]
    blended: np.ndarray = canvas * (1.0 - a) + colour * a
    return blended

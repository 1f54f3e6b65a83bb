"""Ray-cast a set plan through its pinhole camera: the RGB blockout, a depth map and an edge map, in numpy.

Every pixel's ray is intersected with the floor, the walls and ceiling of an interior, and each mannequin's
ellipsoids; the nearest hit is lit (Lambert, from the time of day's sun or the room's light), exteriors fade
into the sky with distance. The depth map is inverse depth scaled to the picture's nearest and farthest
surfaces, near white, as depth ControlNets are trained on (MiDaS-style); edges mark where the surface or its
depth jumps. Float64 arithmetic only, so a blockout is the same on every machine.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from previs.blocking.layout import ROOM_DEPTH, ROOM_HEIGHT, WALL, Figure, SetPlan
from previs.media.fonts import sheet_fonts

SKY, FLOOR, WALLS, FIGURE = 0, 1, 2, 10  # labels: figure i is FIGURE + i
ROOM_HALF_WIDTH = 4.0
# A mannequin's parts: centre (x, y, z) from its feet, radii (m).
PARTS: tuple[tuple[tuple[float, float, float], tuple[float, float, float]], ...] = (
    ((0.0, 1.63, 0.0), (0.1, 0.12, 0.11)),  # head
    ((0.0, 1.23, 0.0), (0.19, 0.3, 0.12)),  # torso
    ((0.0, 0.9, 0.0), (0.17, 0.13, 0.11)),  # hips
    ((-0.09, 0.45, 0.0), (0.075, 0.46, 0.08)),  # legs
    ((0.09, 0.45, 0.0), (0.075, 0.46, 0.08)),
    ((-0.25, 1.15, 0.0), (0.055, 0.32, 0.06)),  # arms
    ((0.25, 1.15, 0.0), (0.055, 0.32, 0.06)),
)
EDGE_DEPTH = 40.0  # m
LABEL_HEIGHT = 1.9  # names are written just above the heads (m)
_ROOM_LIGHT = np.array([-0.4, 0.8, -0.45]) / np.linalg.norm([-0.4, 0.8, -0.45])


@dataclass(frozen=True)
class Blockout:
    """One shot's blockout: what a producer reviews (``rgb``) and what steers the model (``depth``, ``edges``)."""

    rgb: Image.Image
    depth: Image.Image
    edges: Image.Image
    labels: np.ndarray = field(repr=False)  # per pixel: SKY, FLOOR, WALLS or FIGURE + figure index
    plan: SetPlan = field(repr=False)

    def share(self, label: int) -> float:
        """The fraction of the frame showing ``label`` (FIGURE + i for figure i)."""
        return float((self.labels == label).mean())


@dataclass
class _Hits:
    """The nearest surface found so far along every ray."""

    t: np.ndarray
    label: np.ndarray
    normal: np.ndarray
    colour: np.ndarray

    def take(self, t: np.ndarray, label: int, normal: np.ndarray, colour: np.ndarray) -> None:
        nearer = (t > 1e-6) & (t < self.t)
        self.t = np.where(nearer, t, self.t)
        self.label = np.where(nearer, label, self.label)
        self.normal = np.where(nearer[..., None], normal, self.normal)
        self.colour = np.where(nearer[..., None], colour, self.colour)


def render(plan: SetPlan) -> Blockout:
    """The blockout of ``plan`` at its camera's size."""
    camera = plan.camera
    rays = camera.rays()
    origin = np.asarray(camera.position)
    shape = rays.shape[:2]
    hits = _Hits(np.full(shape, np.inf), np.full(shape, SKY, np.uint8), np.zeros((*shape, 3)),
                 np.zeros((*shape, 3)))
    for t, label, normal, colour in _surfaces(plan, origin, rays):
        hits.take(t, label, normal, colour)
    points = origin + rays * np.where(np.isfinite(hits.t), hits.t, 0.0)[..., None]
    rgb = _shade(plan, rays, hits, points)
    depth_along = hits.t * (rays @ camera.axes()[2])
    depth = _inverse_depth(depth_along, hits.label)
    picture = Image.fromarray(np.round(np.clip(rgb, 0, 255)).astype(np.uint8), "RGB")
    _write_names(picture, plan)
    return Blockout(picture, Image.fromarray(depth, "L").convert("RGB"), _edges(hits.label, depth_along),
                    hits.label, plan)


def _surfaces(plan: SetPlan, origin: np.ndarray,
              rays: np.ndarray) -> Iterator[tuple[np.ndarray, int, np.ndarray, np.ndarray]]:
    """Every surface's hit distance per ray (inf where missed), label, normal and base colour."""
    with np.errstate(divide="ignore", invalid="ignore"):
        yield _plane(origin, rays, 1, 0.0), FLOOR, np.array([0.0, 1.0, 0.0]), np.asarray(plan.ground, float)
        if plan.interior:
            wall = np.asarray(WALL, float)
            yield _plane(origin, rays, 2, ROOM_DEPTH), WALLS, np.array([0.0, 0.0, -1.0]), wall
            yield _plane(origin, rays, 0, ROOM_HALF_WIDTH), WALLS, np.array([-1.0, 0.0, 0.0]), wall * 0.94
            yield _plane(origin, rays, 0, -ROOM_HALF_WIDTH), WALLS, np.array([1.0, 0.0, 0.0]), wall * 0.94
            yield _plane(origin, rays, 1, ROOM_HEIGHT), WALLS, np.array([0.0, -1.0, 0.0]), wall * 1.04
    for index, figure in enumerate(plan.figures):
        yield from _mannequin(figure, FIGURE + index, origin, rays)


def _plane(origin: np.ndarray, rays: np.ndarray, axis: int, at: float) -> np.ndarray:
    t = (at - origin[axis]) / rays[..., axis]
    return np.where(np.isfinite(t) & (t > 0), t, np.inf)


def _mannequin(figure: Figure, label: int, origin: np.ndarray,
               rays: np.ndarray) -> Iterator[tuple[np.ndarray, int, np.ndarray, np.ndarray]]:
    colour = np.asarray(figure.colour, float)
    for (x, y, z), radii in PARTS:
        centre = np.array([figure.x + x, y, figure.z + z])
        scale = np.asarray(radii)
        o, d = (origin - centre) / scale, rays / scale
        a, b, c = (d * d).sum(-1), (d @ o), float(o @ o) - 1.0
        disc = b * b - a * c
        t = np.where(disc >= 0, (-b - np.sqrt(np.maximum(disc, 0.0))) / a, np.inf)
        t = np.where(t > 0, t, np.inf)
        hit = origin + rays * np.where(np.isfinite(t), t, 0.0)[..., None]
        normal = (hit - centre) / scale**2
        normal /= np.maximum(np.linalg.norm(normal, axis=-1, keepdims=True), 1e-9)
        yield t, label, normal, colour


def _shade(plan: SetPlan, rays: np.ndarray, hits: _Hits, points: np.ndarray) -> np.ndarray:
    sky = plan.sky
    light = _ROOM_LIGHT if plan.interior else np.asarray(sky.sun) / np.linalg.norm(sky.sun)
    ambient = max(sky.ambient, 0.5) if plan.interior else sky.ambient
    lit = ambient + (1 - ambient) * np.clip(hits.normal @ light, 0.0, 1.0)
    colour = hits.colour * lit[..., None]
    if plan.interior and plan.time == "night":
        colour *= np.array([1.0, 0.88, 0.7])  # practical lamps: warm
    floor = hits.label == FLOOR
    grid = (np.abs((points[..., 0] + 0.5) % 1.0 - 0.5) < 0.012) | (np.abs((points[..., 2] + 0.5) % 1.0 - 0.5) < 0.012)
    colour = np.where((floor & grid)[..., None], colour * 0.8, colour)
    colour = np.where(floor[..., None], colour * _contact_shadows(plan, points)[..., None], colour)
    if plan.window:
        window = ((hits.label == WALLS) & (np.abs(points[..., 2] - ROOM_DEPTH) < 1e-3)
                  & (np.abs(points[..., 0] - 1.6) < 0.9) & (points[..., 1] > 0.9) & (points[..., 1] < 2.2))
        colour = np.where(window[..., None], np.asarray(sky.horizon, float) * 1.05, colour)
    elevation = np.clip(rays[..., 1] * 2.5, 0.0, 1.0)[..., None]
    background = np.asarray(sky.horizon, float) * (1 - elevation) + np.asarray(sky.zenith, float) * elevation
    if plan.interior:
        background = np.broadcast_to(np.asarray(WALL, float) * ambient, colour.shape)
    else:
        fog = 1 - np.exp(-np.where(np.isfinite(hits.t), hits.t, np.inf) / 80.0)
        colour = colour * (1 - fog[..., None]) + np.asarray(sky.horizon, float) * fog[..., None]
    return np.where((hits.label == SKY)[..., None], background, colour)


def _contact_shadows(plan: SetPlan, points: np.ndarray) -> np.ndarray:
    """Darkening of the floor under each figure, so they read as standing on it."""
    factor = np.ones(points.shape[:2])
    for figure in plan.figures:
        distance = np.hypot(points[..., 0] - figure.x, points[..., 2] - figure.z)
        factor *= 1 - 0.4 * np.exp(-((distance / 0.32) ** 2))
    return factor


def _inverse_depth(depth: np.ndarray, labels: np.ndarray) -> np.ndarray:
    finite = np.isfinite(depth) & (labels != SKY) & (depth > 0)
    if not finite.any():
        return np.zeros(depth.shape, np.uint8)
    inverse = np.where(finite, 1.0 / np.where(finite, depth, 1.0), 0.0)
    far, near = 1.0 / min(float(depth[finite].max()), 200.0), float(inverse[finite].max())
    scaled = np.clip((inverse - far) / max(near - far, 1e-9), 0.0, 1.0)
    return np.round(np.where(finite, 30 + 225 * scaled, 0)).astype(np.uint8)


def _edges(labels: np.ndarray, depth: np.ndarray) -> Image.Image:
    """White where the surface changes or its depth jumps by more than 8 %, on black (canny-style).

    Depth jumps count only nearer than ``EDGE_DEPTH``: the floor near the horizon changes depth quickly too."""
    near = np.isfinite(depth) & (depth < EDGE_DEPTH)
    log_depth = np.log(np.where(near, np.maximum(depth, 1e-6), 1.0))
    edge = np.zeros(labels.shape, bool)
    for axis in (0, 1):
        both_near = np.diff(near.astype(int), axis=axis) == 0
        changed = (np.diff(labels.astype(int), axis=axis) != 0) | (
            both_near & (np.abs(np.diff(log_depth, axis=axis)) > 0.08))
        if axis == 0:
            edge[1:] |= changed
        else:
            edge[:, 1:] |= changed
    return Image.fromarray(np.where(edge, 255, 0).astype(np.uint8), "L").convert("RGB")


def _write_names(picture: Image.Image, plan: SetPlan) -> None:
    """Each figure's name above its head (kept inside the frame when the head is cut off)."""
    draw = ImageDraw.Draw(picture)
    font = _font(max(10, picture.height // 24))
    placed: list[tuple[float, float, float, float]] = []
    for figure in plan.figures:
        column, row, depth = plan.camera.project((figure.x, LABEL_HEIGHT, figure.z))
        if depth <= 0 or not -picture.width * 0.2 < column < picture.width * 1.2:
            continue
        left, top, right, bottom = draw.textbbox((0, 0), figure.name, font=font)
        x = min(max(column - (right - left) / 2, 2), picture.width - (right - left) - 2)
        y = min(max(row - (bottom - top), 2), picture.height - (bottom - top) - 4)
        w, h = right - left, bottom - top
        while any(x < r + 8 and x + w + 8 > q and y < b + 6 and y + h + 6 > t for q, t, r, b in placed):
            y -= bottom - top + 8  # a neighbour's name is there: write this one above it
        placed.append((x, y, x + right - left, y + bottom - top))
        draw.rectangle((x - 3, y - 2, x + right - left + 3, y + bottom - top + 4), fill=(24, 24, 28))
        draw.text((x - left, y - top + 1), figure.name, fill=(250, 250, 250), font=font)


@functools.lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    bold = sheet_fonts().bold
    return ImageFont.truetype(io.BytesIO(bold.data), size, index=bold.collection_index or 0)

"""Mannequin geometry: one neutral figure built in 3D, projected as flat polygons for a view.

The body is a small 3D model (cross-section stacks for the head and torso, tapered cylinders for the neck
and limbs, spheres for the joints) turned about its vertical axis and projected orthographically. Turning
the model, rather than drawing each view by hand, is what foreshortens the shoulders and hips of the
three-quarter view consistently. Both the picture and the region masks of a figure are drawn from these
polygons, so a mask can never disagree with the drawing.

Units are pixels of the figure canvas (512x768); y grows downward, x to the viewer's right and z towards the
viewer when the figure faces front. The figure is eight and a bit heads tall, from y=66 to the soles at 716.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CANVAS_SIZE = (512, 768)
CENTRE_X = CANVAS_SIZE[0] / 2
SOLE_Y = 716.0

Point = tuple[float, float]
Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class Part:
    """One body part as drawn: a closed outline plus the surface lines (seams, nose) drawn on it."""

    name: str
    group: str  # head, neck, torso, arm, hand, leg or foot: what the region rules select by
    outline: tuple[Point, ...]
    depth: float  # painter's order, larger is nearer the viewer
    roundness: float  # about half the part's thickness: how far in from its edge the shading reaches
    lines: tuple[tuple[Point, ...], ...] = ()


@dataclass(frozen=True)
class Mannequin:
    """A projected figure: parts in drawing order and the heights the region rules cut at."""

    parts: tuple[Part, ...]
    brow_y: float  # the face is the head below this line
    waist_y: float  # trousers and skirts start here
    hem_y: float  # a jacket or top reaches down to here
    ankle_y: float  # footwear starts a little above this
    face_visible: bool

    def group(self, *groups: str) -> tuple[Part, ...]:
        return tuple(part for part in self.parts if part.group in groups)


# Torso cross-sections from the neck down to the crotch: (y, z of the section centre, half width, half depth).
_TORSO_ROWS = (
    (158, -5, 20, 16),
    (166, -4, 38, 21),
    (176, -3, 52, 26),
    (188, -1, 60, 29),
    (204, 2, 60, 33),
    (228, 5, 56, 37),
    (252, 6, 52, 37),
    (274, 3, 46, 32),
    (295, 0, 42, 28),
    (318, -1, 45, 30),
    (342, -3, 50, 33),
    (366, -5, 53, 35),
    (388, -4, 54, 33),
    (402, -1, 49, 27),
    (412, 0, 26, 16),
    (416, 0, 4, 4),
)
_WAIST_Y = 295.0
_HEAD_CENTRE_Y, _HEAD_HALF_HEIGHT = 109.0, 42.0
_HEAD_HALF_WIDTH, _HEAD_HALF_DEPTH = 29.5, 34.0
CROWN_Y = _HEAD_CENTRE_Y - _HEAD_HALF_HEIGHT
# The brow sits at 42% of the head's height; the face is what lies below it.
_BROW_Y = CROWN_Y + 0.42 * 2 * _HEAD_HALF_HEIGHT

# Joints of the figure's right side (the viewer's left when it faces front); its left side mirrors x.
_SHOULDER: Vec3 = (-61.0, 200.0, -2.0)
_ELBOW: Vec3 = (-77.0, 312.0, -4.0)
_WRIST: Vec3 = (-89.0, 412.0, 0.0)
_FINGERTIP: Vec3 = (-95.0, 472.0, 4.0)
_HIP: Vec3 = (-28.0, 386.0, 0.0)
_KNEE: Vec3 = (-23.0, 548.0, 2.0)
_ANKLE: Vec3 = (-22.0, 688.0, -4.0)
_HEEL: Vec3 = (-23.0, 702.0, -12.0)
_TOE: Vec3 = (-40.0, 710.0, 42.0)

# Radius profiles along each limb segment: (fraction of the way from the first joint, radius).
_UPPER_ARM = ((0.0, 15.5), (0.35, 15.0), (1.0, 11.0))
_FOREARM = ((0.0, 11.0), (0.3, 12.5), (1.0, 8.0))
_HAND = ((0.0, 8.0), (0.3, 11.0), (0.75, 10.0), (1.0, 6.5))
_THIGH = ((0.0, 27.5), (0.4, 23.0), (1.0, 15.5))
_CALF = ((0.0, 15.0), (0.3, 17.5), (1.0, 8.5))
_FOOT = ((0.0, 10.0), (0.45, 12.0), (0.85, 11.5), (1.0, 8.0))
_NOSE = ((0.0, 2.0), (0.8, 3.5), (1.0, 4.0))
_NECK = ((0.0, 15.0), (0.6, 15.5), (1.0, 19.0))
# Painter's order offsets: legs always behind the torso, arms over it unless turned away.
_LEG_LAYER, _ARM_LAYER = -100.0, 5.0


def build(turn_degrees: float, head_turn_degrees: float) -> Mannequin:
    """Project the figure turned by ``turn_degrees`` (0 front, 180 back), its head by ``head_turn_degrees``."""
    turn, head_turn = math.radians(turn_degrees), math.radians(head_turn_degrees)
    parts = [_torso(turn), _neck(turn), *_head(head_turn)]
    for side in (1.0, -1.0):
        parts.extend(_arm(side, turn))
        parts.extend(_leg(side, turn))
    return Mannequin(
        parts=tuple(sorted(parts, key=lambda part: part.depth)),
        brow_y=_BROW_Y,
        waist_y=_WAIST_Y,
        hem_y=_WAIST_Y + 30.0,
        ankle_y=_ANKLE[1],
        face_visible=math.cos(head_turn) > 0,
    )


def _project(point: Vec3, turn: float) -> tuple[float, float, float]:
    """Turn a body point about the vertical axis; return canvas x, y and depth towards the viewer."""
    x, y, z = point
    cos, sin = math.cos(turn), math.sin(turn)
    return CENTRE_X + x * cos + z * sin, y, z * cos - x * sin


def _mirror(point: Vec3, side: float) -> Vec3:
    return point[0] * side, point[1], point[2]


def _torso(turn: float) -> Part:
    rows = np.array(_TORSO_ROWS, dtype=float)
    lines = [_ring(_torso_section(_WAIST_Y), turn)]
    front = math.cos(turn)
    if abs(front) > 0.2:  # the centre seam runs down the side that faces the viewer
        ys = np.linspace(196.0, 392.0, 24)
        sections = [_torso_section(y) for y in ys]
        sign = 1.0 if front > 0 else -1.0
        lines.append(tuple(_project((0.0, y, cz + sign * b), turn)[:2] for y, cz, _, b in sections))
    return Part("torso", "torso", _section_outline(rows, turn), 0.0, 26.0, tuple(line for line in lines if line))


def _torso_section(y: float) -> tuple[float, float, float, float]:
    rows = np.array(_TORSO_ROWS, dtype=float)
    cz, half_width, half_depth = (float(np.interp(y, rows[:, 0], rows[:, column])) for column in (1, 2, 3))
    return y, cz, half_width, half_depth


def _head(turn: float) -> list[Part]:
    """An egg, broader at the crown and set back from the chin, with a nose when the face shows."""
    v = np.linspace(-1.0, 1.0, 33)
    s = np.sqrt(1.0 - v * v)
    rows = np.stack(
        [
            _HEAD_CENTRE_Y + _HEAD_HALF_HEIGHT * v,
            2.0 * v - 2.0,
            _HEAD_HALF_WIDTH * s * (1.0 - 0.12 * v),
            _HEAD_HALF_DEPTH * s * (1.0 - 0.06 * v),
        ],
        axis=1,
    )
    parts = [Part("head", "head", _section_outline(rows, turn), 2.0, 18.0)]
    if math.cos(turn) > 0:
        bridge, tip = (
            (0.0, y, float(np.interp(y, rows[:, 0], rows[:, 1] + rows[:, 3])) + lift)
            for y, lift in ((_BROW_Y + 6.0, -2.0), (_BROW_Y + 24.0, 3.0))
        )
        outline, _ = _limb(bridge, tip, _NOSE, turn)
        parts.append(Part("nose", "head", outline, 2.1, 3.0))
    return parts


def _neck(turn: float) -> Part:
    outline, _ = _limb((0.0, 140.0, -6.0), (0.0, 186.0, -3.0), _NECK, turn)
    return Part("neck", "neck", outline, -1.0, 10.0)


def _arm(side: float, turn: float) -> list[Part]:
    """Upper arm, forearm and hand of one side, with ball joints at shoulder, elbow and wrist."""
    shoulder, elbow, wrist, tip = (_mirror(p, side) for p in (_SHOULDER, _ELBOW, _WRIST, _FINGERTIP))
    name = "left" if side > 0 else "right"
    base = _ARM_LAYER + _project(shoulder, turn)[2]
    return [
        _ball(f"shoulder_{name}", "arm", shoulder, 17.0, turn, base),
        _segment(f"upper_arm_{name}", "arm", shoulder, elbow, _UPPER_ARM, turn, base + 0.1, trim=(8.0, 6.0)),
        _ball(f"elbow_{name}", "arm", elbow, 11.0, turn, base + 0.2),
        _segment(f"forearm_{name}", "arm", elbow, wrist, _FOREARM, turn, base + 0.3, trim=(5.0, 4.0)),
        _ball(f"wrist_{name}", "arm", wrist, 7.5, turn, base + 0.4),
        _segment(f"hand_{name}", "hand", wrist, tip, _HAND, turn, base + 0.5, trim=(3.0, 0.0)),
    ]


def _leg(side: float, turn: float) -> list[Part]:
    """Thigh, calf and foot of one side, with ball joints at knee and ankle."""
    hip, knee, ankle, heel, toe = (_mirror(p, side) for p in (_HIP, _KNEE, _ANKLE, _HEEL, _TOE))
    name = "left" if side > 0 else "right"
    base = _LEG_LAYER + _project(hip, turn)[2]
    return [
        _segment(f"thigh_{name}", "leg", hip, knee, _THIGH, turn, base, trim=(0.0, 8.0)),
        _ball(f"knee_{name}", "leg", knee, 15.0, turn, base + 0.1),
        _segment(f"calf_{name}", "leg", knee, ankle, _CALF, turn, base + 0.2, trim=(7.0, 5.0)),
        _ball(f"ankle_{name}", "leg", ankle, 8.5, turn, base + 0.3),
        _segment(f"foot_{name}", "foot", heel, toe, _FOOT, turn, base + 0.4 + _project(toe, turn)[2] / 100),
    ]


def _segment(
    name: str,
    group: str,
    start: Vec3,
    end: Vec3,
    profile: Sequence[tuple[float, float]],
    turn: float,
    depth: float,
    trim: tuple[float, float] = (0.0, 0.0),
) -> Part:
    """A limb segment between two joints, shortened by ``trim`` at each end so the joint ball shows."""
    length = math.dist(start, end)
    t0, t1 = trim[0] / length, 1.0 - trim[1] / length
    a, b = _along(start, end, t0), _along(start, end, t1)
    outline, roundness = _limb(a, b, profile, turn)
    return Part(name, group, outline, depth, roundness)


def _along(start: Vec3, end: Vec3, t: float) -> Vec3:
    """The point a fraction ``t`` of the way from ``start`` to ``end``."""
    return (
        start[0] + (end[0] - start[0]) * t,
        start[1] + (end[1] - start[1]) * t,
        start[2] + (end[2] - start[2]) * t,
    )


def _ball(name: str, group: str, centre: Vec3, radius: float, turn: float, depth: float) -> Part:
    x, y, _ = _project(centre, turn)
    angles = np.linspace(0.0, 2.0 * math.pi, 48, endpoint=False)
    outline = tuple((x + radius * math.cos(a), y + radius * math.sin(a)) for a in angles)
    return Part(name, group, outline, depth, radius * 0.7)


def _limb(
    start: Vec3, end: Vec3, profile: Sequence[tuple[float, float]], turn: float
) -> tuple[tuple[Point, ...], float]:
    """Outline of a tapered cylinder seen from the side: its projected axis widened by the radius profile,
    with round ends. Returns the outline and the cylinder's mean radius."""
    t = np.linspace(0.0, 1.0, 16)
    keys = np.array(profile)
    radius = np.interp(t, keys[:, 0], keys[:, 1])
    a, b = np.array(_project(start, turn)[:2]), np.array(_project(end, turn)[:2])
    axis = a + np.outer(t, b - a)
    heading = math.atan2(*(b - a)[::-1]) if np.hypot(*(b - a)) > 1e-6 else math.pi / 2
    normal = np.array([-math.sin(heading), math.cos(heading)])
    left = axis + np.outer(radius, normal)
    right = axis - np.outer(radius, normal)
    end_cap = _arc(axis[-1], radius[-1], heading + math.pi / 2, heading - math.pi / 2)
    start_cap = _arc(axis[0], radius[0], heading - math.pi / 2, heading - 3 * math.pi / 2)
    outline = np.concatenate([left, end_cap, right[::-1], start_cap])
    return tuple(map(tuple, outline)), float(radius.mean())


def _arc(centre: np.ndarray, radius: float, start: float, stop: float) -> np.ndarray:
    angles = np.linspace(start, stop, 12)[1:-1]
    return centre + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _section_outline(rows: np.ndarray, turn: float) -> tuple[Point, ...]:
    """Silhouette of a stack of elliptical cross-sections (y, centre z, half width, half depth), smoothed."""
    y, cz, a, b = rows.T
    cos, sin = math.cos(turn), math.sin(turn)
    centre = CENTRE_X + cz * sin
    half = np.sqrt((a * cos) ** 2 + (b * sin) ** 2)
    right = np.stack([centre + half, y], axis=1)
    left = np.stack([centre - half, y], axis=1)[::-1]
    return _smooth_closed(np.concatenate([right, left]))


def _ring(section: tuple[float, float, float, float], turn: float) -> tuple[Point, ...]:
    """The visible half of a horizontal line around a cross-section (a seam), or () when none shows."""
    y, cz, a, b = section
    phi = np.linspace(0.0, 2.0 * math.pi, 97)
    x, z = a * np.cos(phi), cz + b * np.sin(phi)
    facing = (np.sin(phi) / b) * math.cos(turn) - (np.cos(phi) / a) * math.sin(turn)
    start = int(np.argmin(facing))
    order = np.roll(np.arange(len(phi) - 1), -start)
    visible = [i for i in order if facing[i] > 0.05 * max(facing)]
    return tuple(_project((float(x[i]), y, float(z[i])), turn)[:2] for i in visible)


def _smooth_closed(points: np.ndarray, samples: int = 6) -> tuple[Point, ...]:
    """Closed Catmull-Rom curve through ``points``: turns a coarse outline into a smooth one."""
    p0, p1, p2, p3 = (np.roll(points, shift, axis=0) for shift in (1, 0, -1, -2))
    t = np.linspace(0.0, 1.0, samples, endpoint=False)[:, None, None]
    curve = 0.5 * (
        2 * p1
        + (p2 - p0) * t
        + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
        + (3 * p1 - p0 - 3 * p2 + p3) * t**3
    )
    return tuple(map(tuple, curve.transpose(1, 0, 2).reshape(-1, 2).tolist()))

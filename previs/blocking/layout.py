"""From a scene and a shot's camera block to a set: environment, figures where the shot size wants them, camera.

A shot size is a framing: how many metres of the subject the frame's height covers at the subject (a close-up
is head and shoulders, a full shot the whole body). The camera stands where the lens gives that framing
(distance = focal length × framed height / gate height), at the height and tilt the angle asks for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from previs.blocking.camera import Camera, Sensor
from previs.scenes.model import Scene, Shot

FULL_FRAME = Sensor()

# Framed height at the subject (m) and the height the frame centres on (m), by shot size.
FRAMING: dict[str, tuple[float, float]] = {
    "extreme wide": (14.0, 1.4),
    "wide": (5.0, 1.2),
    "full": (2.3, 0.95),
    "medium": (1.15, 1.3),
    "medium close-up": (0.75, 1.45),
    "close-up": (0.45, 1.6),
    "extreme close-up": (0.22, 1.62),
    "insert": (0.35, 0.9),
}
# How many of the scene's speakers a shot that names none shows, by size (an insert shows a thing, not a person).
FIGURES_BY_SIZE = {"extreme wide": 4, "wide": 4, "full": 3, "medium": 2, "medium close-up": 1, "close-up": 1,
                   "extreme close-up": 1, "insert": 0}
HIGH_TILT, LOW_TILT, OVERHEAD_TILT, DUTCH_ROLL = -30.0, 20.0, -80.0, 15.0
LOW_CAMERA_MIN = 0.3  # a low-angle camera sits no lower than this (m): a camera on the floor
ROOM_DEPTH, ROOM_HEIGHT = 3.0, 2.8  # interiors: the back wall behind the subject, the ceiling (m)
FIGURE_SPACING = 0.75  # metres between neighbouring figures
OVER_SHOULDER_SIDE, OVER_SHOULDER_DEPTH = 0.42, 0.45  # the listener: this far aside (m), this share of the way in


@dataclass(frozen=True)
class Sky:
    """The light of a time of day: sky at the zenith and horizon, sun direction (towards the light), ambient."""

    zenith: tuple[int, int, int]
    horizon: tuple[int, int, int]
    sun: tuple[float, float, float]
    ambient: float


SKIES: dict[str, Sky] = {
    "day": Sky((96, 150, 214), (200, 222, 240), (-0.5, 0.8, -0.35), 0.45),
    "dawn": Sky((120, 130, 178), (244, 196, 170), (0.8, 0.25, 0.3), 0.38),
    "dusk": Sky((62, 70, 128), (236, 150, 96), (-0.85, 0.2, 0.3), 0.34),
    "night": Sky((10, 14, 34), (36, 44, 74), (0.3, 0.7, -0.4), 0.22),
}
_TIME_WORDS = {"night": "night", "midnight": "night", "evening": "dusk", "dusk": "dusk", "sunset": "dusk",
               "twilight": "dusk", "dawn": "dawn", "sunrise": "dawn", "morning": "dawn"}
# Ground by the location's words (first match wins); anything else is bare earth (exterior) or boards (interior).
GROUNDS: tuple[tuple[tuple[str, ...], tuple[int, int, int]], ...] = (
    (("street", "road", "city", "rooftop", "roof", "parking", "alley", "highway", "bridge"), (112, 112, 116)),
    (("beach", "desert", "dune", "sand"), (214, 196, 150)),
    (("sea", "ocean", "river", "lake", "harbour", "harbor", "boat"), (60, 96, 132)),
    (("forest", "park", "field", "garden", "meadow", "woods", "farm", "lawn"), (92, 128, 70)),
    (("snow", "ice", "mountain", "glacier"), (228, 232, 238)),
)
EARTH, BOARDS, WALL = (138, 118, 92), (150, 120, 88), (196, 188, 172)
FIGURE_COLOURS = ((196, 92, 70), (70, 120, 190), (220, 170, 60), (110, 160, 100), (160, 100, 170), (90, 170, 170))


@dataclass(frozen=True)
class Figure:
    """A mannequin standing at ``(x, z)`` on the floor, labelled with the character's name."""

    name: str
    x: float
    z: float
    colour: tuple[int, int, int]


@dataclass(frozen=True)
class SetPlan:
    """Everything the renderer draws: the environment, the figures and the camera."""

    interior: bool
    sky: Sky
    time: str
    ground: tuple[int, int, int]
    figures: tuple[Figure, ...]
    camera: Camera
    window: bool  # an interior by day has a window on the back wall


def time_of(scene: Scene) -> str:
    """The light of the scene's time of day: day, dawn, dusk or night (day when the heading says nothing)."""
    words = re.findall(r"[a-z]+", scene.time_of_day.lower())
    return next((_TIME_WORDS[word] for word in words if word in _TIME_WORDS), "day")


def ground_of(scene: Scene, interior: bool) -> tuple[int, int, int]:
    words = set(re.findall(r"[a-z]+", scene.location.lower()))
    return next((colour for keys, colour in GROUNDS if words & set(keys)), BOARDS if interior else EARTH)


def cast_of(scene: Scene, shot: Shot) -> tuple[str, ...]:
    """Who is in frame: the shot's characters, else as many of the scene's speakers as the size holds."""
    return shot.characters or scene.characters[: FIGURES_BY_SIZE[shot.size]]


def place_figures(names: Sequence[str], cast: Sequence[str] = (), *, over_shoulder: bool = False,
                  distance: float = 0.0) -> tuple[Figure, ...]:
    """The first figure is the subject at the origin; the others alternate right and left, a step behind.

    Over the shoulder, the second figure is the listener: between the camera (``distance`` m in front) and the
    subject, to one side, so their shoulder fills a corner of the frame. A character keeps one colour in every shot
    of the scene (its place in ``cast``, the scene's characters), so a producer follows Theo across panels.
    """
    order = [name.upper() for name in cast]
    figures = []
    for index, name in enumerate(names):
        side = 0 if index == 0 else (1 if index % 2 else -1) * ((index + 1) // 2)
        x, z = side * FIGURE_SPACING, 0.35 * abs(side)
        if over_shoulder and index == 1:
            x, z = OVER_SHOULDER_SIDE, -distance * OVER_SHOULDER_DEPTH
        colour = order.index(name.upper()) if name.upper() in order else len(order) + index
        figures.append(Figure(name, x, z, FIGURE_COLOURS[colour % 6]))
    return tuple(figures)


def frame_camera(shot: Shot, width: int, height: int, *, sensor: Sensor = FULL_FRAME, distance: float | None = None,
                 interior: bool = False, kept: float | None = None) -> Camera:
    """The camera for the shot's size, lens and angle; ``distance`` (m, to the subject) overrides the size's.

    ``kept`` is the ratio (width / height) the picture is cut to after drawing: the framing must hold inside what is
    kept, so a frame drawn taller than it is shown stands the camera back by what the cut takes off its height.
    """
    framed, centre = FRAMING[shot.size]
    _, gate_h = sensor.gate(width / height)
    shown = min(1.0, (width / height) / kept) if kept else 1.0  # the share of the drawn height that is kept
    if distance is None:
        distance = shot.lens_mm * framed / (gate_h * shown)
    tilt = {"high angle": HIGH_TILT, "low angle": LOW_TILT, "overhead": OVERHEAD_TILT}.get(shot.angle, 0.0)
    roll = DUTCH_ROLL if shot.angle == "dutch" else 0.0
    camera_y = centre - distance * math.sin(math.radians(tilt))
    if tilt > 0:
        camera_y = max(LOW_CAMERA_MIN, camera_y)
    if interior:
        camera_y = min(camera_y, ROOM_HEIGHT - 0.15)
    back = distance * math.cos(math.radians(tilt))
    tilt = math.degrees(math.atan2(centre - camera_y, back))  # aim at the framing centre from where it stands
    return Camera((0.0, camera_y, -back), tilt, roll, float(shot.lens_mm), width, height, sensor)


def plan_shot(scene: Scene, shot: Shot, width: int, height: int, *, sensor: Sensor = FULL_FRAME,
              distance: float | None = None, kept: float | None = None) -> SetPlan:
    """The set of one shot, framed for a ``width``×``height`` picture (cut to the ratio ``kept`` after drawing)."""
    interior = scene.int_ext.startswith("INT")
    time = time_of(scene)
    camera = frame_camera(shot, width, height, sensor=sensor, distance=distance, interior=interior, kept=kept)
    return SetPlan(
        interior=interior, sky=SKIES[time], time=time, ground=ground_of(scene, interior),
        figures=place_figures(cast_of(scene, shot), scene.characters, over_shoulder=shot.angle == "over the shoulder",
                              distance=-camera.position[2]),
        camera=camera,
        window=interior and time in ("day", "dawn"),
    )

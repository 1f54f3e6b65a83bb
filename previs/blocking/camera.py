"""A pinhole camera on a film-back: focal length, sensor, height, tilt and roll, as a camera team states them.

World coordinates are metres: x to the right of the subject, y up (the floor is y = 0), z away from the camera.
A positive ``tilt`` looks up, so the horizon (the vanishing line of the floor) moves DOWN in frame; a negative
one looks down and moves it up. ``roll`` is a dutch angle, clockwise in frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FULL_FRAME_MM = (36.0, 24.0)
"""The full-frame stills / large-format cine film-back lens lengths are quoted for (width, height in mm)."""


@dataclass(frozen=True)
class Sensor:
    """The film-back; a frame of another aspect ratio uses the largest centred crop of it."""

    width_mm: float = FULL_FRAME_MM[0]
    height_mm: float = FULL_FRAME_MM[1]

    def gate(self, aspect: float) -> tuple[float, float]:
        """Width and height in mm of the crop of this sensor a frame of ``aspect`` (width / height) uses."""
        if aspect >= self.width_mm / self.height_mm:
            return self.width_mm, self.width_mm / aspect
        return self.height_mm * aspect, self.height_mm


@dataclass(frozen=True)
class Camera:
    """Where the camera is, where it points and through which lens; ``width``×``height`` pixels out."""

    position: tuple[float, float, float]
    tilt_deg: float
    roll_deg: float
    focal_mm: float
    width: int
    height: int
    sensor: Sensor = Sensor()

    @property
    def focal_px(self) -> float:
        """Focal length in pixels: the lens over the gate's width, times the picture's width."""
        gate_w, _ = self.sensor.gate(self.width / self.height)
        return self.focal_mm / gate_w * self.width

    def axes(self) -> np.ndarray:
        """Rows: the camera's right, up and forward unit vectors in world coordinates."""
        tilt, roll = math.radians(self.tilt_deg), math.radians(self.roll_deg)
        forward = np.array([0.0, math.sin(tilt), math.cos(tilt)])
        up = np.array([0.0, math.cos(tilt), -math.sin(tilt)])
        right = np.cross(up, forward)
        # Roll turns right and up about forward; clockwise in frame is a turn of -roll seen from behind.
        c, s = math.cos(roll), math.sin(roll)
        return np.stack([c * right - s * up, s * right + c * up, forward])

    def rays(self) -> np.ndarray:
        """Unit world direction through every pixel centre, shape (height, width, 3)."""
        f = self.focal_px
        u = (np.arange(self.width) + 0.5 - self.width / 2) / f
        v = (self.height / 2 - np.arange(self.height) - 0.5) / f
        grid = np.stack(np.broadcast_arrays(u[None, :], v[:, None], np.ones((1, 1))), axis=-1)
        directions: np.ndarray = grid @ self.axes()
        unit: np.ndarray = directions / np.linalg.norm(directions, axis=-1, keepdims=True)
        return unit

    def project(self, point: tuple[float, float, float]) -> tuple[float, float, float]:
        """Pixel column, row and depth (along the view axis) of a world point; depth ≤ 0 is behind the camera."""
        right, up, forward = self.axes()
        offset = np.asarray(point) - np.asarray(self.position)
        depth = float(offset @ forward)
        if depth <= 1e-6:
            return math.nan, math.nan, depth
        f = self.focal_px
        return (self.width / 2 + f * float(offset @ right) / depth,
                self.height / 2 - f * float(offset @ up) / depth, depth)

"""A camera block as crews write it on boards and shot lists: "MCU · 50 mm · low · dolly in"."""

from __future__ import annotations

from previs.scenes.model import Shot

SIZE_ABBREVIATIONS = {"extreme wide": "EWS", "wide": "WS", "full": "FS", "medium": "MS", "medium close-up": "MCU",
                      "close-up": "CU", "extreme close-up": "ECU", "insert": "INSERT"}
ANGLE_WORDS = {"eye level": "eye level", "high angle": "high", "low angle": "low", "overhead": "overhead",
               "dutch": "dutch", "POV": "POV", "over the shoulder": "OTS"}


def camera_block(shot: Shot) -> str:
    """Size, lens, angle and movement in one line; a static camera is left unsaid."""
    parts = [SIZE_ABBREVIATIONS[shot.size], f"{shot.lens_mm} mm", ANGLE_WORDS[shot.angle]]
    if shot.movement != "static":
        parts.append(shot.movement)
    return " · ".join(parts)

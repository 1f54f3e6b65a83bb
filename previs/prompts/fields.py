"""The placeholder names a template may use, per kind, and how a scene fills them."""

from __future__ import annotations

from previs.scenes import Scene, Shot
from previs.scenes.headings import readable

KINDS: tuple[str, ...] = ("set", "costume", "storyboard")
STYLE_FIELD = "style"
"""Filled from the chosen style preset's prompt text, never from the caller's fields."""

_COMMON = frozenset({"subject", "location", "interior_exterior", "time_of_day", "period", "palette", "mood"})
ALLOWED_FIELDS: dict[str, frozenset[str]] = {
    "set": _COMMON | {"action", STYLE_FIELD},
    "costume": _COMMON | {"characters", "garment", "fabric", STYLE_FIELD},
    "storyboard": _COMMON | {"action", "characters", "shot_size", "camera_angle", STYLE_FIELD},
}
"""Placeholders allowed in each kind of template; a template using another name fails to load."""

CALLER_FIELDS: frozenset[str] = frozenset().union(*ALLOWED_FIELDS.values()) - {STYLE_FIELD}
"""Names a caller may pass to ``render``; a template ignores those its kind does not use."""

_SETTINGS = {"INT": "interior", "EXT": "exterior", "INT/EXT": "interior and exterior"}


def scene_fields(scene: Scene, shot: Shot | None = None) -> dict[str, str]:
    """Prompt fields for ``scene``, and ``shot`` (subject, size, angle) if given; empty ones left out.

    Shouted heading text is re-cased ("NEO TOKYO ROOFTOP" → "Neo Tokyo Rooftop") and INT/EXT spelled out,
    because text encoders read words, not screenplay conventions.
    """
    fields = {
        "location": readable(scene.location),
        "interior_exterior": _SETTINGS.get(scene.interior_exterior, ""),
        "time_of_day": scene.time_of_day.lower(),
        "action": " ".join(scene.action.split()),
        "characters": ", ".join(readable(name) for name in scene.characters),
    }
    if shot is not None:
        fields |= {
            "subject": shot.description,
            "shot_size": shot.shot_size,
            "camera_angle": shot.camera_angle,
        }
    return {name: value for name, value in fields.items() if value}

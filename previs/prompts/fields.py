"""The placeholders a template may use, per kind, and how a scene, shot or costume fills them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from previs.errors import InvalidRequest
from previs.scenes import Scene, Shot
from previs.scenes.headings import readable

KINDS: tuple[str, ...] = ("set", "costume", "storyboard")
"""One template per kind: the three departments' frames."""

STYLE_FIELD = "style"
"""Filled from the chosen style preset's prompt text."""

_SCENE_FIELDS = frozenset({"setting", "location", "time_of_day", STYLE_FIELD})
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "set": _SCENE_FIELDS | {"action"},
    "costume": _SCENE_FIELDS | {"garment", "fabric", "palette", "period", "character"},
    "storyboard": _SCENE_FIELDS | {"shot", "shot_size", "camera_angle", "characters", "action"},
}
"""Placeholders allowed in each kind of template; a template using another name fails to load."""

_SETTINGS = {"INT": "interior", "EXT": "exterior", "INT/EXT": "interior and exterior"}
# Shot vocabulary → words a text encoder was trained on.
_ANGLE_WORDS = {"dutch": "dutch angle", "POV": "point-of-view shot", "over the shoulder": "over-the-shoulder shot"}


@dataclass(frozen=True)
class CostumeDetails:
    """What a costume designer asks for; only ``garment`` is required ("a belted trench coat")."""

    garment: str
    fabric: str = ""
    palette: str = ""
    period: str = ""
    character: str = ""

    def __post_init__(self) -> None:
        for name in ("garment", "fabric", "palette", "period", "character"):
            if not isinstance(getattr(self, name), str):
                raise InvalidRequest(f"costume {name} must be text, got {type(getattr(self, name)).__name__}")
        if not self.garment.strip():
            raise InvalidRequest("costume garment is empty; name the garment, e.g. 'a belted trench coat'")


def request_fields(
    kind: str, scene: Scene | None, shot: Shot | None, costume: CostumeDetails | None, style_text: str
) -> dict[str, str]:
    """The placeholder values for one request, whitespace-normalised; checks the inputs fit the kind.

    Shouted heading text is re-cased ("HARBOUR WAREHOUSE" → "Harbour Warehouse") and INT/EXT spelled out,
    because text encoders read words, not screenplay conventions. A storyboard frame names the shot's
    characters (who is in frame), and leaves out setting, location or time the shot's description already says.
    """
    _check_inputs(kind, scene, shot, costume)
    values = {STYLE_FIELD: style_text}
    if scene is not None:
        values |= {
            "setting": _SETTINGS.get(scene.int_ext, ""),
            "location": readable(scene.location),
            "time_of_day": scene.time_of_day.lower(),
            "action": scene.action,
            "characters": ", ".join(readable(name) for name in scene.characters),
        }
    if shot is not None:
        values |= {
            "shot": shot.description,
            "shot_size": shot.size,
            "camera_angle": _ANGLE_WORDS.get(shot.angle, shot.angle),
            "characters": ", ".join(readable(name) for name in shot.characters),
        }
        values |= {name: "" for name in ("setting", "location", "time_of_day") if _says(shot.description, values[name])}
    if costume is not None:
        values |= {
            "garment": costume.garment,
            "fabric": costume.fabric,
            "palette": costume.palette,
            "period": costume.period,
            "character": readable(costume.character),
        }
    return {name: " ".join(value.split()) for name, value in values.items() if name in PLACEHOLDERS[kind]}


def _says(description: str, value: str) -> bool:
    """Whether the shot's description already says ``value`` (whole words, any case): then it is not repeated."""
    return bool(value.strip()) and re.search(rf"(?<!\w){re.escape(value.strip())}(?!\w)", description, re.I) is not None


def _check_inputs(kind: str, scene: Scene | None, shot: Shot | None, costume: CostumeDetails | None) -> None:
    """Refuse combinations that would silently ignore an input or leave the frame without a subject."""
    if kind not in KINDS:
        raise InvalidRequest(f"kind {kind!r} is not one of: {', '.join(KINDS)}")
    if kind in ("set", "storyboard") and scene is None:
        raise InvalidRequest(f"a {kind} prompt needs a scene or a description of one")
    if (shot is not None) != (kind == "storyboard"):
        raise InvalidRequest(
            "a storyboard frame needs a shot: pick one from breakdown_shots(scene)"
            if shot is None
            else f"a shot only applies to storyboard frames, not to a {kind} prompt"
        )
    if (costume is not None) != (kind == "costume"):
        raise InvalidRequest(
            "a costume concept needs costume details, at least the garment"
            if costume is None
            else f"costume details only apply to costume concepts, not to a {kind} prompt"
        )
    if shot is not None:
        shot.validate()

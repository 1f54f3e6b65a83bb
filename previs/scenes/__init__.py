"""Screenplays and scene descriptions → scenes → shots.

``load_screenplay`` checks and imports an uploaded Fountain file (``parse_fountain`` takes text already in
hand), ``parse_description`` turns free text into a scene, and ``breakdown_shots`` proposes a first shot list.
Every refusal is a ScriptImportError (or InvalidRequest for a bad shot) whose message says how to fix it.
"""

from previs.scenes.description import parse_description
from previs.scenes.fountain import parse_fountain
from previs.scenes.model import (
    ASPECT_RATIOS,
    CAMERA_ANGLES,
    CAMERA_MOVEMENTS,
    DEFAULT_ASPECT,
    DEFAULT_LENS_MM,
    INT_EXT,
    LENS_RANGE_MM,
    SHOT_SIZES,
    DialogueLine,
    Scene,
    Screenplay,
    Shot,
    aspect_ratio,
    validate_shots,
)
from previs.scenes.shots import DEFAULT_MAX_SHOTS, Breakdown, breakdown, breakdown_shots
from previs.scenes.upload import MAX_SCRIPT_BYTES, ScriptSource, load_screenplay

__all__ = [
    "ASPECT_RATIOS",
    "CAMERA_ANGLES",
    "CAMERA_MOVEMENTS",
    "DEFAULT_ASPECT",
    "DEFAULT_LENS_MM",
    "DEFAULT_MAX_SHOTS",
    "INT_EXT",
    "LENS_RANGE_MM",
    "MAX_SCRIPT_BYTES",
    "SHOT_SIZES",
    "Breakdown",
    "DialogueLine",
    "Scene",
    "Screenplay",
    "ScriptSource",
    "Shot",
    "aspect_ratio",
    "breakdown",
    "breakdown_shots",
    "load_screenplay",
    "parse_description",
    "parse_fountain",
    "validate_shots",
]

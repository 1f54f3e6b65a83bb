"""Screenplays and scene descriptions → scenes → shots.

``parse_fountain``/``load_screenplay`` import Fountain scripts (screenplain does the classification),
``parse_description`` turns free text into a scene, and ``breakdown_shots`` proposes a first shot list.
"""

from previs.scenes.description import parse_description
from previs.scenes.fountain import parse_fountain
from previs.scenes.model import CAMERA_ANGLES, SHOT_SIZES, DialogueLine, Scene, Screenplay, Shot
from previs.scenes.shots import breakdown_shots
from previs.scenes.upload import load_screenplay

__all__ = [
    "CAMERA_ANGLES",
    "SHOT_SIZES",
    "DialogueLine",
    "Scene",
    "Screenplay",
    "Shot",
    "breakdown_shots",
    "load_screenplay",
    "parse_description",
    "parse_fountain",
]

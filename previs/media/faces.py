"""Faces in pictures: where they are and a 128-number descriptor of each, offline. The only importer of dlib.

dlib's HOG frontal-face detector, its 5-point shape predictor and its ResNet face descriptor, with the weights
that ship inside the ``face-recognition-models`` wheel (found by path: that package's ``__init__`` imports
``pkg_resources``, which current setuptools no longer has, so it is never imported). Two descriptors of one person
lie closer than ``MATCH_DISTANCE`` (Euclidean; dlib's own threshold, 99.38% on LFW).

Pictures whose shorter side is under ``UPSAMPLE_BELOW`` are searched at twice their size, so a face of about 40
pixels is found in a 512x512 frame (80 pixels at 1024x1024). A detection scoring under ``CLEAR_SCORE`` is still
matched against the registry (a weak face of a registered performer is still theirs), but does not count as a
person of its own (a reference photo's one face, an unregistered face in a fitting photo): HOG finds faces in
badges and patterns at low scores.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlib
import numpy as np
from PIL import Image

from previs.errors import ModelUnavailable

MATCH_DISTANCE = 0.6
CLEAR_SCORE = 0.5
UPSAMPLE_BELOW = 800
DESCRIPTOR_SIZE = 128
_MODELS_PACKAGE = "face_recognition_models"
_SHAPE_MODEL = "shape_predictor_5_face_landmarks.dat"
_DESCRIPTOR_MODEL = "dlib_face_recognition_resnet_model_v1.dat"


@dataclass(frozen=True)
class Face:
    """One face found in a picture: its box (left, top, width, height), the detector's score, its descriptor."""

    box: tuple[int, int, int, int]
    score: float
    descriptor: np.ndarray[Any, np.dtype[np.float32]]

    @property
    def clear(self) -> bool:
        """A face the detector is sure of: counted as a person (a weak one is only matched)."""
        return self.score >= CLEAR_SCORE


class _Models:
    """The three dlib models, loaded on first use (about 100 MB read once per process). dlib's models are not
    documented as thread-safe, so one search runs at a time."""

    def __init__(self) -> None:
        spec = importlib.util.find_spec(_MODELS_PACKAGE)
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        if not folders:
            raise ModelUnavailable(f"the face models are not installed: pip install face-recognition-models "
                              f"(the package {_MODELS_PACKAGE!r} holds the weights previs searches faces with)")
        models = Path(folders[0]) / "models"
        self.detector = dlib.get_frontal_face_detector()
        self.shapes = dlib.shape_predictor(str(models / _SHAPE_MODEL))
        self.descriptors = dlib.face_recognition_model_v1(str(models / _DESCRIPTOR_MODEL))
        self.lock = threading.Lock()


_loaded: _Models | None = None
_loading = threading.Lock()


def _models() -> _Models:
    global _loaded
    with _loading:
        if _loaded is None:
            _loaded = _Models()
        return _loaded


def find_faces(image: Image.Image) -> list[Face]:
    """Every face in ``image`` (any mode), best score first, each with its descriptor."""
    pixels = np.ascontiguousarray(np.asarray(image.convert("RGB")))
    upsample = 1 if min(image.size) < UPSAMPLE_BELOW else 0
    models = _models()
    with models.lock:
        boxes, scores, _kinds = models.detector.run(pixels, upsample, 0.0)
        found = []
        for box, score in zip(boxes, scores, strict=True):
            shape = models.shapes(pixels, box)
            descriptor = np.asarray(models.descriptors.compute_face_descriptor(pixels, shape), dtype=np.float32)
            found.append(Face((box.left(), box.top(), box.width(), box.height()), float(score), descriptor))
    return sorted(found, key=lambda face: -face.score)


class Gallery:
    """Registered descriptors as one matrix, so a face is matched against every one of them in one numpy step
    (a 1,000-performer registry is a 1,000x128 subtraction)."""

    def __init__(self, owners: Sequence[int], descriptors: Sequence[np.ndarray[Any, np.dtype[np.float32]]]):
        self.owners = np.asarray(owners, dtype=np.int64)
        self._matrix = (np.stack(descriptors).astype(np.float32) if descriptors
                        else np.zeros((0, DESCRIPTOR_SIZE), np.float32))

    def __len__(self) -> int:
        return len(self.owners)

    def nearest(self, face: Face) -> tuple[int, float] | None:
        """The owner whose descriptor is nearest ``face``, and its distance, or None when the gallery is empty."""
        if not len(self):
            return None
        each = np.linalg.norm(self._matrix - face.descriptor, axis=1)
        index = int(np.argmin(each))
        return int(self.owners[index]), float(each[index])


def descriptor_bytes(face: Face) -> bytes:
    """A descriptor as stored: 128 little-endian float32."""
    return np.asarray(face.descriptor, dtype="<f4").tobytes()


def descriptor_from_bytes(data: bytes) -> np.ndarray[Any, np.dtype[np.float32]]:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)

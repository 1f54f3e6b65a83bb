"""Faces against the registry (issue #16, the face half): performers' reference faces, and what a face in a
request's picture means for the gate. Finding faces and their descriptors is ``previs/media/faces.py``.

A face in a picture is matched to the registered performer with the nearest reference descriptor, when it is
nearer than ``MATCH_DISTANCE``. A prompt can be disguised in ways no text rule anticipates; pixels cannot: a
registered performer's face needs one of their uses cleared, whatever name was typed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from PIL import Image

from previs.consent.likeness import FaceMatch
from previs.errors import UploadRejected
from previs.media.faces import MATCH_DISTANCE, Face, Gallery, descriptor_from_bytes, find_faces
from previs.storage import UnitOfWork

FACE_IN_INPUT = "face in input"
FACE_IN_OUTPUT = "face in output"


class FaceBook:
    """The registry's reference faces as one ``Gallery``, kept per process and read again when photos were added
    (by this process or another: the newest photo's id and the count are checked, one aggregate query)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._gallery = Gallery([], [])

    def gallery(self, work: UnitOfWork) -> Gallery:
        version = work.consent.photos_version()
        with self._lock:
            if version != self._version:
                rows = work.consent.photo_descriptors()
                self._gallery = Gallery([row[0] for row in rows], [descriptor_from_bytes(row[1]) for row in rows])
                self._version = version
            return self._gallery


def reference_face(image: Image.Image, what: str) -> Face:
    """The one face of a reference photo, or a one-line refusal: none found, or several."""
    faces = [face for face in find_faces(image) if face.clear]
    if not faces:
        raise UploadRejected(f"The {what} shows no face previs can find; use a sharp, well-lit photo of the "
                             "performer's face, looking at the camera.")
    if len(faces) > 1:
        raise UploadRejected(f"The {what} shows {len(faces)} faces; use a photo of the performer alone.")
    return faces[0]


@dataclass(frozen=True)
class Sighting:
    """A face found in one picture and the registered performer it matched (``performer_id`` None: nobody)."""

    picture: str
    face: Face
    performer_id: int | None
    distance: float | None  # to the nearest reference face; None when the registry has none
    claimed: str | None = None  # the performer the picture is said to show (a fitting's performer photo)

    def evidence(self, names: dict[int, str]) -> FaceMatch:
        """The sighting as the frame record and the audit keep it."""
        performer = None if self.performer_id is None else names[self.performer_id]
        distance = None if self.distance is None else round(self.distance, 4)
        return FaceMatch(self.picture, performer, distance, self.face.box)

    def reason(self) -> str:
        """Why a matched face is a use of the performer's likeness (the use's reason in the record)."""
        return f"face in the {self.picture} matches their reference photo (distance {self.distance:.2f})"


def sightings(picture: str, image: Image.Image, gallery: Gallery, claimed: str | None = None) -> list[Sighting]:
    """Every face in ``image`` matched against ``gallery``."""
    found = []
    for face in find_faces(image):
        nearest = gallery.nearest(face)
        distance = None if nearest is None else nearest[1]
        matched = nearest[0] if nearest is not None and nearest[1] < MATCH_DISTANCE else None
        found.append(Sighting(picture, face, matched, distance, claimed))
    return found

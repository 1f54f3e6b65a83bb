"""Faces in the likeness gate (issue #16, the face half), with real public-domain faces that ship in packages:
scikit-image's ``astronaut`` (Eileen Collins, NASA) and matplotlib's ``grace_hopper.jpg`` (US Navy)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import matplotlib.cbook
import pytest
import skimage.data
from PIL import Image

from previs.access.permissions import Actor, Role
from previs.app.requests import FrameRequest
from previs.app.studio import Studio, open_studio
from previs.errors import ConsentRefused
from previs.fitting.figures import list_figures, load_figure
from previs.fitting.request import FittingRequest
from previs.generation.generator import Generator
from previs.generation.limits import GeneratedImage, GenerationRequest
from previs.media.faces import MATCH_DISTANCE, find_faces
from previs.settings import Settings
from tests.test_cli import in_process

PRODUCER = Actor("priya", Role.PRODUCER)
DESIGNER = Actor("carmen", Role.COSTUME_DESIGNER)
ART_DIRECTOR = Actor("alice", Role.ART_DIRECTOR)
ADMIN = Actor("ada", Role.ADMIN)
SPECIFIC = "costume fittings for the ballroom scene, previs only, not for release"
UNTIL = date.today() + timedelta(days=30)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def hopper() -> Image.Image:
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
        return Image.open(file).convert("RGB")


@pytest.fixture(scope="module")
def collins() -> Image.Image:
    return Image.fromarray(skimage.data.astronaut())


@pytest.fixture
def cast(studio: Studio, hopper: Image.Image) -> Studio:
    """Zoë Okafor registered with a reference photo (Grace Hopper's face), Ann Lee without one; both may be fitted."""
    studio.consent.add_performer("Zoë Okafor", photos=[_png(hopper)], actor=PRODUCER)
    studio.consent.add_performer("Ann Lee", actor=PRODUCER)
    for person in ("Zoë Okafor", "Ann Lee"):
        studio.consent.grant(person, project="Nightfall", uses=["costume_fitting"], description=SPECIFIC,
                             valid_until=UNTIL, actor=PRODUCER)
    return studio


def _fit(studio: Studio, photo: Image.Image, performer: str, actor: Actor = DESIGNER) -> Any:
    return studio.fittings.fit(FittingRequest(garment="wool greatcoat", photo=photo, performer=performer, variants=1,
                                              seed=7), project="Nightfall", actor=actor)


def _refusals(studio: Studio) -> list[Any]:
    return [event for event in studio.consent.audit(actor=PRODUCER) if event.kind == "generation_refused"]


def test_the_two_public_domain_faces_are_found_and_told_apart(hopper: Image.Image, collins: Image.Image) -> None:
    (grace,), (eileen,) = find_faces(hopper), [face for face in find_faces(collins) if face.clear]
    resized = find_faces(hopper.resize((300, 352)))[0]
    assert float(((grace.descriptor - resized.descriptor) ** 2).sum() ** 0.5) < MATCH_DISTANCE
    assert float(((grace.descriptor - eileen.descriptor) ** 2).sum() ** 0.5) > MATCH_DISTANCE


def test_the_built_in_figures_have_no_faces() -> None:
    assert all(find_faces(load_figure(name).image) == [] for name in list_figures())


def test_a_claimed_performer_whose_face_it_is_not_is_refused(cast: Studio, hopper: Image.Image) -> None:
    """Ann Lee has a grant; the photo shows Zoë (registered with her photo): whatever name was typed, refused."""
    with pytest.raises(ConsentRefused, match=r"^refused: the face in the performer photo does not match Ann Lee's "
                                             r"reference photos on record, so their consent cannot cover it"):
        _fit(cast, hopper, "Ann Lee")
    assert "Zoë" not in str(_refused_message(cast, hopper, "Ann Lee"))
    event = _refusals(cast)[-1]
    assert (event.performer, event.detail["check"], event.detail["claimed"]) == ("Zoë Okafor", "face in input",
                                                                                  "Ann Lee")
    assert event.detail["distance"] < MATCH_DISTANCE
    assert cast.frames.list(actor=PRODUCER) == []
    with pytest.raises(ConsentRefused, match=r"\(it matches Zoë Okafor, distance 0\.\d\d\)"):
        _fit(cast, hopper, "Ann Lee", actor=ADMIN)  # who may read the registry is told whose face it is


def _refused_message(studio: Studio, photo: Image.Image, performer: str) -> str:
    with pytest.raises(ConsentRefused) as refused:
        _fit(studio, photo, performer)
    return str(refused.value)


def test_an_unregistered_face_is_refused_for_a_fitting(cast: Studio, collins: Image.Image) -> None:
    message = _refused_message(cast, collins, "Ann Lee")
    assert message.startswith("refused: the performer photo shows a face that matches no registered performer; "
                              "no consent covers an unregistered person's likeness")
    assert "a reference photo for Ann Lee" in message and "previs " not in message and "\n" not in message
    assert _refusals(cast)[-1].detail["check"] == "face in input"


def test_the_granted_performers_own_photo_is_allowed_and_recorded(cast: Studio, hopper: Image.Image) -> None:
    fitting = _fit(cast, hopper, "Zoë Okafor")
    for frame in (*fitting.variants, fitting.board):
        (seen, *_), uses = frame.record.details.faces, frame.record.details.likeness_uses
        assert (seen.picture, seen.performer) == ("performer photo", "Zoë Okafor") and seen.distance < 0.3
        assert [(use.performer, use.use) for use in uses] == [("Zoë Okafor", "costume_fitting")]
        assert frame.record.consent_grants  # the fitting grant, re-checked when stored


class FaceGenerator:
    """A Generator stand-in whose every output is one picture: what a model prompted past the text rules draws."""

    def __init__(self, real: Generator, face: Image.Image):
        self._real, self._face = real, face

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def generate(self, request: GenerationRequest) -> list[GeneratedImage]:
        return [replace(item, image=self._face.resize(item.image.size)) for item in self._real.generate(request)]


@pytest.fixture
def drawing_zoe(settings: Settings, tiny_generator: Generator, hopper: Image.Image) -> Iterator[Studio]:
    studio = open_studio(settings, generator=FaceGenerator(tiny_generator, hopper.crop((0, 0, 512, 512))))
    studio.consent.add_performer("Zoë Okafor", photos=[_png(hopper)], actor=PRODUCER)
    yield studio
    studio.close()


def test_a_generated_frame_showing_a_registered_face_is_caught_before_it_is_stored(drawing_zoe: Studio) -> None:
    ask = FrameRequest(prompt="a lighthouse keeper at dusk", project="Nightfall", width=256, height=256, count=1)
    with pytest.raises(ConsentRefused) as refused:
        drawing_zoe.frames.generate(ask, actor=ART_DIRECTOR)
    message = str(refused.value)
    assert message.startswith("refused: the generated image 1 shows the face of a registered performer who has no "
                              "active consent grant for likeness_reference on project 'Nightfall'; nothing was stored")
    assert "Zoë" not in message and "Okafor" not in message and "\n" not in message
    event = _refusals(drawing_zoe)[-1]
    assert (event.performer, event.detail["check"]) == ("Zoë Okafor", "face in output")
    assert event.detail["distance"] < MATCH_DISTANCE
    assert drawing_zoe.frames.list(actor=PRODUCER) == []
    # With her likeness_reference grant the frame is stored, and its record says whose face it shows, how close.
    grant = drawing_zoe.consent.grant("Zoë Okafor", project="Nightfall", uses=["likeness_reference"],
                                      description=SPECIFIC, valid_until=UNTIL, actor=PRODUCER)
    (frame,) = drawing_zoe.frames.generate(ask, actor=ART_DIRECTOR)
    (seen,) = frame.record.details.faces
    assert (seen.picture, seen.performer) == ("generated image 1", "Zoë Okafor") and seen.distance < MATCH_DISTANCE
    assert frame.record.consent_grants == (grant.id,)
    assert frame.record.details.likeness_uses[0].reason.startswith("face in the generated image 1 matches their "
                                                                   "reference photo (distance 0.")


def test_reference_photos_are_refused_in_one_line(settings: Settings, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  hopper: Image.Image, collins: Image.Image) -> None:
    def cli(*args: str) -> tuple[int, str, str]:
        return in_process(settings, capsys, monkeypatch, *args)

    files = {"blank.png": _png(Image.new("RGB", (256, 256), "grey")), "notes.txt": b"not a picture",
             "pair.png": _png(_side_by_side(hopper, collins)), "grace.png": _png(hopper)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert cli("consent", "add-performer", "Zoë Okafor")[0] == 0
    for name, message in (("blank.png", "shows no face previs can find"), ("pair.png", "shows 2 faces"),
                          ("notes.txt", "is plain text; pictures must be PNG, JPEG or WebP")):
        code, out, err = cli("consent", "add-photo", "Zoë Okafor", str(tmp_path / name))
        assert (code, out) == (1, "") and err.startswith("error: The reference photo ") and message in err
        assert err.count("\n") == 1
    code, out, _ = cli("consent", "add-photo", "Zoë Okafor", str(tmp_path / "grace.png"))
    assert (code, out) == (0, "performer 1: Zoë Okafor (1 reference photo(s))\n")
    code, _, err = cli("consent", "add-performer", "Ann Lee", "--photo", str(tmp_path / "grace.png"))
    assert code == 1 and "already on record as 'Zoë Okafor'" in err and err.count("\n") == 1


def _side_by_side(left: Image.Image, right: Image.Image) -> Image.Image:
    both = Image.new("RGB", (left.width + right.width, max(left.height, right.height)), "white")
    both.paste(left, (0, 0))
    both.paste(right, (left.width, 0))
    return both


def test_a_registry_without_photos_searches_no_output(studio: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_search(*_args: Any) -> None:
        raise AssertionError("faces were searched although no performer has a reference photo")

    monkeypatch.setattr("previs.consent.faces.find_faces", no_search)
    studio.frames.generate(FrameRequest(prompt="a pier at night", project="Nightfall", width=64, height=64,
                                        count=1), actor=ART_DIRECTOR)

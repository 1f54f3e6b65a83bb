"""The facade: frames stored with their record, listed after a restart, bad requests refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from previs.access.permissions import Actor, Role
from previs.app.requests import FrameRequest
from previs.app.studio import Studio, open_studio
from previs.errors import InvalidRequest, ModelUnavailable, NotFound
from previs.generation.generator import Generator
from previs.media.imaging import pixel_sha256, read_png_record, sha256_bytes
from previs.settings import Settings

REQUEST = FrameRequest("abandoned observatory, dusk", seed=7, width=64, height=64, project="Nightfall")


def test_generated_frames_are_stored_with_their_record(studio: Studio) -> None:
    frame = studio.frames.generate(REQUEST, actor=Actor("ana", Role.ART_DIRECTOR))[0]
    data = Path(frame.path).read_bytes()
    assert sha256_bytes(data) == frame.file_sha256
    embedded = read_png_record(data)
    assert embedded == frame.record.to_json()
    assert embedded["created_by"] == "ana" and embedded["project"] == "Nightfall" and embedded["kind"] == "set"
    assert embedded["generation"]["seed"] == 7 and embedded["generation"]["prompt"] == REQUEST.prompt
    from PIL import Image

    with Image.open(frame.path) as image:
        assert pixel_sha256(image) == frame.sha256


def test_equal_requests_give_the_same_picture_in_distinct_files(studio: Studio) -> None:
    first = studio.frames.generate(REQUEST, actor=studio.local_actor)[0]
    second = studio.frames.generate(REQUEST, actor=studio.local_actor)[0]
    assert first.sha256 == second.sha256
    assert first.id != second.id and first.file_sha256 != second.file_sha256
    assert first.record.to_json()["frame_uid"] != second.record.to_json()["frame_uid"]


def test_frames_survive_a_restart(settings: Settings, tiny_generator: Generator) -> None:
    settings.home.mkdir(parents=True)
    before = open_studio(settings, generator=tiny_generator)
    made = before.frames.generate(REQUEST, actor=before.local_actor)
    before.close()
    after = open_studio(settings, generator=tiny_generator)
    assert [frame.id for frame in after.frames.list(project="Nightfall", actor=after.local_actor)] == [made[0].id]
    assert after.frames.get(made[0].id, actor=after.local_actor).sha256 == made[0].sha256


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"project": "../etc"}, "project name"), ({"project": ""}, "project name"), ({"kind": "poster"}, "kind")],
)
def test_bad_requests_are_refused(studio: Studio, changes: dict, message: str) -> None:
    from dataclasses import replace

    with pytest.raises(InvalidRequest, match=message):
        studio.frames.generate(replace(REQUEST, **changes), actor=studio.local_actor)


def test_unknown_frame_and_project_are_not_found(studio: Studio) -> None:
    with pytest.raises(NotFound, match="no frame with id 404"):
        studio.frames.get(404, actor=studio.local_actor)
    with pytest.raises(NotFound, match="no project named 'Ghost'"):
        studio.frames.list(project="Ghost", actor=studio.local_actor)


def test_app_falls_back_to_the_offline_model_only_with_a_warning(settings: Settings) -> None:
    from dataclasses import replace

    studio = open_studio(replace(settings, model="sd15"))
    with pytest.raises(ModelUnavailable):
        studio.models.load()
    status = studio.models.load(fall_back_to_tiny=True)
    assert status.name == "previs-tiny" and status.placeholder and status.loaded
    assert "'sd15'" in status.warning and "placeholder" in status.warning
    made = studio.frames.generate(REQUEST, actor=studio.local_actor)[0]
    assert made.record.to_json()["generation"]["model"]["placeholder"] is True
    studio.close()


def test_model_listing_marks_the_configured_model(studio: Studio) -> None:
    listings = {item.name: item for item in studio.models.listing()}
    assert listings["previs-tiny"].current and listings["previs-tiny"].available_offline
    assert not listings["sdxl"].current and not listings["sdxl"].available_offline

"""The typed frame record reads back every kind of stored record unchanged, and refuses what is not one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from previs import FittingRequest, FrameRecord, FrameRequest, InvalidRequest, Studio
from previs.consent.likeness import FaceMatch
from previs.media.imaging import read_png_record
from tests.test_scene_desk import THREE_SCENES


def _stored_json(studio: Studio, frame_id: int) -> dict:
    with studio.database.unit_of_work() as work:
        return work.frames.get(frame_id).record


def test_every_kind_of_frame_record_round_trips_exactly(studio: Studio) -> None:
    admin = studio.local_actor
    studio.scenes.import_script(THREE_SCENES, project="Lighthouse", actor=admin)
    plain = studio.frames.generate(FrameRequest("harbour at dawn " * 40, seed=1, width=64, height=64), actor=admin)
    styled = studio.frames.generate(FrameRequest(scene="1", style="matte_painting", project="Lighthouse", width=64,
                                                 height=64), actor=admin)
    shot = studio.frames.generate(FrameRequest(scene="2", kind="storyboard", shot=1, project="Lighthouse",
                                               width=64, height=64), actor=admin)
    varied = studio.frames.vary(plain[0].id, count=1, seed=4, changes="more fog", actor=admin)
    fitting = studio.fittings.fit(FittingRequest("tailcoat", region="headwear", variants=1, seed=3),
                                  project="Ballroom", actor=admin)
    frames = [*plain, *styled, *shot, *varied, *fitting.variants, fitting.board]
    for frame in frames:
        stored = _stored_json(studio, frame.id)
        assert frame.record.to_json() == stored, f"frame {frame.id} ({frame.kind}) reads back changed"
        with open(frame.path, "rb") as file:
            assert read_png_record(file.read()) == stored
    assert plain[0].record.details.prompt_fit and styled[0].record.style == "matte_painting"
    assert shot[0].record.details.shot is not None and shot[0].record.details.shot.order == 1
    assert varied[0].record.parent_frame_id == plain[0].id and varied[0].record.details.changes == "more fog"
    assert fitting.board.record.composed and fitting.board.record.generation.mode == "composition"
    assert fitting.board.record.details.fitting is not None and fitting.board.record.details.fitting.board


@pytest.mark.parametrize("broken", [{}, {"frame_uid": "x"}, {"generation": "not a record"}])
def test_what_is_not_a_frame_record_is_refused_with_a_message(broken: dict) -> None:
    with pytest.raises(InvalidRequest, match="not a previs frame record"):
        FrameRecord.from_json(broken)


def test_the_face_decisions_round_trip(studio: Studio) -> None:
    """The faces the gate found (whom each matched, the distance, the box) read back as they were written."""
    (frame,) = studio.frames.generate(FrameRequest("harbour at dawn", seed=1, width=64, height=64),
                                      actor=studio.local_actor)
    faces = (FaceMatch("performer photo", "Zoë Okafor", 0.2131, (10, 20, 88, 88)),
             FaceMatch("generated image 1", None, 0.7342, (1, 2, 3, 4)), FaceMatch("frame 3", None, None, (0, 0, 9, 9)))
    record = replace(frame.record, details=replace(frame.record.details, faces=faces))
    assert FrameRecord.from_json(record.to_json()) == record
    assert record.to_json()["faces"][0] == {"picture": "performer photo", "performer": "Zoë Okafor",
                                            "distance": 0.2131, "box": (10, 20, 88, 88)}

"""Producer review: decisions kept in order, the pending queue, roles, and the CLI."""

from __future__ import annotations

import json

import pytest

from previs.access.permissions import Actor, Role
from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.errors import InvalidRequest, NotFound, PermissionDenied
from tests.test_cli import in_process

PRODUCER = Actor("priya", Role.PRODUCER)


def make_frames(studio: Studio, count: int = 2) -> list[int]:
    request = FrameRequest("a lighthouse in fog", seed=4, count=count, width=64, height=64, project="Nightfall")
    return [frame.id for frame in studio.frames.generate(request, actor=studio.local_actor)]


def test_the_history_is_kept_in_order_and_the_newest_decides(studio: Studio) -> None:
    frame_id = make_frames(studio, 1)[0]
    studio.reviews.review(frame_id, "changes requested", comment="warmer light, less fog", actor=PRODUCER)
    studio.reviews.review(frame_id, "pending", comment="redrawing", actor=PRODUCER)
    studio.reviews.review(frame_id, "approved", actor=Actor("ada", Role.ADMIN))
    history = studio.reviews.history(frame_id, actor=PRODUCER)
    assert [(item.status, item.author) for item in history] == [
        ("changes_requested", "priya"), ("pending", "priya"), ("approved", "ada")]
    assert history[0].comment == "warmer light, less fog"
    assert studio.frames.get(frame_id, actor=studio.local_actor).review == "approved"


def test_the_pending_queue_holds_frames_without_a_decision(studio: Studio) -> None:
    first, second = make_frames(studio)
    assert studio.reviews.pending(actor=PRODUCER) == [first, second]
    studio.reviews.review(first, "rejected", comment="wrong period", actor=PRODUCER)
    assert studio.reviews.pending(actor=PRODUCER) == [second]


@pytest.mark.parametrize(("status", "comment", "error", "message"), [
    ("maybe", "", InvalidRequest, "unknown review status"),
    ("rejected", " ", InvalidRequest, "needs a comment"),
    ("changes_requested", "", InvalidRequest, "needs a comment"),
])
def test_bad_reviews_are_refused(studio: Studio, status: str, comment: str, error: type, message: str) -> None:
    frame_id = make_frames(studio, 1)[0]
    with pytest.raises(error, match=message):
        studio.reviews.review(frame_id, status, comment=comment, actor=PRODUCER)
    assert studio.reviews.history(frame_id, actor=PRODUCER) == []


def test_only_producers_and_admins_review(studio: Studio) -> None:
    frame_id = make_frames(studio, 1)[0]
    with pytest.raises(PermissionDenied, match="review frames"):
        studio.reviews.review(frame_id, "approved", actor=Actor("art", Role.ART_DIRECTOR))
    with pytest.raises(NotFound):
        studio.reviews.review(9999, "approved", actor=PRODUCER)


def test_the_queue_as_frames_leaves_out_decided_and_withdrawn_frames(studio: Studio) -> None:
    first, second, third = make_frames(studio, 3)
    studio.reviews.review(first, "approved", actor=PRODUCER)
    with studio.database.unit_of_work() as work:
        work.frames.get(third).status = "consent_withdrawn"
    frames = studio.frames.pending(project="Nightfall", actor=PRODUCER)
    assert [(frame.id, frame.project, frame.review) for frame in frames] == [(second, "Nightfall", "pending")]
    assert studio.frames.pending(project="Elsewhere", actor=PRODUCER) == []


def test_cli_review_and_pending(settings, capsys, monkeypatch) -> None:
    code, out, _ = in_process(settings, capsys, monkeypatch, "generate", "--prompt", "fog", "--count", "2",
                              "--size", "64x64", "--json")
    first, second = (frame["id"] for frame in json.loads(out))
    code, out, _ = in_process(settings, capsys, monkeypatch, "review", str(first), "--status", "approved",
                              "--comment", "lovely", "--json")
    assert code == 0 and json.loads(out)["review"]["status"] == "approved"
    code, out, _ = in_process(settings, capsys, monkeypatch, "review", "--pending", "--json")
    assert code == 0 and [frame["id"] for frame in json.loads(out)] == [second]
    code, _, err = in_process(settings, capsys, monkeypatch, "review", str(second))
    assert code == 1 and "--status" in err

"""Producer review: decisions kept in order, the pending queue, roles, and the CLI."""

from __future__ import annotations

import json

import pytest

from previs.access.permissions import Actor, Role
from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.errors import InvalidRequest, NotFound, PermissionDenied
from previs.ui import review as review_tab
from tests.test_cli import in_process
from tests.ui_support import project

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
    queue = json.loads(out)
    assert code == 0 and [frame["id"] for frame in queue["frames"]] == [second]
    assert queue["waiting"] == 1 and queue["next_after"] == second
    code, _, err = in_process(settings, capsys, monkeypatch, "review", str(second))
    assert code == 1 and "--status" in err


def test_the_queue_pages_from_the_oldest(studio: Studio) -> None:
    first, second, third, fourth = make_frames(studio, 4)
    studio.reviews.review(second, "approved", actor=PRODUCER)
    studio.reviews.review(third, "rejected", comment="wrong period", actor=PRODUCER)
    studio.reviews.review(third, "pending", comment="redrawn, look again", actor=PRODUCER)  # waiting again
    studio.reviews.review(fourth, "pending", comment="a note only", actor=PRODUCER)
    assert studio.reviews.pending(limit=2, actor=PRODUCER) == [first, third]
    assert studio.reviews.pending(after=third, limit=2, actor=PRODUCER) == [fourth]
    assert studio.reviews.pending(after=fourth, actor=PRODUCER) == []
    assert studio.reviews.waiting(actor=PRODUCER) == 3
    assert studio.reviews.waiting(project="Elsewhere", actor=PRODUCER) == 0
    assert [frame.id for frame in studio.frames.pending(after=first, limit=1, actor=PRODUCER)] == [third]
    with pytest.raises(InvalidRequest, match="page size 0 is out of range"):
        studio.reviews.pending(limit=0, actor=PRODUCER)


def test_the_oldest_waiting_frame_is_on_the_first_page_however_many_are_newer(studio: Studio) -> None:
    """The queue used to take the newest 10,000 frames and sort those: older waiting frames were never shown."""
    with studio.database.unit_of_work() as work:
        project = work.projects.get_or_create("Bulk").id
        work.frames.add_many([{"project_id": project, "kind": "set", "sha256": f"{number:064x}",
                               "file_sha256": f"{number:064x}", "path": f"frames/{number}.png", "width": 64,
                               "height": 64, "seed": number, "model": "bulk", "record": {}, "created_by": "t"}
                              for number in range(10_050)])
        oldest = work.frames.list(project="Bulk", limit=10_050)[-1].id
    assert studio.reviews.pending(project="Bulk", limit=3, actor=PRODUCER) == [oldest, oldest + 1, oldest + 2]
    assert studio.reviews.waiting(project="Bulk", actor=PRODUCER) == 10_050


def test_cli_pages_the_queue_and_says_how_many_wait(settings, capsys, monkeypatch) -> None:
    code, out, _ = in_process(settings, capsys, monkeypatch, "generate", "--prompt", "fog", "--count", "3",
                              "--size", "64x64", "--json")
    first, second, third = (frame["id"] for frame in json.loads(out))
    code, out, _ = in_process(settings, capsys, monkeypatch, "review", "--pending", "--limit", "2")
    lines = out.splitlines()
    assert code == 0 and [int(line.split()[0]) for line in lines[:2]] == [first, second]
    assert lines[2] == f"2 shown of 3 waiting for review; the next page: previs review --pending --after {second} " \
        "--limit 2"
    code, out, _ = in_process(settings, capsys, monkeypatch, "review", "--pending", "--after", str(second), "--json")
    assert [frame["id"] for frame in json.loads(out)["frames"]] == [third]
    code, out, _ = in_process(settings, capsys, monkeypatch, "review", "--pending", "--after", str(third))
    assert out.strip() == f"3 waiting for review, none after frame {third}"
    code, _, err = in_process(settings, capsys, monkeypatch, "review", "--pending", "--limit", "5000")
    assert code == 1 and "page size 5000 is out of range: use 1 to 1000" in err


def test_the_review_tab_pages_the_queue(ui_studio: Studio, pat, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review_tab, "PAGE", 2)
    name = project()
    request = FrameRequest("a lighthouse in fog", seed=4, count=3, width=64, height=64, project=name)
    first, second, third = (frame.id for frame in ui_studio.frames.generate(request, actor=ui_studio.local_actor))

    def ids(items: list[dict]) -> list[int]:
        return [int(item["caption"].split(" · ")[0].removeprefix("frame ")) for item in items]

    assert ids(pat.predict(name, api_name="/pending_reviews")) == [first, second]
    assert ids(pat.predict(name, api_name="/next_reviews")) == [third]
    *_, items = pat.predict(str(third), "approved", "", name, api_name="/review_frame")
    assert items == []  # the same page again, now empty
    assert ids(pat.predict(name, api_name="/next_reviews")) == [first, second]  # from the oldest again

"""Producer review: approve a frame, send it back with changes, reject it, or comment — as a kept history.

A frame's status is its newest review (no review: pending). A shot's *select* is the frame of that shot
approved most recently whose own newest review is still an approval; approving another frame of the shot
replaces it, and sheets print selects where they exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from previs.access.permissions import Action, Actor
from previs.errors import InvalidRequest, NotFound
from previs.storage import Database, Frame, UnitOfWork
from previs.storage.tables import Review

STATUSES = ("pending", "approved", "changes_requested", "rejected")
NEEDS_COMMENT = ("changes_requested", "rejected")
DECIDED = tuple(status for status in STATUSES if status != "pending")  # a frame whose newest review is one is done
PAGE, MAX_PAGE = 200, 1000  # frames per page of the queue: by default, at most


@dataclass(frozen=True)
class ReviewInfo:
    id: int
    frame_id: int
    status: str
    comment: str
    author: str
    created_at: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def review_info(row: Review) -> ReviewInfo:
    return ReviewInfo(row.id, row.frame_id, row.status, row.comment, row.author,
                      row.created_at.isoformat(timespec="seconds"))


def check_status(status: str) -> str:
    value = status.strip().lower().replace(" ", "_").replace("-", "_")
    if value not in STATUSES:
        raise InvalidRequest(f"unknown review status {status!r}: use one of {', '.join(STATUSES)}")
    return value


def current_statuses(work: UnitOfWork, frame_ids: Sequence[int]) -> dict[int, str]:
    latest = work.reviews.latest(frame_ids)
    return {frame_id: latest[frame_id].status if frame_id in latest else "pending" for frame_id in frame_ids}


def select_of(work: UnitOfWork, frames: Sequence[Frame]) -> Frame | None:
    """The shot's select among its (active) frames, or None when no frame is approved now."""
    latest = work.reviews.latest([frame.id for frame in frames])
    approved = [frame for frame in frames if frame.id in latest and latest[frame.id].status == "approved"]
    return max(approved, key=lambda frame: latest[frame.id].id, default=None)


class ReviewDesk:
    """The producer's side of the facade: review, history, the pending queue."""

    def __init__(self, database: Database):
        self.database = database

    def review(self, frame_id: int, status: str, *, comment: str = "", actor: Actor) -> ReviewInfo:
        actor.require(Action.REVIEW)
        status = check_status(status)
        comment = comment.strip()
        if status in NEEDS_COMMENT and not comment:
            raise InvalidRequest(f"{status.replace('_', ' ')} needs a comment saying what should change")
        if len(comment) > 4000:
            raise InvalidRequest("a review comment is limited to 4000 characters")
        with self.database.unit_of_work() as work:
            frame = work.frames.get(frame_id)
            if frame.status != "active":
                raise NotFound(f"frame {frame_id} is withdrawn: the consent it relied on was revoked or expired")
            row = work.reviews.add(frame_id=frame.id, status=status, comment=comment, author=actor.name,
                                   created_at=datetime.now(UTC))
            return review_info(row)

    def history(self, frame_id: int, *, actor: Actor) -> list[ReviewInfo]:
        actor.require(Action.VIEW)
        with self.database.unit_of_work() as work:
            work.frames.get(frame_id)
            return [review_info(row) for row in work.reviews.history(frame_id)]

    def pending(self, *, project: str | None = None, after: int = 0, limit: int = PAGE, actor: Actor) -> list[int]:
        """Ids of active frames waiting for a decision (no review yet, or newest review 'pending'), oldest first:
        one page of at most ``limit``, from the frame after ``after`` (the last id of the previous page).

        The database selects the page (``ReviewRepository.undecided``), so nothing is read of the frames not
        shown and the oldest waiting frame is always on the first page, however many are newer.
        """
        actor.require(Action.VIEW)
        check_page(after, limit)
        with self.database.unit_of_work() as work:
            return list(work.reviews.undecided(DECIDED, project=project, after=after, limit=limit))

    def waiting(self, *, project: str | None = None, actor: Actor) -> int:
        """How many frames the queue holds over all its pages (of ``project``, or all)."""
        actor.require(Action.VIEW)
        with self.database.unit_of_work() as work:
            return work.reviews.count_undecided(DECIDED, project=project)


def check_page(after: int, limit: int) -> None:
    """A page of the queue: from after a frame id (0: the oldest), at most MAX_PAGE frames."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"page size {limit} is out of range: use 1 to {MAX_PAGE}")
    if after < 0:
        raise InvalidRequest(f"page start {after} is not a frame id: give the last frame id of the previous page, "
                             "or 0 for the oldest")

"""The Review tab: the producer's queue of frames waiting for a decision, a page at a time from the oldest; open
one, decide, see its history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from previs.access.permissions import Actor
from previs.app.requests import FrameInfo
from previs.app.reviews import PAGE, ReviewInfo
from previs.ui.context import UiContext
from previs.ui.inputs import GALLERY_BUTTONS, chosen_id, gallery_choice

# (label, status): a comment alone leaves the frame pending, with the note kept in its history.
DECISIONS = (("Approve", "approved"), ("Request changes", "changes_requested"), ("Reject", "rejected"),
             ("Comment only (stays pending)", "pending"))
PICK_FRAME = "click a frame in the queue, or type its number"

# What the queue shows: the gallery items, the ids of the frames shown (in gallery order) and where the page
# starts (after this frame id; 0: the oldest).
Queue = tuple[list[tuple[str, str]], list[int], int]
# What opening a frame shows: its picture, its details and its review history.
Opened = tuple[str, dict[str, Any], list[dict[str, Any]]]
# What a decision shows: what was recorded, the frame's history, and the queue's page again.
Decided = tuple[str, list[dict[str, Any]], list[tuple[str, str]], list[int], int]


def _shot(frame: FrameInfo) -> str:
    """Where in the script the frame belongs ("scene 4, shot 2"), from its record; "" for a free concept."""
    scene, shot = frame.record.details.scene, frame.record.details.shot
    parts = [f"scene {scene.number}" if scene else "", f"shot {shot.order}" if shot else ""]
    return ", ".join(part for part in parts if part)


def _caption(frame: FrameInfo) -> str:
    return " · ".join(part for part in (f"frame {frame.id}", frame.project, frame.kind, _shot(frame)) if part)


def _details(frame: FrameInfo) -> dict[str, Any]:
    """What the producer decides on. No "path" key: Gradio would take such a dict for a file to serve."""
    generation = frame.record.generation
    return {
        "frame": frame.id, "project": frame.project, "kind": frame.kind, "shot": _shot(frame) or None,
        "review": frame.review, "prompt": generation.prompt, "seed": frame.seed, "model": frame.model,
        "size": f"{frame.width}x{frame.height}", "created_by": frame.created_by, "created_at": frame.created_at,
    }


def _history(reviews: list[ReviewInfo]) -> list[dict[str, Any]]:
    return [review.to_json() for review in reviews]


def _count(shown: int, waiting: int, after: int) -> str:
    """How many wait in all, and which of them the page shows."""
    if not waiting:
        return "Nothing is waiting for review."
    if not shown:
        return f"{waiting} waiting for review, none after frame {after}: *Next page* starts again from the oldest."
    where = "from the oldest" if not after else f"after frame {after}"
    return f"{waiting} waiting for review" + (f"; {shown} shown, {where}." if shown < waiting else ".")


def _queue(frames: list[FrameInfo], after: int) -> Queue:
    return [(frame.path, _caption(frame)) for frame in frames], [frame.id for frame in frames], after


def build(ui: UiContext) -> Callable[[gr.Tab], object]:
    """Lay out the tab and wire its events to the facade (Studio.frames.pending, get_frame, reviews)."""
    studio = ui.studio

    def page(actor: Actor, project: str, after: int) -> Queue:
        return _queue(studio.frames.pending(project=project.strip() or None, after=after, limit=PAGE, actor=actor),
                      after)

    def pending_reviews(actor: Actor, project: str) -> Queue:
        """The first page of frames waiting for a decision, oldest first (all projects when the box is blank)."""
        return page(actor, project, 0)

    def next_reviews(actor: Actor, project: str, shown_ids: list[int]) -> Queue:
        """The page after the frames shown (the first page again when none are shown)."""
        return page(actor, project, shown_ids[-1] if shown_ids else 0)

    def waiting(actor: Actor, project: str, shown_ids: list[int], after: int) -> str:
        """The count above the gallery (its own event, so the queue's endpoints answer with the frames alone)."""
        return _count(len(shown_ids), studio.reviews.waiting(project=project.strip() or None, actor=actor), after)

    def review_details(actor: Actor, frame: str) -> Opened:
        """A frame's picture, what made it, and every decision on it so far."""
        frame_id = chosen_id(frame, "frame", PICK_FRAME)
        info = studio.frames.get(frame_id, actor=actor)
        return info.path, _details(info), _history(studio.reviews.history(frame_id, actor=actor))

    def review_frame(actor: Actor, frame: str, status: str, comment: str, project: str, after: int) -> Decided:
        """Record a decision (producers and admins only); the page is shown again without decided frames."""
        frame_id = chosen_id(frame, "frame", PICK_FRAME)
        decision = studio.reviews.review(frame_id, status or "", comment=comment, actor=actor)
        said = f": {decision.comment}" if decision.comment else ""
        what = (f"comment by {decision.author} (still pending)" if not status or status == "pending"
                else f"{decision.status.replace('_', ' ')} by {decision.author}")
        return (f"Frame {frame_id}: {what}{said}",
                _history(studio.reviews.history(frame_id, actor=actor)), *page(actor, project, after))

    with gr.Row():
        with gr.Column(scale=3):
            with gr.Row():
                project = gr.Textbox(label="Project", placeholder="all projects", elem_id="review-project")
                refresh = gr.Button("Show the queue", scale=0, elem_id="review-refresh")
                next_page = gr.Button("Next page", scale=0, elem_id="review-next")
            count = gr.Markdown(elem_id="review-count")
            queue = gr.Gallery(label="Waiting for review", columns=3, height="auto", elem_id="review-queue",
                               buttons=GALLERY_BUTTONS)
        with gr.Column(scale=2):
            with gr.Row():
                frame = gr.Textbox(label="Frame", placeholder="click a frame", elem_id="review-frame")
                open_button = gr.Button("Open", scale=0, elem_id="review-open")
            picture = gr.Image(label="Frame", type="filepath", interactive=False, elem_id="review-image")
            details = gr.JSON(label="What made it", elem_id="review-details")
            status = gr.Radio(list(DECISIONS), label="Decision", elem_id="review-status")
            comment = gr.Textbox(label="Comment", lines=2, elem_id="review-comment",
                                 placeholder="what should change (needed to request changes or reject)")
            submit = gr.Button("Record the decision", variant="primary", elem_id="review-submit")
            result = gr.Textbox(label="Result", interactive=False, elem_id="review-result")
            history = gr.JSON(label="Review history", elem_id="review-history")
    shown_ids = gr.State([])
    page_after = gr.State(0)  # where the page shown starts, so a decision shows the same page again
    shown = [queue, shown_ids, page_after]

    def then_count(event: Any) -> None:
        event.then(ui.handler(waiting), [project, shown_ids, page_after], [count], api_visibility="private")

    then_count(gr.on([refresh.click, project.submit], ui.handler(pending_reviews), [project], shown,
                     api_name="pending_reviews"))
    then_count(next_page.click(ui.handler(next_reviews), [project, shown_ids], shown, api_name="next_reviews"))
    opened = [picture, details, history]
    open_button.click(ui.handler(review_details), [frame], opened, api_name="review_details")
    queue.select(gallery_choice, [shown_ids], [frame], api_visibility="private", queue=False).then(
        ui.handler(review_details), [frame], opened, api_visibility="private")
    then_count(submit.click(ui.handler(review_frame), [frame, status, comment, project, page_after],
                            [result, history, *shown], api_name="review_frame"))
    return lambda tab: then_count(tab.select(ui.handler(pending_reviews), [project], shown, api_visibility="private"))

"""The Library tab: every frame the user may see, newest first, filtered and paged; open one to read its record
and lineage, and vary, export or verify it from there (the parent of a variation stays in the library)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from previs.access.permissions import Actor
from previs.app.requests import FRAME_KINDS, LIBRARY_PAGE, FrameInfo, LibraryFilters, LibraryPage
from previs.app.reviews import STATUSES
from previs.ui.context import GENERATION, PROGRESS, UiContext, step_report
from previs.ui.downloads import frame_file_name, served_file
from previs.ui.inputs import GALLERY_BUTTONS, chosen_id, gallery_choice
from previs.ui.records import given_to_model

ANY = ("(any)", "")
PICK_FRAME = "click a frame in the library, or type its number"

# What a page shows: the gallery items, the ids of the frames shown (newest first) and the line above them.
Shown = tuple[list[tuple[str, str]], list[int], str]
# What opening a frame shows: its picture, its record and lineage in words.
Opened = tuple[str, str]


def caption(frame: FrameInfo) -> str:
    return f"#{frame.id} · seed {frame.seed} · {frame.review.replace('_', ' ')}"


def _label(frame: FrameInfo) -> str:
    return f"frame {frame.id} (seed {frame.seed}, {frame.review.replace('_', ' ')})"


def _filters(project: str, kind: str | None, scene: str, review: str | None, who: str) -> LibraryFilters:
    return LibraryFilters(project=project.strip() or None, kind=kind or None, scene=scene.strip() or None,
                          review=review or None, created_by=who.strip() or None)


def _shown(page: LibraryPage) -> Shown:
    frames = page.frames
    if not frames:
        line = "No frames match these filters." if not (page.newer or page.older) else "No frames on this side."
    else:
        line = (f"Frames {frames[0].id} to {frames[-1].id}, newest first"
                + ("; *Newer* has more" if page.newer else "") + ("; *Older* has more" if page.older else "") + ".")
    return [(frame.path, caption(frame)) for frame in frames], [frame.id for frame in frames], line


def build(ui: UiContext) -> None:
    """Lay out the tab and wire its events to the facade (Studio.frames.library, lineage, vary; provenance)."""
    studio = ui.studio

    def library(actor: Actor, project: str, kind: str | None, scene: str, review: str | None, who: str) -> Shown:
        """The newest page of the frames that match the filters (blank: any)."""
        return _shown(studio.frames.library(_filters(project, kind, scene, review, who), actor=actor))

    def library_older(actor: Actor, project: str, kind: str | None, scene: str, review: str | None, who: str,
                      shown_ids: list[int]) -> Shown:
        """The page older than the frames shown (the newest page when none are shown)."""
        filters = _filters(project, kind, scene, review, who)
        return _shown(studio.frames.library(filters, before=min(shown_ids) if shown_ids else None, actor=actor))

    def library_newer(actor: Actor, project: str, kind: str | None, scene: str, review: str | None, who: str,
                      shown_ids: list[int]) -> Shown:
        """The page newer than the frames shown (the newest page when none are shown)."""
        filters = _filters(project, kind, scene, review, who)
        return _shown(studio.frames.library(filters, after=max(shown_ids) if shown_ids else None, actor=actor))

    def library_frame(actor: Actor, frame: str) -> Opened:
        """A frame's picture, its record in words, and its lineage: parent, variations, steering pictures."""
        frame_id = chosen_id(frame, "frame", PICK_FRAME)
        info = studio.frames.get(frame_id, actor=actor)
        lineage = studio.frames.lineage(frame_id, actor=actor)
        lines = [given_to_model(info),
                 f"{info.kind} frame of project {info.project} · {info.width}x{info.height} · {info.model} · "
                 f"made by {info.created_by} at {info.created_at} · review: {info.review.replace('_', ' ')}"]
        if info.record.parent_frame_id is not None:
            lines.append("Variation of " + (_label(lineage.parent) if lineage.parent is not None
                                            else f"frame {info.record.parent_frame_id} (withdrawn)"))
        steered = [f"{item.role.replace('_', ' ')}: {item.title}" for item in info.record.inputs
                   if item.role != "parent_frame"]
        if steered:
            lines.append("Made from: " + "; ".join(steered))
        lines.append("Variations: " + (", ".join(_label(v) for v in lineage.variations) or "none yet"))
        return info.path, "\n\n".join(lines)

    def library_vary(actor: Actor, frame: str, strength: float, count: float, project: str, kind: str | None,
                     scene: str, review: str | None, who: str, progress: gr.Progress = PROGRESS) -> Shown:
        """Variations of the chosen frame (new seeds, image-to-image); the library's newest page shows them
        with their parent, which stays in the library."""
        frame_id = chosen_id(frame, "frame", PICK_FRAME)
        progress(0, desc=f"Varying frame {frame_id}…")
        on_step = step_report(ui.stop_flag(actor), progress, f"variations of frame {frame_id}")
        studio.frames.vary(frame_id, count=int(count), strength=strength, on_step=on_step, actor=actor)
        return library(actor, project, kind, scene, review, who)

    def library_export(actor: Actor, frame: str, image_format: str) -> str:
        """The frame's file with its Content Credentials, to download (PNG as stored, or a signed JPEG)."""
        frame_id = chosen_id(frame, "frame", PICK_FRAME)
        exported = studio.provenance.export(frame_id, image_format=image_format, actor=actor)
        info = studio.frames.get(frame_id, actor=actor)
        extension = "png" if exported.mime_type == "image/png" else "jpg"
        return served_file(export_file, exported.data, frame_file_name(info.project, frame_id, info.seed, extension))

    def library_verify(actor: Actor, frame: str) -> str:
        """Check the stored file as anyone would check a copy: its credentials and the studio's ledger."""
        frame_id = chosen_id(frame, "frame", PICK_FRAME)
        verification = studio.provenance.verify(Path(studio.frames.get(frame_id, actor=actor).path).read_bytes(),
                                                actor=actor)
        return f"Frame {frame_id}: {verification.status} · {verification.summary}"

    with gr.Row():
        project = gr.Textbox(label="Project", placeholder="all projects", elem_id="library-project")
        kind = gr.Dropdown([ANY, *FRAME_KINDS], value=ANY[1], label="Kind", elem_id="library-kind")
        scene = gr.Textbox(label="Scene", placeholder="any (choose the project)", elem_id="library-scene")
        review = gr.Dropdown([ANY, *((status.replace("_", " "), status) for status in STATUSES)], value=ANY[1],
                             label="Review status", elem_id="library-review")
        who = gr.Textbox(label="Made by", placeholder="anyone", elem_id="library-who")
    with gr.Row():
        show = gr.Button("Show the library", variant="primary", elem_id="library-show")
        newer = gr.Button("Newer", elem_id="library-newer")
        older = gr.Button("Older", elem_id="library-older")
    with gr.Row():
        with gr.Column(scale=3):
            where = gr.Markdown(elem_id="library-where")
            gallery = gr.Gallery(label=f"Frames ({LIBRARY_PAGE} a page)", columns=4, height="auto",
                                 elem_id="library-gallery", buttons=GALLERY_BUTTONS)
        with gr.Column(scale=2):
            with gr.Row():
                frame = gr.Textbox(label="Frame", placeholder="click a frame", elem_id="library-frame")
                open_button = gr.Button("Open", scale=0, elem_id="library-open")
            picture = gr.Image(label="Frame", type="filepath", interactive=False, elem_id="library-image")
            record = gr.Markdown(elem_id="library-record")
            with gr.Row():
                strength = gr.Slider(0.1, 0.95, value=0.6, step=0.05, label="Change (0 = same, 1 = new)")
                count = gr.Slider(1, 4, value=2, step=1, label="Variations")
            with gr.Row():
                vary_button = gr.Button("Vary", elem_id="library-vary")
                image_format = gr.Radio([("PNG", "png"), ("JPEG", "jpeg")], value="png", label="Export as")
                export_button = gr.Button("Export", elem_id="library-export")
                verify_button = gr.Button("Verify", elem_id="library-verify")
            export_file = gr.File(label="Exported frame", interactive=False, elem_id="library-export-file")
            verdict = gr.Textbox(label="Verification", interactive=False, elem_id="library-verdict")
    shown_ids = gr.State([])

    filters: list[Any] = [project, kind, scene, review, who]
    shown = [gallery, shown_ids, where]
    gr.on([show.click, project.submit, scene.submit, who.submit], ui.handler(library), filters, shown,
          api_name="library")
    older.click(ui.handler(library_older), [*filters, shown_ids], shown, api_name="library_older")
    newer.click(ui.handler(library_newer), [*filters, shown_ids], shown, api_name="library_newer")
    opened = [picture, record]
    open_button.click(ui.handler(library_frame), [frame], opened, api_name="library_frame")
    gallery.select(gallery_choice, [shown_ids], [frame], api_visibility="private", queue=False).then(
        ui.handler(library_frame), [frame], opened, api_visibility="private")
    vary_button.click(ui.handler(library_vary), [frame, strength, count, *filters], shown, api_name="library_vary",
                      concurrency_id=GENERATION, concurrency_limit=ui.generation_slots)
    export_button.click(ui.handler(library_export), [frame, image_format], [export_file], api_name="library_export")
    verify_button.click(ui.handler(library_verify), [frame], [verdict], api_name="library_verify")

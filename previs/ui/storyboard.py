"""The Storyboard tab: a screenplay into a project's scenes, every shot of the chosen scenes drawn, then the sheet.

Drawing reports each shot to Gradio's progress bar and is resumable (shots drawn before in the style are
kept); while another job draws a chosen scene in the style, the bar shows that job's progress and its shots are
kept; the sheet is shown as PNG pages and handed out as a PDF under a name the program chooses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import gradio as gr

from previs.access.permissions import Actor
from previs.app.requests import DEFAULT_PROJECT
from previs.app.scenes import SceneInfo
from previs.app.storyboards import DEFAULT_STYLE, ShotProgress, StoryboardBusy, StoryboardRequest
from previs.errors import InvalidRequest
from previs.scenes.model import ASPECT_RATIOS
from previs.ui.context import GENERATION, PROGRESS, UiContext
from previs.ui.downloads import served_file
from previs.ui.inputs import SIZES, whole_number

PAGE_SIZES = ("A4", "Letter")
PROJECT_ASPECT = "project's"  # the aspect choice that keeps the project's ratio
SCENE_COLUMNS = ["Scene", "Heading", "Characters", "Shots"]

# What listing scenes shows: the scenes table and the scene picker (its choices updated).
Listed = tuple[list[list[Any]], dict[str, Any]]
# What a run shows: one gallery item per shot, and what the run did.
Drawn = tuple[list[tuple[str, str]], dict[str, Any]]
# What a sheet shows: its pages, the PDF to download and a note on what it holds.
Laid = tuple[list[tuple[Any, str]], str, str]


def _listed(scenes: list[SceneInfo]) -> Listed:
    rows = [[scene.number, scene.heading, ", ".join(scene.characters), len(scene.shots)] for scene in scenes]
    return rows, gr.update(choices=[(f"{s.number} — {s.heading}", s.number) for s in scenes], value=[])


def _script(file: str | None, text: str) -> bytes | None:
    """The screenplay as given: None for a file (read by the importer, which checks its size first)."""
    if file and text.strip():
        raise InvalidRequest("there is a screenplay file and pasted text: remove the file or clear the text")
    if not file and not text.strip():
        raise InvalidRequest("no screenplay: upload a Fountain file or paste the script's text")
    return None if file else text.encode("utf-8")


def build(ui: UiContext) -> None:
    """Lay out the tab and wire its events to the facade (scenes desk, build_storyboard, storyboard_sheet)."""
    studio = ui.studio

    def import_script(actor: Actor, project: str, file: str | None, text: str) -> tuple[str, *Listed]:
        """Import a Fountain screenplay into the project: scenes updated by number, a shot list for each."""
        project = project or DEFAULT_PROJECT
        pasted = _script(file, text)
        if pasted is not None:
            report = studio.scenes.import_script(pasted, project=project, actor=actor)
        else:
            if not file:  # _script gives None only for a file
                raise InvalidRequest("no screenplay: upload a Fountain file or paste the script's text")
            with open(file, "rb") as stream:  # Gradio's own temporary file: no user names it
                report = studio.scenes.import_script(stream, project=project, actor=actor)
        title = f" “{report.title}”" if report.title else ""
        summary = (f"{len(report.scenes)} scenes{title} in project {report.project}: {len(report.created)} new, "
                   f"{len(report.updated)} updated.")
        if report.not_in_script:
            summary += f" Stored scenes not in this script (kept): {', '.join(report.not_in_script)}."
        return (summary, *_listed(studio.scenes.scenes(report.project, actor=actor)))

    def list_scenes(actor: Actor, project: str) -> Listed:
        """The project's scenes, in script order, to choose from."""
        return _listed(studio.scenes.scenes(project or DEFAULT_PROJECT, actor=actor))

    def build_storyboard(actor: Actor, project: str, scenes: list[str] | None, style: str, size: str, steps: str,
                         seed: str, aspect: str | None = None, progress: gr.Progress = PROGRESS) -> Drawn:
        """Draw every shot of the scenes not drawn yet in the style; one gallery item per shot."""
        width, height = (int(side) for side in size.split("x"))
        shots: list[ShotProgress] = []

        def report(step: ShotProgress) -> None:
            shots.append(step)
            progress(step.done / step.total, desc=f"Shot {step.label} ({step.done} of {step.total})")

        def waiting(busy: StoryboardBusy) -> None:  # the other job's shots are this board's: show them coming
            progress(busy.drawn / busy.total, desc=f"Waiting: {busy.message}; its shots will be kept")

        progress(0, desc=f"Drawing the shots of scene(s) {', '.join(scenes or [])}…")
        result = studio.storyboards.build(StoryboardRequest(
            project=project or DEFAULT_PROJECT, scenes=list(scenes or []), style=style or DEFAULT_STYLE,
            seed=whole_number(seed, "seed", "type one, e.g. 7, or leave it blank to keep each scene's"),
            steps=whole_number(steps, "steps", "type one, e.g. 30, or leave it blank for the model's default"),
            width=width, height=height, aspect=None if aspect in (None, "", PROJECT_ASPECT) else aspect,
        ), actor=actor, progress=report, on_wait=waiting)
        gallery = []
        for step in shots:
            frame = studio.frames.get(step.frame_id, actor=actor)
            kept = " · kept from an earlier run" if step.skipped else ""
            gallery.append((frame.path, f"shot {step.label} · frame {frame.id}{kept}"))
        return gallery, result.to_json()

    def storyboard_sheet(actor: Actor, project: str, scenes: list[str] | None, style: str, columns: float,
                         page_size: str) -> Laid:
        """The sheet of the scenes' shots (selects first, else the newest frame in the style): pages and PDF."""
        sheet = studio.storyboards.sheet(project or DEFAULT_PROJECT, list(scenes or []), columns=int(columns),
                                        page_size=page_size, style=style or DEFAULT_STYLE, actor=actor)
        count = len(sheet.pages)
        pages = [(page, f"page {number} of {count}") for number, page in enumerate(sheet.pages, start=1)]
        name = f"previs-storyboard-{datetime.now(UTC):%Y%m%d-%H%M%S}.pdf"
        note = f"{len(sheet.frame_ids)} shots on {count} page(s)."
        if sheet.missing:
            note += f" Not drawn yet: {', '.join(sheet.missing)}."
        return pages, served_file(pdf, sheet.pdf, name), note

    with gr.Row():
        with gr.Column(scale=2):
            project = gr.Textbox(label="Project", value=DEFAULT_PROJECT, elem_id="storyboard-project")
            script_file = gr.File(label="Screenplay (Fountain, UTF-8 text)", type="filepath",
                                  elem_id="storyboard-script-file")
            script_text = gr.Textbox(label="Or paste the screenplay", lines=6, elem_id="storyboard-script-text",
                                     placeholder="INT. LAMP ROOM - NIGHT\n\nThe keeper lights a storm lantern.")
            with gr.Row():
                import_button = gr.Button("Import screenplay", elem_id="storyboard-import")
                list_button = gr.Button("List scenes", elem_id="storyboard-list")
            imported = gr.Markdown(elem_id="storyboard-imported")
            scenes = gr.Dropdown([], value=[], multiselect=True, allow_custom_value=True, label="Scenes",
                                 elem_id="storyboard-scenes")
            style = gr.Dropdown([(preset.name, preset.id) for preset in studio.prompts.styles], value=DEFAULT_STYLE,
                                label="Style", elem_id="storyboard-style")
            with gr.Row():
                size = gr.Dropdown(SIZES, value="512x512", label="Frame size")
                steps = gr.Textbox(label="Steps", placeholder="model default")
                seed = gr.Textbox(label="Seed", placeholder="kept per scene")
                aspect = gr.Dropdown([PROJECT_ASPECT, *ASPECT_RATIOS], value=PROJECT_ASPECT, label="Aspect ratio",
                                     elem_id="storyboard-aspect")
            with gr.Row():
                columns = gr.Slider(1, 6, value=3, step=1, label="Frames per row")
                page_size = gr.Radio(list(PAGE_SIZES), value="A4", label="Page size")
            build_button = gr.Button("Generate all shots", variant="primary", elem_id="storyboard-build")
            sheet_button = gr.Button("Lay out the sheet", elem_id="storyboard-sheet")
        with gr.Column(scale=3):
            table = gr.Dataframe(headers=SCENE_COLUMNS, interactive=False, label="Scenes of the project",
                                 elem_id="storyboard-scene-table")
            frames = gr.Gallery(label="Shots", columns=4, height="auto", elem_id="storyboard-frames")
            run = gr.JSON(label="What the run did", elem_id="storyboard-run")
            pages = gr.Gallery(label="Sheet", columns=1, height="auto", format="png", object_fit="contain",
                               elem_id="storyboard-pages")
            pdf = gr.File(label="Sheet (PDF)", interactive=False, elem_id="storyboard-pdf")
            sheet_note = gr.Markdown(elem_id="storyboard-sheet-note")

    laid = [pages, pdf, sheet_note]
    sheet_inputs = [project, scenes, style, columns, page_size]
    import_button.click(ui.handler(import_script), [project, script_file, script_text], [imported, table, scenes],
                        api_name="import_script")
    list_button.click(ui.handler(list_scenes), [project], [table, scenes], api_name="list_scenes")
    sheet_button.click(ui.handler(storyboard_sheet), sheet_inputs, laid, api_name="storyboard_sheet")
    # After drawing, the sheet follows in the page; named first above, this twin stays off the API.
    build_button.click(
        ui.handler(build_storyboard), [project, scenes, style, size, steps, seed, aspect], [frames, run],
        api_name="build_storyboard", concurrency_id=GENERATION, concurrency_limit=ui.generation_slots,
    ).success(ui.handler(storyboard_sheet), sheet_inputs, laid, api_visibility="private")

"""The Storyboard tab: a screenplay into a project's scenes, every shot of the chosen scenes drawn, then the sheet.

Drawing reports each shot to Gradio's progress bar and is resumable (shots drawn before in the style are
kept); while another job draws a chosen scene in the style, the bar shows that job's progress and its shots are
kept; the sheet is shown as PNG pages and handed out as a PDF under a name the program chooses.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from previs.access.permissions import Actor
from previs.app.requests import DEFAULT_PROJECT
from previs.app.scenes import SceneInfo
from previs.app.storyboards import DEFAULT_STYLE, ShotProgress, StoryboardBusy, StoryboardRequest
from previs.errors import InvalidRequest
from previs.scenes import ASPECT_RATIOS, CAMERA_ANGLES, CAMERA_MOVEMENTS, SHOT_SIZES
from previs.ui.context import GENERATION, PROGRESS, UiContext
from previs.ui.downloads import served_file, storyboard_pdf_name
from previs.ui.inputs import GALLERY_BUTTONS, SIZES, whole_number

PAGE_SIZES = ("A4", "Letter")
PROJECT_ASPECT = "project's"  # the aspect choice that keeps the project's ratio
SCENE_COLUMNS = ["Scene", "Heading", "Characters", "Shots"]
SHOT_COLUMNS = ["Shot", "Size", "Lens (mm)", "Angle", "Movement", "Description", "Characters", "Edited"]

# What listing scenes shows: the scenes table and the scene picker (its choices updated).
Listed = tuple[list[list[Any]], dict[str, Any]]
# What a run shows: one gallery item per shot, and what the run did.
Drawn = tuple[list[tuple[str, str]], dict[str, Any]]
# What a sheet shows: its pages, the PDF to download and a note on what it holds.
Laid = tuple[list[tuple[Any, str]], str, str]


def _listed(scenes: list[SceneInfo]) -> Listed:
    rows = [[scene.number, scene.heading, ", ".join(scene.characters), len(scene.shots)] for scene in scenes]
    return rows, gr.update(choices=[(f"{s.number} — {s.heading}", s.number) for s in scenes], value=[])


def _shots(scene: SceneInfo) -> list[list[Any]]:
    return [[shot.order, shot.size, shot.lens_mm, shot.angle, shot.movement, shot.description,
             ", ".join(shot.characters), "yes" if shot.edited else ""] for shot in scene.shots]


def _blank(text: str) -> str | None:
    """An editor field left empty keeps the shot's value."""
    return text.strip() or None


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
        summary += "".join(f"\n- {warning}" for warning in report.warnings)
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
        name = storyboard_pdf_name(project or DEFAULT_PROJECT, list(scenes or []))
        note = f"{len(sheet.frame_ids)} shots on {count} page(s)."
        if sheet.missing:
            note += f" Not drawn yet: {', '.join(sheet.missing)}."
        return pages, served_file(pdf, sheet.pdf, name), note

    def edit_shot(actor: Actor, project: str, scene: str, shot: float, size: str, angle: str, lens: str,
                  movement: str, description: str, characters: str, change: str) -> list[list[Any]]:
        """Save (blank fields keep their value), add (at the position, 0: last) or remove a shot; then the shots."""
        desk, project, order = studio.scenes, project or DEFAULT_PROJECT, int(shot or 0)
        lens_mm = whole_number(lens, "lens", "type the focal length in mm, e.g. 50, or leave it blank")
        names = None if not characters.strip() else [name.strip() for name in characters.split(",") if name.strip()]
        if change == "add":
            info = desk.add_shot(project, scene, description=description, size=size or "medium",
                                 angle=angle or "eye level", lens_mm=lens_mm or 0, movement=movement or "static",
                                 characters=names or [], at=order or None, actor=actor)
        elif change == "remove":
            info = desk.remove_shot(project, scene, order, actor=actor)
        else:
            info = desk.edit_shot(project, scene, order, size=size or None, angle=angle or None, lens_mm=lens_mm,
                                  movement=movement or None, description=_blank(description), characters=names,
                                  actor=actor)
        return _shots(info)

    def move_shot(actor: Actor, project: str, scene: str, shot: float, to: float) -> list[list[Any]]:
        return _shots(studio.scenes.move_shot(project or DEFAULT_PROJECT, scene, int(shot), int(to), actor=actor))

    def show_shots(actor: Actor, project: str, scene: str) -> list[list[Any]]:
        return _shots(studio.scenes.scene(project or DEFAULT_PROJECT, scene, actor=actor))

    def shot_list(actor: Actor, project: str, scene: str, kind: str) -> str:
        """The shot list (one scene, or the project when no scene is typed) as a CSV or PDF download."""
        listed = studio.storyboards.shot_list(project or DEFAULT_PROJECT, scene.strip() or None, actor=actor)
        scenes = [scene.strip()] if scene.strip() else []
        if kind == "PDF":
            return served_file(shot_list_file, listed.pdf(),
                               storyboard_pdf_name(project or DEFAULT_PROJECT, scenes, "shotlist.pdf"))
        return served_file(shot_list_file, listed.csv(),
                           storyboard_pdf_name(project or DEFAULT_PROJECT, scenes, "shotlist.csv"))

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
            frames = gr.Gallery(label="Shots", columns=4, height="auto", elem_id="storyboard-frames",
                                buttons=GALLERY_BUTTONS)
            run = gr.JSON(label="What the run did", elem_id="storyboard-run")
            pages = gr.Gallery(label="Sheet", columns=1, height="auto", format="png", object_fit="contain",
                               buttons=GALLERY_BUTTONS,
                               elem_id="storyboard-pages")
            pdf = gr.File(label="Sheet (PDF)", interactive=False, elem_id="storyboard-pdf")
            sheet_note = gr.Markdown(elem_id="storyboard-sheet-note")
    with gr.Accordion("Shots and camera blocks", open=False):
        with gr.Row():
            shot_scene = gr.Textbox(label="Scene", placeholder="12A", elem_id="shot-scene")
            shot_order = gr.Number(label="Shot (position)", value=1, precision=0, minimum=0, elem_id="shot-order")
            shot_size = gr.Dropdown(["", *SHOT_SIZES], value="", label="Size", elem_id="shot-size")
            shot_angle = gr.Dropdown(["", *CAMERA_ANGLES], value="", label="Angle", elem_id="shot-angle")
            shot_lens = gr.Textbox(label="Lens (mm)", placeholder="size's default", elem_id="shot-lens")
            shot_movement = gr.Dropdown(["", *CAMERA_MOVEMENTS], value="", label="Movement", elem_id="shot-movement")
        with gr.Row():
            shot_description = gr.Textbox(label="Description", placeholder="blank: keep", scale=3)
            shot_characters = gr.Textbox(label="Characters in frame", placeholder="MAYA, DEX")
            shot_change = gr.Radio(["save", "add", "remove"], value="save", label="Change")
            shot_to = gr.Number(label="Move to", value=1, precision=0, minimum=1)
        with gr.Row():
            shots_button = gr.Button("Show shots", elem_id="shots-show")
            change_button = gr.Button("Apply change", elem_id="shots-change")
            move_button = gr.Button("Move shot", elem_id="shots-move")
            list_kind = gr.Radio(["CSV", "PDF"], value="CSV", label="Shot list")
            shot_list_button = gr.Button("Download shot list", elem_id="shots-list")
        shot_table = gr.Dataframe(headers=SHOT_COLUMNS, interactive=False, label="Shots", elem_id="shots-table")
        shot_list_file = gr.File(label="Shot list", interactive=False, elem_id="shots-list-file")
    shot_key = [project, shot_scene]
    shots_button.click(ui.handler(show_shots), shot_key, [shot_table], api_name="show_shots")
    change_button.click(ui.handler(edit_shot), [*shot_key, shot_order, shot_size, shot_angle, shot_lens,
                                                shot_movement, shot_description, shot_characters, shot_change],
                        [shot_table], api_name="edit_shot")
    move_button.click(ui.handler(move_shot), [*shot_key, shot_order, shot_to], [shot_table], api_name="move_shot")
    shot_list_button.click(ui.handler(shot_list), [*shot_key, list_kind], [shot_list_file], api_name="shot_list")

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

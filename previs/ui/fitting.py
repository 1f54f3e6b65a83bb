"""The Costume fitting tab: a costume painted onto a built-in figure or a performer's photo, N variants side by side.

The figure (or the photo) is shown in a canvas to paint the area to change over; a mask file can be given
instead, and with neither the chosen region is painted. Uploads are checked by ``previs.media.uploads`` before
anything uses them; the consent gate for a performer's photo runs inside the facade (``Studio.fittings.fit``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image

from previs.access.permissions import Actor
from previs.app.fittings import FittingResult
from previs.app.requests import DEFAULT_PROJECT
from previs.errors import InvalidRequest
from previs.fitting.figures import REGIONS, list_figures, load_figure
from previs.fitting.request import DEFAULT_FIGURE, DEFAULT_REGION, FittingRequest, fitting_figure
from previs.generation.limits import MAX_COUNT
from previs.media.uploads import load_drawn_mask, load_image_upload, load_mask_upload
from previs.ui.canvas import mask_canvas
from previs.ui.context import GENERATION, PROGRESS, UiContext
from previs.ui.inputs import GALLERY_BUTTONS, whole_number

# What a fitting shows: the board, the variants (gallery items) and how it was made.
Fitted = tuple[str, list[tuple[str, str]], dict[str, Any]]
# A canvas value: the picture to paint over, and no paint yet.
Canvas = dict[str, Any]


def _canvas(picture: Image.Image) -> Canvas:
    return {"background": picture, "layers": [], "composite": None}


def _mask(canvas: Canvas | None, mask_file: str | None, size: tuple[int, int]) -> Image.Image | None:
    """The painted area: the drawing or the mask file (not both), or None to paint the chosen region."""
    drawn = load_drawn_mask((canvas or {}).get("layers") or [], size=size)
    if mask_file is None:
        return drawn
    if drawn is not None:
        raise InvalidRequest("there is a drawn mask and a mask file: clear the drawing or remove the file")
    return load_mask_upload(Path(mask_file), size=size, what="mask file")


def _shown(result: FittingResult) -> Fitted:
    """The board, the variants captioned with their seeds, and the details. No "path" key in the details:
    Gradio would take such a dict for a file to serve."""
    fitting = result.board.record.details.fitting
    if fitting is None:  # every board records its fitting; a missing one is a bug, not a user's mistake
        raise RuntimeError(f"board frame {result.board.id} has no fitting in its record")
    variants = [{"variant": number, "frame": frame.id, "seed": frame.seed, "sha256": frame.sha256}
                for number, frame in enumerate(result.variants, start=1)]
    details = {
        "board": result.board.id, "project": result.board.project, "figure": fitting.figure,
        "region": fitting.region, "costume": fitting.costume, "performer": fitting.performer,
        "protected_face_and_hands": fitting.protected_face_and_hands, "variants": variants,
        "model": result.board.model, "created_by": result.board.created_by, "created_at": result.board.created_at,
    }
    gallery = [(frame.path, f"variant {item['variant']} · seed {frame.seed} · frame {frame.id}")
               for item, frame in zip(variants, result.variants, strict=True)]
    return result.board.path, gallery, details


def build(ui: UiContext) -> None:
    """Lay out the tab and wire its events to the facade (Studio.fittings.fit)."""
    studio = ui.studio

    def fitting_subject(actor: Actor, figure: str, photo: str | None) -> Canvas:
        """The picture to paint over: the performer photo (checked now, so a bad one is said at once) or
        the built-in figure."""
        if photo:
            return _canvas(load_image_upload(Path(photo), what="performer photo"))
        return _canvas(load_figure(figure or DEFAULT_FIGURE).image)

    def fit_costume(actor: Actor, figure: str, photo: str | None, performer: str, region: str,
                    canvas: Canvas | None, mask_file: str | None, paint_face_and_hands: bool, garment: str,
                    fabric: str, palette: str, period: str, notes: str, variants: float, seed: str, project: str,
                    progress: gr.Progress = PROGRESS) -> Fitted:
        """Paint the costume onto the figure or photo ``variants`` times; store the variants and their board."""
        request = FittingRequest(
            garment=garment, fabric=fabric, palette=palette, period=period, notes=notes,
            figure=None if photo else figure or DEFAULT_FIGURE,
            photo=load_image_upload(Path(photo), what="performer photo") if photo else None, performer=performer,
            region=region or DEFAULT_REGION, variants=int(variants), protect=not paint_face_and_hands,
            seed=whole_number(seed, "seed", "type one, e.g. 7, or leave it blank for a random one"),
        )
        mask = _mask(canvas, mask_file, fitting_figure(request).source_size)
        if mask is not None:
            request = replace(request, mask=mask, region=None)
        progress(0, desc=f"Fitting {request.variants} variant(s) with {studio.models.status().name}…")
        return _shown(studio.fittings.fit(request, project=project or DEFAULT_PROJECT, actor=actor))

    with gr.Row():
        with gr.Column(scale=2):
            figure = gr.Radio([(load_figure(name).title, name) for name in list_figures()], value=DEFAULT_FIGURE,
                              label="Figure", elem_id="fitting-figure")
            photo = gr.File(label="Or a performer photo (standing, full body, facing the camera)",
                            type="filepath", file_types=["image"], elem_id="fitting-photo")
            performer = gr.Textbox(label="Performer in the photo (their consent for costume fittings is checked)",
                                   elem_id="fitting-performer")
            canvas = mask_canvas(value=_canvas(load_figure(DEFAULT_FIGURE).image), elem_id="fitting-canvas",
                                label="Paint the area to change (leave blank to use the region below)")
            region = gr.Dropdown(list(REGIONS), value=DEFAULT_REGION, label="Region", elem_id="fitting-region")
            mask_file = gr.File(label="Or a mask file (white = paint), the size of the picture", type="filepath",
                                file_types=["image"], elem_id="fitting-mask-file")
            paint_face_and_hands = gr.Checkbox(False, label="Let the paint reach the face and hands")
        with gr.Column(scale=3):
            garment = gr.Textbox(label="Garment", elem_id="fitting-garment",
                                 placeholder="double-breasted greatcoat, brass buttons")
            with gr.Row():
                fabric = gr.Textbox(label="Fabric", placeholder="wool melton")
                palette = gr.Textbox(label="Palette", placeholder="navy, brass")
                period = gr.Textbox(label="Period", placeholder="1810s")
            notes = gr.Textbox(label="Notes on the garment", placeholder="high collar with frogging")
            with gr.Row():
                variants = gr.Slider(1, MAX_COUNT, value=3, step=1, label="Variants", elem_id="fitting-variants")
                seed = gr.Textbox(label="Seed", placeholder="random", elem_id="fitting-seed")
                project = gr.Textbox(label="Project", value=DEFAULT_PROJECT, elem_id="fitting-project")
            run = gr.Button("Run fitting", variant="primary", elem_id="fitting-run")
            board = gr.Image(label="Fitting board", type="filepath", interactive=False, elem_id="fitting-board")
            gallery = gr.Gallery(label="Variants", columns=3, height="auto", elem_id="fitting-gallery",
                                 buttons=GALLERY_BUTTONS)
            details = gr.JSON(label="How the fitting was made", elem_id="fitting-details")

    gr.on([figure.change, photo.change], ui.handler(fitting_subject), [figure, photo], canvas,
          api_name="fitting_subject")
    run.click(ui.handler(fit_costume),
              [figure, photo, performer, region, canvas, mask_file, paint_face_and_hands, garment, fabric, palette,
               period, notes, variants, seed, project],
              [board, gallery, details], api_name="fit_costume", concurrency_id=GENERATION,
              concurrency_limit=ui.generation_slots)

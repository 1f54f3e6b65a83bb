"""The Set concepts tab: a scene description (or a stored scene of the project) in, stored frames out, in a
style if one is chosen; pick a frame to vary it with new seeds."""

from __future__ import annotations

from typing import Any

import gradio as gr

from previs.access.permissions import Actor
from previs.app.requests import DEFAULT_PROJECT, FrameInfo, FrameRequest
from previs.errors import NotFound
from previs.ui.context import GENERATION, PROGRESS, UiContext, step_report
from previs.ui.inputs import GALLERY_BUTTONS, SIZES, chosen_id, gallery_choice, whole_number
from previs.ui.records import given_to_model_all

MAX_FRAMES = 4
NO_SCENE = ("(none: the description alone)", "")
NO_STYLE = ("(none: the description as typed)", "")

# What an event returns: the gallery items, the details panel and the ids of the frames shown (in gallery order).
Shown = tuple[list[tuple[str, str]], list[dict[str, Any]], list[int]]


def _caption(frame: FrameInfo) -> str:
    parent = frame.record.parent_frame_id
    lineage = f" · variation of {parent}" if parent else ""
    return f"frame {frame.id} · seed {frame.seed}{lineage}"


def _details(frame: FrameInfo) -> dict[str, Any]:
    """What the details panel shows. No "path" key: Gradio would take such a dict for a file to serve."""
    generation = frame.record.generation
    return {
        "frame": frame.id, "project": frame.project, "seed": frame.seed, "model": frame.model,
        "sha256": frame.sha256, "prompt": generation.prompt, "steps": generation.steps,
        "guidance": generation.guidance, "size": f"{frame.width}x{frame.height}",
        "parent_frame": frame.record.parent_frame_id, "created_by": frame.created_by,
        "created_at": frame.created_at,
    }


def _shown(frames: list[FrameInfo]) -> Shown:
    return [(f.path, _caption(f)) for f in frames], [_details(f) for f in frames], [f.id for f in frames]


def build(ui: UiContext) -> None:
    """Lay out the tab and wire its events to the facade (Studio.frames.generate, Studio.frames.vary)."""
    studio = ui.studio

    def generate(actor: Actor, prompt: str, negative: str, project: str, seed: str, steps: str, size: str,
                 count: float, scene: str | None = None, style: str | None = None,
                 progress: gr.Progress = PROGRESS) -> Shown:
        """Generate set-concept frames from a scene description or a stored scene of the project, in a style
        preset if one is chosen; the frames are stored."""
        width, height = (int(side) for side in size.split("x"))
        progress(0, desc=f"Generating {int(count)} frame(s) with {studio.models.status().name}…")
        on_step = step_report(ui.stop_flag(actor), progress, f"{int(count)} frame(s) at {size}")
        request = FrameRequest(
            prompt=prompt, negative_prompt=negative, width=width, height=height, count=int(count),
            seed=whole_number(seed, "seed", "type one, e.g. 7, or leave it blank for a random one"),
            steps=whole_number(steps, "steps", "type one, e.g. 30, or leave it blank for the model's default"),
            project=project or DEFAULT_PROJECT, kind="set", scene=(scene or "").strip() or None,
            style=style or None, on_step=on_step,
        )
        return _shown(studio.frames.generate(request, actor=actor))

    def scene_choices(actor: Actor, project: str) -> dict[str, Any]:
        """The project's stored scenes to pick from (none for a project without an imported script)."""
        try:
            scenes = studio.scenes.scenes(project or DEFAULT_PROJECT, actor=actor)
        except NotFound:
            scenes = []
        return gr.update(choices=[NO_SCENE, *((f"{s.number} · {s.heading}", s.number) for s in scenes)],
                         value=NO_SCENE[1])

    def vary(actor: Actor, frame: str, strength: float, count: float, progress: gr.Progress = PROGRESS) -> Shown:
        """Variations of a stored frame: image-to-image over it with new seeds; each keeps its parent's id."""
        frame_id = chosen_id(frame, "frame", "click a frame in the gallery, or type its number")
        progress(0, desc=f"Varying frame {frame_id} ({int(count)} variation(s))…")
        on_step = step_report(ui.stop_flag(actor), progress, f"variations of frame {frame_id}")
        return _shown(studio.frames.vary(frame_id, count=int(count), strength=strength, on_step=on_step,
                                         actor=actor))

    def stop(actor: Actor) -> None:
        """Stop your running generation at its next step; nothing of it is stored."""
        ui.stop(actor)

    def given(actor: Actor, frame_ids: list[int]) -> str:
        """What the model was given for the frames just shown, and what was left out to fit its encoder."""
        return given_to_model_all([studio.frames.get(frame_id, actor=actor) for frame_id in frame_ids])

    with gr.Row():
        with gr.Column(scale=2):
            prompt = gr.Textbox(label="Scene description", lines=3, elem_id="concept-prompt",
                                placeholder="abandoned observatory at dusk, dust in the light shafts")
            negative = gr.Textbox(label="Avoid", placeholder="text, watermark")
            project = gr.Textbox(label="Project", value=DEFAULT_PROJECT, elem_id="concept-project")
            with gr.Row():
                scene = gr.Dropdown([NO_SCENE], value=NO_SCENE[1], label="Scene of the project's script",
                                    allow_custom_value=True, elem_id="concept-scene")
                style = gr.Dropdown([NO_STYLE, *((preset.name, preset.id) for preset in studio.prompts.styles)],
                                    value=NO_STYLE[1], label="Style", elem_id="concept-style")
            with gr.Row():
                seed = gr.Textbox(label="Seed", placeholder="random", elem_id="concept-seed")
                steps = gr.Textbox(label="Steps", placeholder="model default", elem_id="concept-steps")
            with gr.Row():
                size = gr.Dropdown(SIZES, value="512x512", label="Size")
                count = gr.Slider(1, MAX_FRAMES, value=2, step=1, label="Frames")
            with gr.Row():
                generate_button = gr.Button("Generate", variant="primary", elem_id="concept-generate")
                stop_button = gr.Button("Stop", variant="stop", elem_id="concept-stop", scale=0)
            with gr.Group():
                gr.Markdown("**Vary this frame** — click a frame in the gallery, then make variations of it "
                            "with new seeds (Frames sets how many).")
                with gr.Row():
                    frame = gr.Textbox(label="Frame to vary", placeholder="click a frame", elem_id="concept-vary-frame")
                    strength = gr.Slider(0.1, 0.95, value=0.6, step=0.05, label="Change (0 = same, 1 = new)")
                vary_button = gr.Button("Vary this frame", elem_id="concept-vary")
        with gr.Column(scale=3):
            gallery = gr.Gallery(label="Frames", columns=2, height="auto", elem_id="concept-gallery",
                                 buttons=GALLERY_BUTTONS)
            given_panel = gr.Markdown(elem_id="concept-given")
            details = gr.JSON(label="How each frame was made", open=False)
    shown_ids = gr.State([])

    shown = [gallery, details, shown_ids]
    generate_button.click(ui.handler(generate), [prompt, negative, project, seed, steps, size, count, scene, style],
                          shown,
                          api_name="generate_set", concurrency_id=GENERATION, concurrency_limit=ui.generation_slots,
                          ).success(ui.handler(given), [shown_ids], [given_panel], api_visibility="private")
    vary_button.click(ui.handler(vary), [frame, strength, count], shown,
                      api_name="vary_frame", concurrency_id=GENERATION, concurrency_limit=ui.generation_slots,
                      ).success(ui.handler(given), [shown_ids], [given_panel], api_visibility="private")
    stop_button.click(ui.handler(stop), None, None, api_name="stop_generation", queue=False)
    gallery.select(gallery_choice, [shown_ids], [frame], api_visibility="private", queue=False)
    gr.on([project.submit, project.blur], ui.handler(scene_choices), [project], [scene], api_visibility="private")

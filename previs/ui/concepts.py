"""The concept-frame page: prompt in, stored frames out, with the model's status always in view."""

from __future__ import annotations

from typing import Any

import gradio as gr

from previs.errors import PrevisError
from previs.studio import DEFAULT_PROJECT, FrameInfo, FrameRequest, Studio

SIZES = ("256x256", "512x512", "768x512", "512x768", "1024x576", "1024x1024")


def _status_markdown(studio: Studio) -> str:
    status = studio.model_status()
    line = f"**Model:** `{status.name}` ({status.source})"
    if status.warning:
        line += f"\n\n> ⚠️ {status.warning}"
    return line


def _caption(frame: FrameInfo) -> str:
    return f"frame {frame.id} · seed {frame.seed}"


def _details(frame: FrameInfo) -> dict[str, Any]:
    """What the details panel shows. No "path" key: Gradio would take such a dict for a file to serve."""
    generation = frame.record["generation"]
    return {
        "frame": frame.id, "project": frame.project, "seed": frame.seed, "model": frame.model,
        "sha256": frame.sha256, "prompt": generation["prompt"], "steps": generation["steps"],
        "guidance": generation["guidance"], "size": f"{frame.width}x{frame.height}",
        "created_by": frame.created_by, "created_at": frame.created_at,
    }


def build_ui(studio: Studio) -> gr.Blocks:
    """Build the page over ``studio``; every event calls the facade and nothing else."""

    def generate(prompt: str, negative: str, seed: float | None, steps: float | None, size: str, count: float,
                 project: str) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
        width, height = (int(side) for side in size.split("x"))
        try:
            frames = studio.generate(FrameRequest(
                prompt=prompt, negative_prompt=negative, seed=None if seed is None else int(seed),
                steps=None if steps is None else int(steps), width=width, height=height, count=int(count),
                project=project or DEFAULT_PROJECT,
            ))
        except PrevisError as error:
            raise gr.Error(str(error)) from error
        return [(frame.path, _caption(frame)) for frame in frames], [_details(frame) for frame in frames]

    with gr.Blocks(title="previs") as page:
        gr.Markdown("# previs — set concepts")
        gr.Markdown(_status_markdown(studio), elem_id="model-status")
        with gr.Row():
            with gr.Column(scale=2):
                prompt = gr.Textbox(label="Scene description", lines=3,
                                    placeholder="abandoned observatory at dusk, dust in the light shafts")
                negative = gr.Textbox(label="Avoid", placeholder="text, watermark")
                project = gr.Textbox(label="Project", value=DEFAULT_PROJECT)
                with gr.Row():
                    seed = gr.Number(label="Seed (blank = random)", precision=0, value=None)
                    steps = gr.Number(label="Steps (blank = model default)", precision=0, value=None)
                with gr.Row():
                    size = gr.Dropdown(SIZES, value="512x512", label="Size")
                    count = gr.Slider(1, 4, value=2, step=1, label="Frames")
                button = gr.Button("Generate", variant="primary")
            with gr.Column(scale=3):
                gallery = gr.Gallery(label="Frames", columns=2, height="auto")
                details = gr.JSON(label="How each frame was made")
        button.click(generate, [prompt, negative, seed, steps, size, count, project], [gallery, details],
                     api_name="generate")
    return page

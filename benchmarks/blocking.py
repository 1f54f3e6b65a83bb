"""Blockouts: render time per shot (numpy ray casting), and a depth ControlNet's cost against a plain frame with
the SD 1.5 architecture (random weights built from its config; CPU by default).

    .venv/bin/python -m benchmarks.blocking
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.harness import Table, interleaved, median, parse, parser, per_call, report
from benchmarks.random_models import build_sd15
from previs.blocking.layout import plan_shot
from previs.blocking.render import render
from previs.generation.limits import frame_size
from previs.scenes.model import Scene, Shot

SCENES = (Scene("1", "EXT. CITY ROOFTOP - NIGHT", "EXT", "CITY ROOFTOP", "NIGHT", characters=("MAYA", "THEO")),
          Scene("2", "INT. KITCHEN - DAY", "INT", "KITCHEN", "DAY", characters=("MAYA", "THEO", "ROSA")))
SHOTS = (Shot(1, "wide", "wide", "eye level"), Shot(2, "medium", "medium", "low angle"),
         Shot(3, "close-up", "close-up", "high angle"), Shot(4, "full", "full", "dutch"))


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--steps", type=int, default=2, help="denoising steps per frame")
    arguments.add_argument("--pixels", type=int, default=256, help="frames of about PIXELS x PIXELS, at 2.39:1")
    parsed = parse(arguments, argv)
    renders = Table(["blockout size", "scene", "render per shot (ms)"])
    sides = (64,) if parsed.toy else (512, 1024)
    for side in sides:
        width, height = frame_size(side, side, "2.39:1")
        for scene in SCENES:
            size = (width, height)
            times = [per_call(lambda scene=scene, shot=shot, size=size: render(plan_shot(scene, shot, *size)),
                              parsed.runs, 1) for shot in SHOTS]
            renders.add(f"{width}x{height}", scene.heading, median(times) * 1e3)
    costs = _controlnet_cost(parsed.toy, parsed.pixels if not parsed.toy else 64, parsed.steps, parsed.runs)
    notes = ["render: `previs.blocking.render.render(plan_shot(...))`, the median over four shots (wide eye level, "
             "medium low, close-up high, full dutch) of its own median over the runs; a 2.39:1 frame near the "
             "side² pixels.",
             "frame: the SD 1.5 UNet, VAE and CLIP text encoder with random weights (`benchmarks.random_models`), "
             "its ControlNet `ControlNetModel.from_unet`, as `lllyasviel/control_v11f1p_sd15_depth` is shaped; "
             "guidance on, so every step runs the UNet (and the ControlNet) on a batch of two."]
    return report("blocking", "Blockouts and ControlNet", [("", renders), ("", costs)], notes, arguments=parsed)


def _controlnet_cost(toy: bool, pixels: int, steps: int, runs: int) -> Table:
    import torch
    from diffusers import ControlNetModel, StableDiffusionControlNetPipeline

    plain = build_sd15(toy=toy)
    plain.set_progress_bar_config(disable=True)
    controlled = StableDiffusionControlNetPipeline(**plain.components, controlnet=ControlNetModel.from_unet(plain.unet))
    controlled.set_progress_bar_config(disable=True)
    width, height = frame_size(pixels, pixels, "2.39:1")
    depth = render(plan_shot(SCENES[0], SHOTS[1], width, height)).depth

    def draw(pipeline: object, **extra: object) -> None:
        pipeline(prompt="a rooftop at night", num_inference_steps=steps,  # type: ignore[operator]
                 width=width, height=height, generator=torch.Generator("cpu").manual_seed(0), **extra)

    times = interleaved({"plain": lambda: draw(plain),
                         "controlnet": lambda: draw(controlled, image=depth, controlnet_conditioning_scale=0.8)},
                        runs)
    table = Table(["frame", "size", "steps", "seconds", "vs plain"])
    base = median(times["plain"])
    for name, values in times.items():
        table.add(f"SD 1.5 {'toy ' if toy else ''}{name}", f"{width}x{height}", steps, median(values),
                  f"{median(values) / base:.2f}x")
    return table


if __name__ == "__main__":
    main()

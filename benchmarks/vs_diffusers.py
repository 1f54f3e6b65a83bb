"""previs against plain diffusers: same model, settings, device and seeds, in one run, taking turns.

The previs side is the whole core path (``Studio.frames.generate``: consent gate, prompt handling, generation, record,
C2PA signature, PNG, database commit, ledger); the plain side is one bare diffusers pipeline call, loaded from
the same folder. With previs-tiny generation costs almost nothing, so its ratio measures the bookkeeping; with
SD 1.5 (its real architecture, random weights) generation dominates, as it does in use.

    .venv/bin/python -m benchmarks.vs_diffusers            # previs-tiny and SD 1.5 at 256x256, 4 steps
"""

from __future__ import annotations

import argparse
import gc
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from benchmarks.harness import Table, interleaved, median, parse, parser, report, studio_for
from benchmarks.random_models import model_folder, model_source, models_dir

PROMPT = "abandoned observatory on a cliff, dusk, volumetric light"
SEED = 7


def plain_pipeline(folder: Any, device: str, dtype: str) -> Any:
    """The same saved model, loaded by diffusers alone."""
    import torch
    from diffusers import DiffusionPipeline

    pipeline = DiffusionPipeline.from_pretrained(str(folder), dtype=getattr(torch, dtype)).to(device)
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def plain_call(pipeline: Any, *, count: int, steps: int, guidance: float, size: int) -> list[Any]:
    """What a diffusers user writes: prompts, steps, guidance, size, one CPU generator per image."""
    import torch

    return pipeline(prompt=[PROMPT] * count, num_inference_steps=steps, guidance_scale=guidance, width=size,
                    height=size, generator=[torch.Generator("cpu").manual_seed(SEED + i) for i in range(count)]
                    ).images


@dataclass(frozen=True)
class Comparison:
    """One model's result: images per second each way and whether both made the same pixels."""

    model: str
    size: int
    steps: int
    guidance: float
    count: int
    placement: str
    previs: float  # images per second
    plain: float
    same_pixels: bool

    def cells(self) -> list[object]:
        return [self.model, f"{self.size}x{self.size}", self.steps, self.guidance, self.count, self.placement,
                self.previs, self.plain, f"{self.previs / self.plain:.3f}", "yes" if self.same_pixels else "no"]


COLUMNS = ["model", "size", "steps", "guidance", "batch", "device", "previs img/s", "plain img/s", "previs/plain",
           "same pixels"]


def compare(model: str, arguments: Any) -> Comparison:
    """Both sides on one model, taking turns; the first call of each is an untimed warm-up."""
    from previs.app.requests import FrameRequest
    from previs.media.imaging import pixel_sha256

    cache = arguments.cache
    source = model_source(model, cache, toy=arguments.toy)
    request = FrameRequest(prompt=PROMPT, seed=SEED, steps=arguments.steps, guidance=arguments.guidance,
                           width=arguments.size, height=arguments.size, count=arguments.count)
    settings = {"steps": arguments.steps, "guidance": arguments.guidance, "size": arguments.size,
                "count": arguments.count}
    with studio_for(source, models_dir(cache), device=arguments.device, dtype=arguments.dtype) as studio:
        placement = studio.models.generator.load().placement
        plain = plain_pipeline(model_folder(model, cache, toy=arguments.toy), placement.device, placement.dtype)
        frames = studio.frames.generate(request, actor=studio.local_actor)
        same = [frame.sha256 for frame in frames] == list(map(pixel_sha256, plain_call(plain, **settings)))
        times = interleaved({"previs": partial(studio.frames.generate, request, actor=studio.local_actor),
                             "plain": partial(plain_call, plain, **settings)}, arguments.runs, warmup=0)
    previs_rate, plain_rate = (arguments.count / median(times[side]) for side in ("previs", "plain"))
    return Comparison(model, arguments.size, arguments.steps, arguments.guidance, arguments.count,
                      f"{placement.device} {placement.dtype}", previs_rate, plain_rate, same)


def add_arguments(arguments: argparse.ArgumentParser, *, models: str, size: int, steps: int) -> None:
    """The flags this benchmark and the GPU one share."""
    arguments.add_argument("--models", default=models, help="comma-separated: tiny, sd15, sdxl")
    arguments.add_argument("--size", type=int, default=size)
    arguments.add_argument("--steps", type=int, default=steps)
    arguments.add_argument("--guidance", type=float, default=7.5)
    arguments.add_argument("--count", type=int, default=1, help="images per request")
    arguments.add_argument("--dtype", default=None, help="float32, float16, bfloat16 (default: previs' choice)")


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    add_arguments(arguments, models="tiny,sd15", size=256, steps=4)
    parsed = parse(arguments, argv)
    table = Table(COLUMNS)
    for model in parsed.models.split(","):
        table.add(*compare(model.strip(), parsed).cells())
        gc.collect()  # one model's weights out of memory before the next loads
    notes = ["previs = `Studio.frames.generate` (consent gate over 3 registered performers, prompt check, generation, "
             "record, C2PA signature, PNG, file, database row, ledger entry); plain = one "
             "`DiffusionPipeline.__call__` on the same saved model, nothing else.",
             "sd15/sdxl are the real architectures with random weights (benchmarks/random_models.py).",
             "same pixels: previs' stored frame and the plain call's image have equal pixel digests."]
    return report("vs_diffusers", "previs vs plain diffusers", [("", table)], notes, arguments=parsed)


if __name__ == "__main__":
    main()

"""Each fast path measured off and on, in one run, taking turns.

    .venv/bin/python -m benchmarks.fast_paths                 # all sections; SD 1.5 architecture, random weights
    .venv/bin/python -m benchmarks.fast_paths --only compile  # one section

Sections: shared (one loaded pipeline for every mode vs loading per mode), batching (PREVIS_BATCHING),
attention (PREVIS_ATTENTION), channels_last (PREVIS_CHANNELS_LAST), dtype (PREVIS_DTYPE: the automatic choice
against the other half precision), compile (PREVIS_COMPILE, previs-tiny: compiling SD 1.5 on a CPU takes many
minutes), vae_tiling (PREVIS_VAE_TILING_ABOVE: time and memory).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.harness import Table, interleaved, median, parse, parser, report, studio_for, timed
from benchmarks.random_models import MODELS, model_folder, model_source, models_dir

SECTIONS = ("shared", "batching", "attention", "channels_last", "dtype", "compile", "vae_tiling")
PROMPTS = ("abandoned observatory, dusk", "flooded subway station, night", "desert motel, noon",
           "ballroom in candlelight")


@contextmanager
def studios(arguments: Any, **variants: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One studio per variant (its own settings), all over the same saved model."""
    source = model_source(arguments.model, arguments.cache, toy=arguments.toy)
    with ExitStack() as stack:
        yield {name: stack.enter_context(studio_for(source, models_dir(arguments.cache), device=arguments.device,
                                                    **settings))
               for name, settings in variants.items()}
    gc.collect()


def request(arguments: Any, prompt: str = PROMPTS[0], seed: int = 5) -> Any:
    from previs.app.requests import FrameRequest

    return FrameRequest(prompt=prompt, seed=seed, steps=arguments.steps, width=arguments.size,
                        height=arguments.size)


def switch(arguments: Any, name: str, labels: tuple[str, str], on: dict[str, Any]) -> list[object]:
    """A load-time setting: a studio with the defaults and one with the ``on`` settings, the same request
    through both."""
    with studios(arguments, off={}, on=on) as both:
        times = interleaved(
            {
                side: partial(studio.frames.generate, request(arguments), actor=studio.local_actor)
                for side, studio in both.items()
            },
            arguments.runs,
        )
        difference = _difference(
            {
                side: studio.frames.generate(request(arguments), actor=studio.local_actor)[0]
                for side, studio in both.items()
            }
        )
    off_rate, on_rate = (1 / median(times[side]) for side in ("off", "on"))
    return [name, *labels, off_rate, on_rate, f"{on_rate / off_rate:.2f}x", difference]


def _difference(frames: dict[str, Any]) -> str:
    """Largest pixel difference between the two sides' frames (0: identical pixels)."""
    arrays = [np.asarray(_open(frame.path), dtype=int) for frame in frames.values()]
    return str(int(np.abs(arrays[0] - arrays[1]).max()))


def _open(path: str) -> Any:
    from PIL import Image

    with Image.open(path) as image:
        return image.convert("RGB")


def batching(arguments: Any) -> list[object]:
    """``len(PROMPTS)`` requests arriving together, from as many threads, with merging off and on."""
    source = model_source(arguments.model, arguments.cache, toy=arguments.toy)
    with studio_for(source, models_dir(arguments.cache), device=arguments.device) as studio:
        requests = [request(arguments, prompt, seed) for seed, prompt in enumerate(PROMPTS)]

        def burst(merge: bool) -> list[Any]:
            studio.models.generator.fast_paths = replace(studio.models.generator.fast_paths, batching=merge)
            made: list[Any] = [None] * len(requests)
            def store(i: int) -> None:
                made[i] = studio.frames.generate(requests[i], actor=studio.local_actor)[0]

            threads = [threading.Thread(target=store, args=(i,)) for i in range(len(requests))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return made

        times = interleaved({"off": partial(burst, False), "on": partial(burst, True)}, arguments.runs)
        alone, merged = burst(False), burst(True)
        difference = max(int(_difference({"alone": a, "merged": m})) for a, m in zip(alone, merged, strict=True))
    largest = max(frame.record.to_json()["generation"]["batch"].get("merged_requests", 1) for frame in merged)
    off_rate, on_rate = (len(PROMPTS) / median(times[side]) for side in ("off", "on"))
    return ["PREVIS_BATCHING", f"off: {len(PROMPTS)} requests, a call each", f"on: up to {largest} merged a call",
            off_rate, on_rate, f"{on_rate / off_rate:.2f}x", str(difference)]


def shared(arguments: Any) -> Table:
    """previs' views (``from_pipe`` over the loaded weights) against loading a pipeline per mode."""
    import torch
    from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting, AutoPipelineForText2Image

    folder = str(model_folder(arguments.model, arguments.cache, toy=arguments.toy))
    base = AutoPipelineForText2Image.from_pretrained(folder, dtype=torch.float32)
    modes = (AutoPipelineForImage2Image, AutoPipelineForInpainting)
    times = interleaved({
        "loaded per mode (from_pretrained)": lambda: [mode.from_pretrained(folder, dtype=torch.float32)
                                                      for mode in modes],
        "shared (from_pipe views, previs)": lambda: [mode.from_pipe(base) for mode in modes],
    }, arguments.runs)
    weights = sum(p.numel() * p.element_size() for p in base.unet.parameters()) / 2**20
    table = Table(["image-to-image + inpaint pipelines", "median s to make", "extra UNet copies MiB"])
    for name, seconds in times.items():
        table.add(name, median(seconds), 2 * weights if name.startswith("loaded") else 0)
    return table


def compile_section(arguments: Any) -> Table:
    """Compile time, steady state and a second size (no recompile with dynamic shapes), previs-tiny."""
    import torch

    from previs.generation.generator import Generator
    from previs.generation.limits import GenerationRequest
    from previs.settings import FastPaths

    sizes = (64, 96)
    table = Table(["PREVIS_COMPILE", "first call s", f"steady s ({sizes[0]}px)", f"first call at {sizes[1]}px s",
                   f"steady s ({sizes[1]}px)", "graphs compiled"])
    for compiled in (False, True):
        torch._dynamo.reset()
        torch._dynamo.utils.counters.clear()
        generator = Generator("previs-tiny", models_dir(arguments.cache), device=arguments.device,
                              fast_paths=FastPaths(compile=compiled))
        generator.load()
        cells: list[object] = []
        for size in sizes:
            run = partial(generator.generate, GenerationRequest(PROMPTS[0], seed=1, steps=2, width=size,
                                                                height=size))
            cells += [timed(run), median([timed(run) for _ in range(arguments.runs)])]
        graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"]  # 1: one graph served both sizes
        table.add("on" if compiled else "off", *cells, graphs)
    return table


def vae_tiling(arguments: Any) -> Table:
    """Whole against tiled decoding of one large frame: seconds, and how far the process' peak RSS rose."""
    import torch
    from diffusers import AutoencoderKL

    folder = str(model_folder(arguments.model, arguments.cache, toy=arguments.toy))
    vae = AutoencoderKL.from_pretrained(folder, subfolder="vae")
    side = arguments.vae_size // 8
    latents = torch.randn(1, 4, side, side, generator=torch.Generator().manual_seed(0)) / vae.config.scaling_factor
    table = Table(["VAE decode", "size", "median s", "peak RSS rise MiB"])
    for tiled in (False, True):
        if tiled:
            vae.enable_tiling()
        rises, seconds = [], []
        for _ in range(arguments.runs):
            before = _reset_peak_rss()
            with torch.no_grad():
                seconds.append(timed(partial(vae.decode, latents)))
            rises.append(_status_mib("VmHWM") - before)
        table.add("tiled" if tiled else "whole", f"{arguments.vae_size}x{arguments.vae_size}", median(seconds),
                  max(rises))
    return table


def _reset_peak_rss() -> float:
    """Set the kernel's peak-RSS mark to the current RSS (Linux: clear_refs 5) and return it in MiB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mib("VmRSS")


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--model", default="sd15", choices=MODELS)
    arguments.add_argument("--size", type=int, default=256)
    arguments.add_argument("--steps", type=int, default=2)
    arguments.add_argument("--vae-size", type=int, default=1024, help="frame side for the VAE tiling section")
    arguments.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)}")
    parsed = parse(arguments, argv)
    chosen = parsed.only.split(",")
    from previs.generation.models import choose_placement
    from previs.settings import FastPaths

    automatic = choose_placement(parsed.device).dtype
    other = "float16" if automatic == "bfloat16" else "bfloat16"  # the half precision previs did not pick
    rows: dict[str, Callable[[], list[object]]] = {
        "batching": partial(batching, parsed),
        "attention": partial(switch, parsed, "PREVIS_ATTENTION", ("sdpa (AttnProcessor2_0)", "classic (AttnProcessor)"),
                             {"fast_paths": FastPaths(attention="classic")}),
        "channels_last": partial(switch, parsed, "PREVIS_CHANNELS_LAST", ("off (NCHW)", "on (NHWC)"),
                                 {"fast_paths": FastPaths(channels_last=True)}),
        "dtype": partial(switch, parsed, "PREVIS_DTYPE", (f"automatic ({automatic})", other),
                         {"dtype": other}),
    }
    table = Table(["setting", "default", "other", "default img/s", "other img/s", "other vs default",
                   "max pixel diff"])
    for name in (name for name in rows if name in chosen):
        table.add(*rows[name]())
    tables = [(f"{parsed.model}, {parsed.size}x{parsed.size}, {parsed.steps} steps, images per second", table)]
    if "shared" in chosen:
        tables.append((f"One loaded pipeline for every mode ({parsed.model})", shared(parsed)))
    if "compile" in chosen:
        tables.append(("torch.compile (previs-tiny, dynamic shapes, 2 steps)", compile_section(parsed)))
    if "vae_tiling" in chosen:
        tables.append((f"VAE tiling ({parsed.model} VAE)", vae_tiling(parsed)))
    notes = ["max pixel diff: the largest difference (0-255) between the frames the default and the other "
             "setting made from the same request; 0 means identical pixels.",
             "batching: the first request finds the model idle and runs alone, the others wait and are merged."]
    return report("fast_paths", "Fast paths, off and on", tables, notes, arguments=parsed)


if __name__ == "__main__":
    main()

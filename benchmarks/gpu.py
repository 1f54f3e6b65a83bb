"""On a GPU: SD 1.5 at 512x512 and SDXL at 1024x1024 (real architectures, random weights), 30 steps with CFG,
plain diffusers against the previs core path, both in fp16; images/s and the share of the card's peak.

    .venv/bin/python -m benchmarks.gpu --device cuda                 # the real measurement
    .venv/bin/python -m benchmarks.gpu --device cpu --tiny-check     # builds, saves, loads, runs 2 steps: seconds

The share of peak counts only the denoiser's forward passes (~0.8 TFLOP per SD 1.5 512x512 forward, ~6.8 TFLOP
per SDXL 1024x1024 forward, two per step with CFG), so text encoders and the VAE make it a lower bound.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from benchmarks.harness import Table, parse, parser, report
from benchmarks.vs_diffusers import add_arguments, compare

# model, frame side, TFLOP per denoiser forward at that side
CASES = (("sd15", 512, 0.8), ("sdxl", 1024, 6.8))
# Dense bf16/fp16 tensor-core peak, TFLOP/s, by a word in torch.cuda.get_device_name()
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0, "A10": 125.0,
               "4090": 165.0, "3090": 71.0}


def peak_tflops(given: float | None) -> float | None:
    """The card's dense bf16 peak: as given, or looked up by its name; None when unknown (CPU)."""
    if given is not None:
        return given
    import torch

    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name()
    return next((peak for word, peak in PEAK_TFLOPS.items() if word in name), None)


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    add_arguments(arguments, models=",".join(case[0] for case in CASES), size=0, steps=30)  # size 0: native
    arguments.add_argument("--peak-tflops", type=float, default=None, help="the card's dense bf16 TFLOP/s")
    arguments.add_argument("--tiny-check", action="store_true",
                           help="toy architectures at 64x64, 2 steps, 1 run, float32: checks the setup only")
    parsed = parse(arguments, argv)
    if parsed.tiny_check:
        parsed.toy, parsed.steps, parsed.runs = True, 2, 1
    parsed.dtype = parsed.dtype or ("float32" if parsed.tiny_check else "float16")
    peak = peak_tflops(parsed.peak_tflops)
    table = Table(["model", "size", "steps", "device", "previs img/s", "plain img/s", "previs/plain",
                   "previs TFLOP/s", "share of peak", "same pixels"])
    for model, side, tflop in CASES:
        if model not in parsed.models.split(","):
            continue
        size = 64 if parsed.tiny_check else (parsed.size or side)
        result = compare(model, argparse.Namespace(**{**vars(parsed), "size": size}))
        achieved = result.previs * parsed.steps * 2 * tflop * (result.size / side) ** 2
        table.add(model, f"{result.size}x{result.size}", parsed.steps, result.placement, result.previs,
                  result.plain, f"{result.previs / result.plain:.3f}", achieved,
                  f"{achieved / peak:.1%}" if peak else "n/a", "yes" if result.same_pixels else "no")
    notes = [f"peak: {peak} TFLOP/s dense bf16" if peak else "peak unknown: pass --peak-tflops",
             "TFLOP/s scales the per-forward cost by (size / native size)^2 when --size is not the native one."]
    if parsed.tiny_check:
        notes.append("--tiny-check: toy architectures; the numbers mean nothing, the run proves the setup.")
    return report("gpu", "GPU: SD 1.5 and SDXL, plain diffusers vs previs", [("", table)], notes,
                  arguments=parsed)


if __name__ == "__main__":
    main()

"""Soft binding thresholds and lookup cost: how far each kind of copy moves a frame's ISCC image code, how close
unrelated pictures and other seeds' frames come, and one verify against 100,000 indexed frames.

    .venv/bin/python -m benchmarks.soft_binding            # 240 frames at 256x256, 60 at 512x512
"""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance

from benchmarks.harness import Table, median, parse, parser, report
from previs.generation.generator import Generator
from previs.generation.limits import TINY_MODEL, GenerationRequest
from previs.provenance.soft_binding import INDEXED_CROPS, MATCH_DISTANCE, QUERY_CROPS, band_keys, crop_codes

PROMPTS = ("a misty harbour at dawn", "a red car in a desert", "castle hall lit by candles", "spaceship corridor",
           "a rain-soaked alley, neon", "an orchard in autumn", "a crowded market street", "snowy mountain pass")
THRESHOLDS = (4, 6, 8, 10, 12, 14)


def _jpeg(quality: int) -> Callable[[Image.Image], Image.Image]:
    def transform(image: Image.Image) -> Image.Image:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=quality)
        return Image.open(io.BytesIO(buffer.getvalue()))
    return transform


def _resize(scale: float) -> Callable[[Image.Image], Image.Image]:
    return lambda image: image.resize((round(image.width * scale), round(image.height * scale)),
                                      Image.Resampling.LANCZOS)


def _crop(fraction: float) -> Callable[[Image.Image], Image.Image]:
    def transform(image: Image.Image) -> Image.Image:
        dx, dy = round(image.width * fraction), round(image.height * fraction)
        return image.crop((dx, dy, image.width - dx, image.height - dy))
    return transform


def _one_pixel(image: Image.Image) -> Image.Image:
    edited = image.convert("RGB").copy()
    red, green, blue = edited.getpixel((0, 0))  # type: ignore[misc]
    edited.putpixel((0, 0), (255 - red, green, blue))
    return edited


TRANSFORMS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "JPEG q=95": _jpeg(95), "JPEG q=75": _jpeg(75), "JPEG q=50": _jpeg(50),
    "resize 50%": _resize(0.5), "resize 25%": _resize(0.25),
    "crop 2% per side": _crop(0.02), "crop 3% per side": _crop(0.03), "crop 5% per side": _crop(0.05),
    "crop 10% per side": _crop(0.10), "1 pixel changed": _one_pixel,
    "brightness +10%": lambda image: ImageEnhance.Brightness(image).enhance(1.1),
    "crop 5% + JPEG q=75": lambda image: _jpeg(75)(_crop(0.05)(image)),
}


def _unrelated(count: int, size: int) -> list[Image.Image]:
    """Pictures no frame was made from: noise at several grains, gradients, and blocks of colour."""
    rng = np.random.default_rng(2024)
    pictures = []
    for index in range(count):
        grain = (4, 16, 64, size)[index % 4]
        noise = rng.integers(0, 256, (grain, grain, 3), dtype=np.uint8)
        picture = Image.fromarray(noise).resize((size, size), Image.Resampling.BICUBIC)
        if index % 5 == 0:
            ramp = np.linspace(0, 255, size, dtype=np.float64)
            angle = rng.uniform(0, np.pi)
            field = np.cos(angle) * ramp[None, :] + np.sin(angle) * ramp[:, None]
            picture = Image.fromarray(np.clip(field, 0, 255).astype(np.uint8)).convert("RGB")
        pictures.append(picture)
    return pictures


def _nearest(query: Image.Image, index: np.ndarray) -> np.ndarray:
    """Per indexed frame, the least distance over the query's crops and the frame's indexed crops."""
    codes = np.array([code for _, code in crop_codes(query, QUERY_CROPS)], dtype=np.uint64)
    distances = np.bitwise_count(index[:, :, None] ^ codes[None, None, :])
    return distances.reshape(index.shape[0], -1).min(axis=1)  # type: ignore[no-any-return]


def _frames(generator: Generator, count: int, size: int, seed_base: int) -> list[Image.Image]:
    return [image.image for seed in range(count) for image in generator.generate(GenerationRequest(
        prompt=PROMPTS[seed % len(PROMPTS)], seed=seed_base + seed, width=size, height=size))]


def thresholds(frames: Sequence[Image.Image], unrelated: Sequence[Image.Image]) -> Table:
    index = np.array([[code for _, code in crop_codes(frame, INDEXED_CROPS)] for frame in frames], dtype=np.uint64)
    table = Table(["picture", *(f"≤ {t}" for t in THRESHOLDS), "median d", "max d"])
    own_distances: list[int] = []
    for name, transform in TRANSFORMS.items():
        own = []
        for number, frame in enumerate(frames):
            own.append(int(_nearest(transform(frame), index[number:number + 1])[0]))
        own_distances += own
        table.add(name + " (own frame found)", *(f"{sum(d <= t for d in own)}/{len(own)}" for t in THRESHOLDS),
                  int(median(own)), max(own))
    others = []
    for number, frame in enumerate(frames):
        others.append(int(np.delete(_nearest(frame, index), number).min()))
    table.add("another seed's frame (false match)", *(f"{sum(d <= t for d in others)}/{len(others)}"
                                                     for t in THRESHOLDS), int(median(others)), min(others))
    strangers = [int(_nearest(picture, index).min()) for picture in unrelated]
    table.add("unrelated picture (false match)", *(f"{sum(d <= t for d in strangers)}/{len(strangers)}"
                                                  for t in THRESHOLDS), int(median(strangers)), min(strangers))
    return table


def lookup_cost(generator: Generator, frames: int, runs: int) -> tuple[float, float, int]:
    """Median ms of ``ProvenanceDesk.verify`` on a stripped, resized frame and on an unrelated picture, with
    ``frames`` synthetic frames' codes in the index; and the candidates a lookup reads."""
    from benchmarks.harness import studio_for
    from previs.app.requests import FrameRequest

    with tempfile.TemporaryDirectory() as models, studio_for(TINY_MODEL, Path(models), device="cpu",
                                                             generator=generator) as studio:
        frame = studio.frames.generate(FrameRequest("a misty harbour", seed=3, width=256, height=256),
                                       actor=studio.local_actor)[0]
        _index_synthetic(studio.database, frame.id, frames)
        with Image.open(frame.path) as image:
            buffer = io.BytesIO()
            _resize(0.5)(image).save(buffer, format="PNG")
        copy = buffer.getvalue()
        buffer = io.BytesIO()
        _unrelated(1, 256)[0].save(buffer, format="PNG")
        stranger = buffer.getvalue()
        result = studio.provenance.verify(copy, actor=studio.local_actor)
        assert result.status == "derived_known", result.summary
        times: dict[str, list[float]] = {"copy": [], "stranger": []}
        for _ in range(runs):
            for name, data in (("copy", copy), ("stranger", stranger)):
                start = time.perf_counter()
                studio.provenance.verify(data, actor=studio.local_actor)
                times[name].append(time.perf_counter() - start)
        codes = [code for _, code in crop_codes(_opened(stranger), QUERY_CROPS)]
        with studio.database.unit_of_work() as work:
            candidates = len(work.soft_bindings.candidates(band_keys(codes)))
        return median(times["copy"]) * 1e3, median(times["stranger"]) * 1e3, candidates


def _opened(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def _index_synthetic(database: Any, frame_id: int, frames: int) -> None:
    """``frames`` frames' worth of random codes (each indexed under ``len(INDEXED_CROPS)`` rows), in batches."""
    rng = np.random.default_rng(100_000)
    rows = len(INDEXED_CROPS) * frames
    for start in range(0, rows, 50_000):
        band_values = rng.integers(0, 1 << 16, (min(50_000, rows - start), 4))
        with database.unit_of_work() as work:
            work.soft_bindings.add_many([{"frame_id": frame_id, "crop": 0, "band0": int(a), "band1": int(b),
                                          "band2": int(c), "band3": int(d)} for a, b, c, d in band_values])


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--frames", type=int, default=240, help="frames at 256x256")
    arguments.add_argument("--large", type=int, default=60, help="frames at 512x512")
    arguments.add_argument("--indexed", type=int, default=100_000, help="synthetic frames in the lookup index")
    parsed = parse(arguments, argv)
    if parsed.toy:
        parsed.frames, parsed.large, parsed.indexed = 16, 0, 2_000
    generator = Generator(TINY_MODEL, parsed.cache, device="cpu")
    generator.load()
    tables = []
    for count, size, seed_base in ((parsed.frames, 256, 0), (parsed.large, 512, 100_000)):
        if count:
            frames = _frames(generator, count, size, seed_base)
            tables.append((f"{count} previs-tiny frames at {size}x{size}, 200 unrelated pictures: copies whose "
                           "frame is found within each Hamming threshold, and false matches",
                           thresholds(frames, _unrelated(200, size))))
    copy_ms, stranger_ms, candidates = lookup_cost(generator, parsed.indexed, parsed.runs * 5)
    cost = Table(["indexed frames (rows)", "verify a resized copy (ms)", "verify an unrelated picture (ms)",
                  "candidates read"])
    cost.add(f"{parsed.indexed} ({parsed.indexed * len(INDEXED_CROPS)})", copy_ms, stranger_ms, candidates)
    tables.append(("`ProvenanceDesk.verify` of one stripped picture (SQLite)", cost))
    notes = [f"Indexed per frame: centre crops {', '.join(f'{c / 10:g}%' for c in INDEXED_CROPS)} per side; looked "
             f"up per picture: its crops {', '.join(f'{c / 10:g}%' for c in QUERY_CROPS)}; a match is the least "
             f"distance over those pairings. previs matches at ≤ {MATCH_DISTANCE} "
             "(`previs.provenance.soft_binding.MATCH_DISTANCE`).",
             "Distances are even: each of the code's 64 bits is a DCT coefficient above or below the median of the "
             "64, so every code has 32 ones.",
             "The crops are symmetric (the same fraction off each side); one-sided crops and rotations were not "
             "measured. Unrelated pictures: noise at four grains and gradients; previs-tiny's frames are "
             "noise-like themselves, a real model's frames may sit closer to each other.",
             "verify: `ProvenanceDesk.verify` as `previs verify` calls it (decode, credentials, ledger, then the "
             "soft-binding lookup); the synthetic codes are random."]
    return report("soft_binding", "Soft binding: ISCC image code", tables, notes, arguments=parsed)


if __name__ == "__main__":
    main()

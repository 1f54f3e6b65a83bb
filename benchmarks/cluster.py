"""Images per second in process and on a local Ray cluster with 1 and 2 workers, and the dispatch cost per frame.

    .venv/bin/python -m benchmarks.cluster                 # previs-tiny, 128x128, 4 steps, 8 frames per run

Each frame goes through the whole core path (gate, draw, re-check, sign, store, ledger); frames are asked for
as many at once as the pool has workers, as a storyboard fans out. The dispatch overhead is one worker's
``RayWorkers.generate`` minus the same request on an in-process generator (pickling the request and the pixels,
two trips through Ray's object store).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from benchmarks.harness import Table, median, parse, parser, per_call, report, studio_for, timed
from benchmarks.random_models import models_dir

MODES = ("local", "ray-local:1", "ray-local:2")


def _frames(studio: Any, count: int, size: int, steps: int) -> None:
    from previs.app.requests import FrameRequest

    def one(index: int) -> None:
        studio.frames.generate(FrameRequest("flooded subway station, night", project="Bench", seed=index,
                                            steps=steps, width=size, height=size), actor=studio.local_actor)

    with ThreadPoolExecutor(studio.models.parallelism) as pool:
        list(pool.map(one, range(count)))


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--size", type=int, default=128)
    arguments.add_argument("--steps", type=int, default=4)
    arguments.add_argument("--frames", type=int, default=8)
    parsed = parse(arguments, argv)
    from previs.generation.generator import Generator
    from previs.generation.limits import TINY_MODEL, GenerationRequest
    from previs.settings import WorkerMode

    folder = models_dir(parsed.cache)
    table = Table(["workers", "s per run", "img/s", "vs in process"])
    base = 0.0
    dispatch: dict[str, float] = {}
    request = GenerationRequest("a lighthouse", seed=1, steps=1, width=64, height=64)
    for mode in MODES:
        with studio_for(TINY_MODEL, folder, device="cpu", workers=WorkerMode.parse(mode)) as studio:
            _frames(studio, 2, parsed.size, parsed.steps)  # warm up every worker
            seconds = median([timed(partial(_frames, studio, parsed.frames, parsed.size, parsed.steps))
                              for _ in range(parsed.runs)])
            rate = parsed.frames / seconds
            base = base or rate
            table.add(mode, seconds, rate, f"{rate / base:.2f}x")
            if mode == "ray-local:1":
                generate = studio.models.generate
                dispatch["pool"] = per_call(partial(generate, request), parsed.runs, 10)
    generator = Generator(TINY_MODEL, folder, device="cpu")
    generator.load()
    dispatch["local"] = per_call(partial(generator.generate, request), parsed.runs, 10)
    overhead = Table(["path", "ms per 64x64 1-step frame"])
    overhead.add("in-process generator", dispatch["local"] * 1000)
    overhead.add("one Ray worker", dispatch["pool"] * 1000)
    overhead.add("dispatch overhead", (dispatch["pool"] - dispatch["local"]) * 1000)
    notes = [f"previs-tiny, {parsed.size}x{parsed.size}, {parsed.steps} steps, {parsed.frames} frames per run, "
             "CPU workers (one CPU each). No GPU was lent to issue #19, so the 1 GPU vs in-process SD 1.5 row is "
             "not measured; on a 2-core machine two CPU workers share the cores the studio also uses."]
    return report("cluster", "Generation workers: in process and on a local Ray cluster",
                  [("", table), ("Dispatch overhead", overhead)], notes, arguments=parsed, module="cluster")


if __name__ == "__main__":
    main()

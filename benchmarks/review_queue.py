"""The review queue's first page as projects grow: 1,000 / 10,000 / 50,000 frames, time and peak memory.

One real frame is made with previs-tiny; its row (record included, ~2 KiB of JSON) is then copied in bulk through
the storage layer, so every frame costs what a real one costs to read. Timed: the first page of 200 as the CLI
and the Review tab get it (`FrameDesk.pending`: ids, then the frames shown), and the count waiting over all
pages (`ReviewDesk.waiting`), with every frame waiting, and again with the older half approved (the page has to
be found past decided frames). Peak memory is Python's (tracemalloc) during one call.

    .venv/bin/python -m benchmarks.review_queue
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from benchmarks.harness import Table, median, parse, parser, report, sizes, studio_for, timed
from benchmarks.random_models import models_dir

PROJECT = "Bench"


def peak_mib(function: Callable[[], object]) -> float:
    """Python's peak allocation during one call, MiB."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def add_frames(studio: Any, template: Any, start: int, stop: int) -> None:
    """Copies of one real frame row, numbered ``start`` to ``stop``, in one statement."""
    fields = {"project_id": template.project_id, "kind": template.kind, "path": template.path,
              "width": template.width, "height": template.height, "model": template.model,
              "record": template.record, "created_by": template.created_by}
    with studio.database.unit_of_work() as work:
        work.frames.add_many([{**fields, "sha256": f"{number:064x}", "file_sha256": f"{number:064x}",
                               "seed": number} for number in range(start, stop)])


def approve(studio: Any, frame_ids: range) -> None:
    with studio.database.unit_of_work() as work:
        for frame_id in frame_ids:
            work.reviews.add(frame_id=frame_id, status="approved", author="bench", created_at=datetime.now(UTC))


def row(studio: Any, frames: int, approved: str, runs: int) -> list[object]:
    """The cells of one table row: the page's size, time and peak memory, the count's time."""
    actor = studio.local_actor

    def page() -> Any:
        return studio.frames.pending(project=PROJECT, actor=actor)

    def waiting() -> Any:
        return studio.reviews.waiting(project=PROJECT, actor=actor)

    page()
    return [frames, approved, len(page()), 1000 * median([timed(page) for _ in range(runs)]), peak_mib(page),
            1000 * median([timed(waiting) for _ in range(runs)])]


def measure(studio: Any, sizes: Sequence[int], runs: int) -> Table:
    from previs.app.requests import FrameRequest

    made = studio.frames.generate(FrameRequest("a lighthouse in fog", project=PROJECT, seed=1, width=64, height=64),
                                  actor=studio.local_actor)[0]
    with studio.database.unit_of_work() as work:
        template = work.frames.get(made.id)
    table = Table(["frames", "older half approved", "first page (frames)", "first page (ms)",
                   "first page peak (MiB)", "count waiting (ms)"])
    stored = 1  # the real frame; the copies follow it, so the project's frame ids are made.id onwards
    for size in sizes:
        add_frames(studio, template, stored, size)
        stored = max(stored, size)
        table.add(*row(studio, size, "no", runs))
    approve(studio, range(made.id, made.id + stored // 2))
    table.add(*row(studio, stored, "yes", runs))
    return table


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--sizes", type=sizes,
                           default=[1_000, 10_000, 50_000], help="frames in the project, e.g. 1000,10000,50000")
    parsed = parse(arguments, argv)
    with studio_for("previs-tiny", models_dir(parsed.cache), device=parsed.device) as studio:
        table = measure(studio, parsed.sizes, parsed.runs)
    notes = ["First page: `Studio.frames.pending(project=...)`, 200 frames oldest first with their records, as "
             "`previs review --pending` and the Review tab show them; count: `Studio.reviews.waiting`. SQLite, one "
             "project holding every frame.",
             "Peak memory is tracemalloc's (Python allocations) during one first-page call, not the process's RSS."]
    return report("review_queue", "Review queue by project size",
                  [(f"Medians of {parsed.runs} calls", table)], notes, arguments=parsed)


if __name__ == "__main__":
    main()

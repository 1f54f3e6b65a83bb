"""A page of the Library tab as the studio grows: 1,000 / 10,000 / 50,000 frames, median ms per page.

One real frame is made with previs-tiny and its row copied in bulk (``review_queue.add_frames``), so every frame
costs what a real one costs to read. Timed: the newest page (24 frames, as the tab opens), the page older than
the middle frame (keyset paging: *Older* deep in the history), the frames of a maker who made a few (10 per
size step), and the approved frames when the older half is approved (a filter on each frame's newest review).

    .venv/bin/python -m benchmarks.library
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.harness import Table, median, parse, parser, report, sizes, studio_for, timed
from benchmarks.random_models import models_dir
from benchmarks.review_queue import PROJECT, add_frames, approve

RARE = "rare-maker"  # made the 10 newest frames but one page's worth


def measure(studio: Any, sizes: Sequence[int], runs: int) -> Table:
    from previs.app.requests import FrameRequest, LibraryFilters

    actor = studio.local_actor
    made = studio.frames.generate(FrameRequest("a lighthouse in fog", project=PROJECT, seed=1, width=64, height=64),
                                  actor=actor)[0]
    with studio.database.unit_of_work() as work:
        template = work.frames.get(made.id)
    table = Table(["frames", "newest page (ms)", "older than the middle (ms)", "a rare maker's (ms)",
                   "approved, older half (ms)", "frames on a page"])
    stored = 1
    for size in sizes:
        add_frames(studio, template, stored, size)
        with studio.database.unit_of_work() as work:  # a maker with few frames, spread through the history
            for row in work.frames.with_ids(range(made.id, made.id + size, max(1, size // 10))):
                row.created_by = RARE
        approve(studio, range(made.id + stored // 2, made.id + size // 2))
        stored = size

        def page(filters: Any, before: int | None = None) -> Callable[[], Any]:
            return lambda: studio.frames.library(filters, before=before, actor=actor)

        cases = [page(LibraryFilters(project=PROJECT)),
                 page(LibraryFilters(project=PROJECT), before=made.id + size // 2),
                 page(LibraryFilters(project=PROJECT, created_by=RARE)),
                 page(LibraryFilters(project=PROJECT, review="approved"))]
        shown = len(cases[0]().frames)
        table.add(size, *(1000 * median([timed(case) for _ in range(runs)]) for case in cases), shown)
    return table


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--sizes", type=sizes,
                           default=[1_000, 10_000, 50_000], help="frames in the project, e.g. 1000,10000,50000")
    parsed = parse(arguments, argv)
    with studio_for("previs-tiny", models_dir(parsed.cache), device=parsed.device) as studio:
        table = measure(studio, parsed.sizes, parsed.runs)
    notes = ["A page: `Studio.frames.library(filters, before=...)`, 24 frames newest first with their records and "
             "review statuses, as the Library tab shows them (one `FrameRepository.library` query, keyset paging "
             "on the frame id; two one-row probes say whether *Newer* and *Older* have more). SQLite, one project "
             "holding every frame."]
    return report("library", "Library pages by library size", [(f"Medians of {parsed.runs} calls", table)], notes,
                  arguments=parsed)


if __name__ == "__main__":
    main()

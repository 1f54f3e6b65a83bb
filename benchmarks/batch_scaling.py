"""Images per second through the core path at batch 1, 2, 4 and 8 (one request of ``count`` images).

    .venv/bin/python -m benchmarks.batch_scaling                  # previs-tiny at 256x256
    .venv/bin/python -m benchmarks.batch_scaling --model sd15     # SD 1.5 architecture, random weights
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from benchmarks.harness import Table, interleaved, median, parse, parser, report, studio_for
from benchmarks.random_models import MODELS, model_source, models_dir

BATCHES = (1, 2, 4, 8)


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--model", default="tiny", choices=MODELS)
    arguments.add_argument("--size", type=int, default=256)
    arguments.add_argument("--steps", type=int, default=4)
    arguments.add_argument("--batches", default=",".join(map(str, BATCHES)))
    parsed = parse(arguments, argv)
    from previs.app.requests import FrameRequest

    batches = [int(batch) for batch in parsed.batches.split(",")]
    source = model_source(parsed.model, parsed.cache, toy=parsed.toy)
    with studio_for(source, models_dir(parsed.cache), device=parsed.device) as studio:
        requests = {batch: FrameRequest(prompt="flooded subway station, night", seed=3, steps=parsed.steps,
                                        width=parsed.size, height=parsed.size, count=batch) for batch in batches}
        times = interleaved(
            {
                str(batch): partial(studio.frames.generate, request, actor=studio.local_actor)
                for batch, request in requests.items()
            },
            parsed.runs,
        )
        placement = studio.models.generator.load().placement
    single = 1 / median(times[str(batches[0])]) * batches[0]
    table = Table(["batch", "s per request", "img/s", f"vs batch {batches[0]}"])
    for batch in batches:
        seconds = median(times[str(batch)])
        table.add(batch, seconds, batch / seconds, f"{batch / seconds / single:.2f}x")
    notes = [f"model {parsed.model}, {parsed.size}x{parsed.size}, {parsed.steps} steps, guidance = the model's "
             f"default, {placement.device} {placement.dtype}; each request is stored, signed and ledgered "
             "image by image, so bookkeeping grows with the batch too."]
    return report(f"batch_scaling_{parsed.model}", f"Batch scaling ({parsed.model})", [("", table)], notes,
                  arguments=parsed, module="batch_scaling")


if __name__ == "__main__":
    main()

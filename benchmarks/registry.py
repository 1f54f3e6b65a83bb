"""The consent registry as it grows: the gate per request, registering a performer and recording a grant, at
100 / 1,000 / 10,000 registered performers (target: the same cost at every size).

The registry is filled in bulk through the storage layer (one transaction, indexed as `add_performer` indexes),
with names drawn from 100 first names and 100 surnames, so a first name is shared by 1% of the registry and
every performer has an alias; then the real `ConsentRegistry` calls are timed.

    .venv/bin/python -m benchmarks.registry
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from benchmarks.harness import PERFORMERS, Table, median, parse, parser, report, sizes, spelled, studio_for, timed
from benchmarks.random_models import models_dir

FIRST = [a + b for a, b in itertools.product(("Al", "Be", "Ca", "Da", "El", "Fa", "Gi", "Ha", "Io", "Ju"),
                                             ("na", "ro", "li", "mo", "ve", "sa", "ti", "ka", "do", "ne"))]
LAST = [a + b for a, b in itertools.product(("Mor", "Kes", "Tal", "Vin", "Dor", "Sel", "Bra", "Lun", "Pik", "Ros"),
                                            ("ton", "ley", "ford", "ski", "ard", "ell", "ani", "berg", "wick", "ez"))]
NOBODY = "abandoned observatory on a cliff at dusk, a keeper with a lantern"
NAMED = "Zoë Okafor at the abandoned observatory on a cliff at dusk"  # registered by studio_for, with a grant
DESCRIPTION = "benchmark frames of the observatory scene, previs only"


def performer(number: int) -> tuple[str, str]:
    """The name and alias of the ``number``-th extra performer (unique up to 10,000 x 10,000)."""
    first, last = FIRST[number % len(FIRST)], LAST[number // len(FIRST) % len(LAST)]
    cohort = number // (len(FIRST) * len(LAST))
    suffix = f" {cohort + 1}" if cohort else ""
    return f"{first} {last}{suffix}", f"{last}, {first}{suffix}"


def fill(studio: Any, start: int, stop: int) -> None:
    """Register extras ``start`` to ``stop`` in one transaction, as add_performer would store them."""
    from previs.consent.registry import index_keys

    with studio.database.unit_of_work() as work:
        for number in range(start, stop):
            name, alias = performer(number)
            work.consent.add_performer(name=name, aliases=[alias], created_by="bench",
                                       keys=index_keys(name, [alias], []))


def measure(studio: Any, sizes: Sequence[int], runs: int) -> Table:
    """Median milliseconds per call at each registry size."""
    actor = studio.local_actor
    until = date.today() + timedelta(days=30)
    studio.consent.grant("Zoë Okafor", project="Bench", uses=["likeness_reference"], description=DESCRIPTION,
                         valid_until=until, actor=actor)
    table = Table(["registered performers", "gate, naming nobody (ms)", "gate, naming one with a grant (ms)",
                   "add_performer (ms)", "grant (ms)"])
    filled, added = 0, itertools.count()
    for size in sizes:
        extras = size - len(PERFORMERS)  # studio_for registered those
        fill(studio, filled, extras)
        filled = max(filled, extras)
        cells: list[object] = []
        for prompt in (NOBODY, NAMED):
            def clear(prompt: str = prompt) -> Any:
                return studio.consent.clear("Bench", prompt=prompt, texts=(), actor=actor)
            clear()
            cells.append(1000 * median([timed(clear) for _ in range(50 * runs)]))

        def add() -> Any:
            return studio.consent.add_performer(f"Newcomer {spelled(next(added))} Quill", actor=actor)

        def grant(name: str = performer(extras // 2)[0]) -> Any:
            return studio.consent.grant(name, project="Bench", uses=["likeness_reference"],
                                        description=DESCRIPTION, valid_until=until, actor=actor)
        cells += [1000 * median([timed(add) for _ in range(10 * runs)]),
                  1000 * median([timed(grant) for _ in range(10 * runs)])]
        table.add(size, *cells)
    return table


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--sizes", type=sizes,
                           default=[100, 1_000, 10_000], help="registered performers, e.g. 100,1000,10000")
    parsed = parse(arguments, argv)
    with studio_for("previs-tiny", models_dir(parsed.cache), device=parsed.device) as studio:
        table = measure(studio, parsed.sizes, parsed.runs)
    notes = ["The gate is `ConsentRegistry.clear` alone (one transaction: the performers the prompt may name, a "
             "key that names them alone or two of one label, through the name-word index, then the named ones' "
             "current grants); 'naming one' names "
             "a performer with an active grant. Medians of 50 x runs calls; add_performer and grant of 10 x runs "
             "(each a committed transaction: SQLite, WAL, synchronous=NORMAL).",
             "Extras are named from 100 first names x 100 surnames, each with an alias ('Surname, First'), so a "
             "first name is a word of 1% of the labels; the sizes count the whole registry."]
    return report("registry", "Consent registry by size",
                  [(f"Milliseconds per call ({parsed.runs} runs)", table)], notes, arguments=parsed)


if __name__ == "__main__":
    main()

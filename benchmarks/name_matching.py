"""Name matching for the likeness gate: time per prompt against 10, 100, 1000 candidate performers (CPU only).

A candidate is a performer the gate has to match the prompt against (the ones an index over the word keys
would fetch, or every performer without one). Each prompt is ~80 words; one is plain set-design text, one
hides a registered name behind zero-width characters, Cyrillic letters and a reversed order.

    .venv/bin/python -m benchmarks.name_matching
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Sequence

from benchmarks.harness import Table, parse, parser, per_call, report
from previs.consent import canonical as matching

FIRST = ("Zoë", "Ann", "Marek", "Grace", "Jean", "Mary Jane", "Dawn", "Kofi", "Aiyana", "Søren", "Li", "Ngozi",
         "Mateo", "Priya", "Oisín", "Yuki", "Amara", "Tomasz", "Elif", "Rafael")
LAST = ("Okafor", "Lee", "Nowak", "Hall", "Baptiste", "Watson", "Rivers", "Mensah", "Redcloud", "Kierkegaard",
        "Wei", "Adeyemi", "García Márquez", "Raghunathan", "Ní Bhriain", "Tanaka", "Osei-Bonsu", "Wiśniewski",
        "Yılmaz", "Oliveira-Santos", "Smith", "Young", "Stone", "Dexter", "Fairweather")
SET_TEXT = ("production design of a film set, interior Harbour Warehouse office at night, dusty filing cabinets "
            "line the walls, a desk lamp flickers over scattered blueprints, rain streaks the tall windows, "
            "a rusted forklift waits by the loading dock, crates stencilled with shipping codes, a cracked "
            "clock above the door, neon from the street leaks through the blinds, puddles on the concrete "
            "floor, steam rising from a vent, digital concept art, painterly, cinematic lighting, atmospheric, "
            "wide establishing view, detailed set dressing")
PROMPTS = {
    "plain, ~80 words": SET_TEXT,
    "disguised name, ~80 words": SET_TEXT.replace("a desk lamp", "Оkа\u200bfor, Zo\ufe0fë at a desk lamp"),
}


def cast(size: int) -> list[matching.PerformerNames]:
    """``size`` distinct performers, common and distinctive names mixed, each with a "First L" alias."""
    two_part = [f"{first} {last}" for first, last in itertools.product(FIRST, LAST)]
    three_part = [f"{first} {middle} {last}" for first, middle, last in itertools.product(FIRST, FIRST, LAST)]
    for names in (two_part, three_part):
        random.Random(16).shuffle(names)
    return [matching.PerformerNames(name, aliases=[f"{name.split()[0]} {name.split()[-1][0]}"])
            for name in (two_part + three_part)[:size]]


def fetched(size: int) -> list[matching.PerformerNames]:
    """``size`` performers who each share a word with the disguised prompt: what an index lookup hands over."""
    names = [f"Zoë {last}" for last in LAST] + [f"{first} Okafor" for first in FIRST]
    return [matching.PerformerNames(name) for name in names[:size]]


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--candidates", default="10,20,100,1000", help="comma-separated candidate counts")
    arguments.add_argument("--fetched", type=int, default=20,
                           help="candidates that all share a word with the prompt (at most 45)")
    parsed = parse(arguments, argv)
    started = time.perf_counter()
    matching.canonical("Zо\u200bë")  # the confusables table is built on the first non-ASCII text
    first_use = time.perf_counter() - started
    table = Table(["candidates", "prompt", "read text (µs)", "match all (µs)", "total (ms)", "matched",
                   "sharing a key"])
    groups = [(size, "", cast(size)) for size in (int(count) for count in parsed.candidates.split(",") if count)]
    groups.append((parsed.fetched, ", all sharing a word", fetched(parsed.fetched)))
    for size, kind, performers in groups:
        for label, prompt in PROMPTS.items():
            text = matching.NameText.of(prompt)
            read = per_call(lambda prompt=prompt: matching.NameText.of(prompt), parsed.runs, 200)
            match = per_call(lambda text=text, performers=performers: [p.mention_in(text) for p in performers],
                             parsed.runs, max(1, 2000 // size))
            matched = sum(performer.mention_in(text) is not None for performer in performers)
            sharing = sum(not performer.keys.isdisjoint(text.keys) for performer in performers)
            table.add(f"{size}{kind}", label, read * 1e6, match * 1e6, (read + match) * 1e3, matched, sharing)
    notes = [f"First use in a process: {first_use * 1e3:.0f} ms (the TR39 confusables table and the common-word "
             "list are loaded once, on first need).",
             "read text: `NameText.of(prompt)` (canonical form, views, keys); match all: "
             "`PerformerNames.mention_in` for every candidate. An index on the keys would hand the gate only the "
             "'sharing a key' performers, which is the number to read the candidates column against."]
    return report("name_matching", "Likeness gate: name matching", [("", table)], notes, arguments=parsed)


if __name__ == "__main__":
    main()

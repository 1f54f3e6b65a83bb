"""What every benchmark shares: timing by medians, tables, the machine's description, and the results doc.

A benchmark prints its table and, with ``--update-doc``, replaces its own section of ``docs/performance.md``
(between ``<!-- bench:NAME -->`` markers) with the table, the command that made it, the machine and versions,
so final numbers are one re-run on a quiet machine away.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
VERSIONED = ("torch", "diffusers", "transformers", "c2pa-python", "pillow", "sqlalchemy", "gradio", "previs")


@dataclass
class Table:
    """Rows of already formatted cells under a header; printed and published as a Markdown table."""

    columns: Sequence[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([cell if isinstance(cell, str) else format_number(cell) for cell in cells])

    def markdown(self) -> str:
        widths = [max(len(str(c)) for c in column) for column in zip(self.columns, *self.rows, strict=True)]
        lines = [self.columns, ["-" * width for width in widths], *self.rows]
        return "\n".join("| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) + " |"
                         for line in lines)


def format_number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def spelled(number: int) -> str:
    """``number`` as a name word ("Qbcd"): the likeness gate reads digits as separators, so names told apart
    only by digits would be one name to it (and registering the second is refused)."""
    letters = ""
    while True:
        number, digit = divmod(number, 26)
        letters = chr(ord("a") + digit) + letters
        if not number:
            return "Q" + letters


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed(function: Callable[[], object]) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def per_call(function: Callable[[], object], runs: int, repeat: int) -> float:
    """Median seconds of one call over ``runs`` timed batches of ``repeat`` calls (after one warm-up call)."""
    function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(repeat):
            function()
        times.append((time.perf_counter() - start) / repeat)
    return median(times)


def interleaved(contenders: Mapping[str, Callable[[], object]], runs: int, *, warmup: int = 1
                ) -> dict[str, list[float]]:
    """Seconds per call of each contender, taking turns (A B A B ...) so drift in machine load hits all alike."""
    for _ in range(warmup):
        for function in contenders.values():
            function()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, function in contenders.items():
            times[name].append(timed(function))
    return times


def parser(description: str) -> argparse.ArgumentParser:
    """The flags every benchmark takes."""
    arguments = argparse.ArgumentParser(description=description)
    arguments.add_argument("--runs", type=int, default=3, help="timed runs per measurement (the median is shown)")
    arguments.add_argument("--device", default=None, help="cpu, cuda, mps (default: previs' automatic choice)")
    arguments.add_argument("--toy", action="store_true",
                           help="toy-size architectures and frames: checks the harness in seconds, no real numbers")
    arguments.add_argument("--cache", type=Path, default=None,
                           help="where config-built models are saved (default: $PREVIS_BENCH_CACHE or "
                                "~/.cache/previs-bench)")
    arguments.add_argument("--update-doc", action="store_true", help=f"write the results into {DOC.name}")
    return arguments


def sizes(text: str) -> list[int]:
    """A ``--sizes``-style flag: whole numbers separated by commas ("1000,10000,50000")."""
    return [int(part) for part in text.split(",")]


def parse(arguments: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the flags and settle the model cache folder."""
    parsed = arguments.parse_args(argv)
    parsed.argv = list(sys.argv[1:] if argv is None else argv)
    parsed.cache = parsed.cache or Path(os.environ.get("PREVIS_BENCH_CACHE") or
                                        Path.home() / ".cache" / "previs-bench")
    parsed.cache.mkdir(parents=True, exist_ok=True)
    return parsed


def environment(device: str | None = None) -> dict[str, str]:
    """The machine and library versions a result belongs to."""
    import torch

    versions = []
    for name in VERSIONED:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    machine = f"{_cpu_name()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}, {_memory()}"
    if torch.cuda.is_available():
        machine += f", GPU {torch.cuda.get_device_name()}"
    return {"machine": machine, "python": platform.python_version(), "versions": ", ".join(versions),
            "device": device or "auto"}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return "memory unknown"
    return f"{pages * size / 2**30:.0f} GiB RAM"


def report(section: str, title: str, tables: Sequence[tuple[str, Table]], notes: Sequence[str], *,
           arguments: argparse.Namespace, module: str | None = None) -> str:
    """Print the results and, when asked, publish them as the benchmark's section of the results doc."""
    info = environment(arguments.device)
    command = " ".join(["python -m", f"benchmarks.{module or section}", *map(shlex.quote, arguments.argv)])
    body = [f"### {title}", "",
            f"Measured {date.today().isoformat()} with `.venv/bin/{command}` ({arguments.runs} runs, medians).",
            f"Machine: {info['machine']}; device {info['device']}. Python {info['python']}, {info['versions']}.",
            ""]
    for caption, table in tables:
        body += ([f"**{caption}**", ""] if caption else []) + [table.markdown(), ""]
    body += [f"- {note}" for note in notes]
    text = "\n".join(body).rstrip() + "\n"
    print(text)
    if arguments.update_doc:
        publish(section, text)
    return text


def publish(name: str, text: str, doc: Path = DOC) -> None:
    """Replace the text between this benchmark's markers in the doc (append the section when it has none)."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    current = doc.read_text() if doc.exists() else "# Performance\n"
    section = f"{start}\n{text}{end}"
    if start in current and end in current:
        before, rest = current.split(start, 1)
        current = before + section + rest.split(end, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + section + "\n"
    doc.write_text(current)


PERFORMERS = ("Zoë Okafor", "Ann Lee", "Marek Nowak")  # registered, so the consent gate scans real names


@contextmanager
def studio_for(model: str, models_dir: Path, *, device: str | None, generator: Any = None,
               **settings: Any) -> Iterator[Any]:
    """A studio over a throw-away data directory: the real composition root, the real core path."""
    import tempfile

    from previs.app.studio import open_studio
    from previs.settings import Settings

    with tempfile.TemporaryDirectory(prefix="previs-bench-") as home:
        studio = open_studio(Settings(home=Path(home), model=model, device=device, user="bench",
                                      models_path=models_dir, **settings), generator=generator)
        try:
            for name in PERFORMERS:
                studio.consent.add_performer(name, actor=studio.local_actor)
            studio.models.load()
            yield studio
        finally:
            studio.close()

"""Cold start: from process start to the app serving, and to the CLI's first stored frame, in fresh processes.

    .venv/bin/python -m benchmarks.cold_start
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from benchmarks.harness import Table, median, parse, parser, report
from benchmarks.random_models import models_dir

ROOT = Path(__file__).resolve().parent.parent
GENERATE = ["-m", "previs", "generate", "--prompt", "abandoned observatory, dusk", "--seed", "1"]


def seconds_to_exit(command: Sequence[str], env: Mapping[str, str]) -> float:
    """Wall time of a command that must succeed."""
    start = time.perf_counter()
    subprocess.run(command, env=dict(env), cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def seconds_until_serving(command: Sequence[str], env: Mapping[str, str], url: str, *,
                          limit: float = 300.0) -> float:
    """Start a server and poll ``url`` until it answers 200; the server is killed afterwards."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        server = subprocess.Popen(command, env=dict(env), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            while time.perf_counter() - start < limit:
                if server.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"{command} exited early: {log.read().decode()[-2000:]}")
                try:
                    with urllib.request.urlopen(url, timeout=1) as response:
                        if response.status == 200:
                            return time.perf_counter() - start
                except OSError:
                    time.sleep(0.05)
            raise TimeoutError(f"{url} did not answer within {limit:.0f} s")
        finally:
            server.kill()  # its data directory is thrown away: nothing to shut down cleanly
            server.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_env(models: Path) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PREVIS_USER": "bench",
            "PREVIS_MODELS_DIR": str(models), "PREVIS_DEVICE": os.environ.get("PREVIS_DEVICE", "cpu")}


def measurements(models: Path) -> dict[str, Callable[[Path], float]]:
    """Each row: a function of a data directory (kept across a row's runs unless the row wants a new one)."""
    python = sys.executable

    def app(home: Path) -> float:
        port = free_port()
        env = {**base_env(models), "PREVIS_HOME": str(home), "GRADIO_SERVER_PORT": str(port)}
        return seconds_until_serving([python, "app.py"], env, f"http://127.0.0.1:{port}/")

    def cli(home: Path) -> float:
        return seconds_to_exit([python, *GENERATE], {**base_env(models), "PREVIS_HOME": str(home)})

    def new_home_cli(home: Path) -> float:
        return cli(Path(tempfile.mkdtemp(dir=home)))

    return {
        "interpreter (python -c pass)": lambda _: seconds_to_exit([python, "-c", "pass"], base_env(models)),
        "imports (torch, diffusers, previs CLI)": lambda _: seconds_to_exit(
            [python, "-c", "import torch, diffusers, previs.cli"], base_env(models)),
        "CLI: first frame, existing data directory": cli,
        "CLI: first frame, new data directory (migrations, signing CA)": new_home_cli,
        "app: serving, model loaded": app,
    }


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--only", default="", help="comma-separated row numbers (1-5) to measure")
    parsed = parse(arguments, argv)
    models = models_dir(parsed.cache)
    rows = list(measurements(models).items())
    chosen = [int(number) for number in parsed.only.split(",") if number] or range(1, len(rows) + 1)
    table = Table(["#", "from process start to", "median s", "runs (s)"])
    with tempfile.TemporaryDirectory(prefix="previs-cold-") as scratch:
        home = Path(scratch)
        if max(chosen) > 2:  # warm the file cache and save previs-tiny, untimed
            seconds_to_exit([sys.executable, *GENERATE], {**base_env(models), "PREVIS_HOME": str(home)})
        for number in chosen:
            label, measure = rows[number - 1]
            runs = [measure(home) for _ in range(parsed.runs)]
            table.add(number, label, median(runs), " ".join(f"{run:.2f}" for run in runs))
    notes = ["Each run is a new process; the operating system's file cache is warm (one untimed CLI run first), "
             "previs-tiny is already saved (a first-ever run also builds and saves it, ~1 s more).",
             "app: `python app.py` until http://127.0.0.1:PORT/ answers 200 (it loads the model before serving). "
             "CLI: `python -m previs generate --prompt ... --seed 1` until it exits, frame stored and signed."]
    return report("cold_start", "Cold start", [("", table)], notes, arguments=parsed)


if __name__ == "__main__":
    main()

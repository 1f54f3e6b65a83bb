"""``PREVIS_WORKERS=ray-local:N``: a one-machine Ray cluster started by the studio, with a clean environment.

It is ``ray start --head --block`` in a child process, listening on loopback only, with its own temporary folder.
Started this way (not by ``ray.init()`` inside the studio) its processes, and so every worker they start, inherit
only ``environment.worker_environment``, never the studio's PREVIS_* settings. Stopping it ends that child's
process group and nothing else of Ray's on the machine.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from previs.generation.workers.environment import worker_environment

_OBJECT_STORE_BYTES = 256 * 1024 * 1024  # frames are a few MB each; Ray's default takes 30% of the RAM
STOP_WAIT_S = 5.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalCluster:
    """A running local Ray head: its address for ``ray.init``, and how to stop it."""

    def __init__(self, cpus: int):
        self._folder = Path(tempfile.mkdtemp(prefix="previs-ray-", dir="/tmp"))  # Ray's socket paths must be short
        port = _free_port()
        self.address = f"127.0.0.1:{port}"
        with (self._folder / "head.log").open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", f"--port={port}",
                 "--node-ip-address=127.0.0.1", f"--num-cpus={cpus}", "--include-dashboard=false",
                 "--disable-usage-stats", f"--object-store-memory={_OBJECT_STORE_BYTES}",
                 f"--temp-dir={self._folder}", "--block"],
                env=worker_environment(os.environ, same_host=True), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        atexit.register(self.stop)  # a studio that exits without closing still takes its cluster down

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def log_tail(self) -> str:
        """The head's last output line, for an error that says why it did not start."""
        lines = (self._folder / "head.log").read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else "no output"

    def stop(self) -> None:
        atexit.unregister(self.stop)
        if self.running:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        shutil.rmtree(self._folder, ignore_errors=True)

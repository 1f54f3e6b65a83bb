"""Run the real app (``python app.py``) in a subprocess and drive it with Playwright and Debian's Chromium.

Used by the browser tests and by ``scripts/screenshots.py``. Playwright's own browser download is never used:
it cannot run here, and Debian's ``chromium`` package is what scripts/setup.sh installs.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from previs.access.users import add_user

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 180


def find_chromium() -> tuple[str | None, str]:
    """The Chromium to drive (PREVIS_CHROMIUM, /usr/bin/chromium or on PATH), or None and why not."""
    for candidate in (os.environ.get("PREVIS_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate, ""
    return None, ("no Chromium found (PREVIS_CHROMIUM, /usr/bin/chromium, PATH): `bash scripts/setup.sh test` "
                  "installs Debian's chromium package when run as root; otherwise `apt-get install chromium`")


def browser_unavailable() -> str:
    """Why the browser tests cannot run here, or "" when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: run `bash scripts/setup.sh test`"
    return find_chromium()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class RunningApp:
    url: str
    home: Path
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def running_app(home: Path, *, users: dict[str, tuple[str, str]], models_dir: Path | None = None,
                extra_env: dict[str, str] | None = None) -> Iterator[RunningApp]:
    """``python app.py`` on a free port over a fresh data directory with these users ({name: (password, role)})."""
    home.mkdir(parents=True, exist_ok=True)
    for name, (password, role) in users.items():
        add_user(home / "users.toml", name, password, role, replace=True)
    port = free_port()
    env = {**os.environ, "PREVIS_HOME": str(home), "PREVIS_DEVICE": "cpu", "PREVIS_MODEL": "previs-tiny",
           "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False",
           "HF_HUB_OFFLINE": "1", **({"PREVIS_MODELS_DIR": str(models_dir)} if models_dir else {}),
           **(extra_env or {})}
    env.pop("PREVIS_USERS", None)
    app = RunningApp(f"http://127.0.0.1:{port}/", home, home / "app.log")
    with app.log.open("wb") as log:
        process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        _wait_until_up(app, process)
        yield app
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(app: RunningApp, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{app.log_text()[-3000:]}")
        try:
            if httpx.get(app.url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"app.py did not answer within {START_TIMEOUT_S} s:\n{app.log_text()[-3000:]}")


@contextmanager
def chromium_page(viewport: dict[str, int] | None = None) -> Iterator[Any]:
    """A fresh headless Chromium page (Playwright ``Page``)."""
    from playwright.sync_api import sync_playwright

    executable, reason = find_chromium()
    if executable is None:
        raise RuntimeError(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            page = browser.new_page(viewport=viewport or {"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()

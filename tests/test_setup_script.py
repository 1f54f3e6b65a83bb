"""scripts/setup.sh (#22 item 10): switching between the app and the tests installs nothing the second time, and
"first run" is said only on the first."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup(checkout: Path, purpose: str) -> str:
    """Run the script with a stand-in .venv python that records pip installs; what it said on stderr."""
    done = subprocess.run(["bash", "scripts/setup.sh", purpose], cwd=checkout, capture_output=True, text=True,
                          check=True, timeout=60, env={"PATH": "/usr/bin:/bin", "PREVIS_TORCH": "torch==0"})
    return done.stderr


def test_switching_between_app_and_tests_does_not_reinstall(tmp_path: Path) -> None:
    checkout = tmp_path / "previs"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", checkout / "scripts")
    shutil.copy(ROOT / "pyproject.toml", checkout)
    fake = checkout / ".venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "pip.log"}\n')
    fake.chmod(0o755)
    pip_log = tmp_path / "pip.log"

    assert "first run" in _setup(checkout, "app")
    installs = pip_log.read_text().count("install")
    said = _setup(checkout, "test")
    assert "first run" not in said and pip_log.read_text().count("install") > installs  # the test extras
    installs = pip_log.read_text().count("install")
    assert "installing previs" not in _setup(checkout, "app") + _setup(checkout, "test")
    assert pip_log.read_text().count("install") == installs

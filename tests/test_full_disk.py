"""A full disk: one clear line (API and CLI), no rows, no partial files; once space is freed the next
generate works. The data directory is a small tmpfs mounted in a private mount namespace (``unshare``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from previs.settings import Settings

FULL_LINE = "is full: nothing was stored; free space and retry"
WORKER = textwrap.dedent("""
    import contextlib, io, json, os, sys
    from pathlib import Path
    from previs import FrameRequest, Settings, open_studio
    from previs.cli import main
    from previs.errors import StorageError

    home, models = Path(sys.argv[1]), Path(sys.argv[2])
    studio = open_studio(Settings(home=home, device="cpu", user="worker", models_path=models))
    me = studio.local_actor
    request = FrameRequest("harbour at dawn", seed=1, steps=1, width=64, height=64, count=2)
    studio.frames.generate(request, actor=me)
    with open(home / "ballast", "wb") as ballast:  # fill the disk to the last byte
        try:
            while True:
                ballast.write(b"\\0" * 65536)
                ballast.flush()
        except OSError:
            pass
        try:
            os.fsync(ballast.fileno())
        except OSError:
            pass

    def files():
        return sorted(str(path.relative_to(home)) for path in home.rglob("*")
                      if path.is_file() and path.name not in ("lock", "ballast"))

    before = files()
    result = {}
    try:
        studio.frames.generate(request, actor=me)
        result["api"] = "stored"
    except StorageError as error:
        result["api"] = str(error)
    result["rows"] = len(studio.frames.list(actor=me))
    result["new_files"] = sorted(set(files()) - set(before))
    err = io.StringIO()
    os.environ.update(PREVIS_HOME=str(home), PREVIS_MODELS_DIR=str(models), PREVIS_DEVICE="cpu")
    with contextlib.redirect_stderr(err):
        result["cli_code"] = main(["generate", "-p", "harbour at dusk", "--steps", "1", "--size", "64x64"])
    result["cli"] = err.getvalue()
    (home / "ballast").unlink()
    studio.frames.generate(request, actor=me)
    result["after"] = len(studio.frames.list(actor=me))
    result["ledger_ok"] = studio.provenance.verify_ledger(actor=me).ok
    print(json.dumps(result))
""")


def test_a_full_disk_stores_nothing_and_says_so_in_one_line(tmp_path: Path, settings: Settings,
                                                            tiny_generator: object) -> None:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare(1) here to mount a small tmpfs as the data directory")
    mount = tmp_path / "disk"
    mount.mkdir()
    script = (f'mount -t tmpfs -o size=12m tmpfs "{mount}" || exit 77; '
              f'exec "{sys.executable}" -c "$0" "{mount / "home"}" "{settings.models_dir}"')
    done = subprocess.run([unshare, "-rm", "sh", "-c", script, WORKER], capture_output=True, text=True,
                          timeout=300)
    if done.returncode == 77 or "unshare failed" in done.stderr:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()[-300:]}")
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert FULL_LINE in result["api"] and "the disk holding" in result["api"], result["api"]
    assert result["rows"] == 2, "nothing was stored"
    assert result["new_files"] == [], "no partial file was left"
    assert result["cli_code"] == 1 and result["cli"].count("\n") == 1 and FULL_LINE in result["cli"], result["cli"]
    assert "Traceback" not in result["cli"]
    assert result["after"] == 4 and result["ledger_ok"], "with space freed, the next generate works"

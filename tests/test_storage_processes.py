"""Stored frames survive a failed head write, and several processes on one database append to one ledger, on SQLite
and on PostgreSQL."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from previs import FrameRequest, Settings, Studio
from previs.app.recording import FrameRecorder

pytestmark = pytest.mark.both_backends

WORKER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from previs import FrameRequest, Settings, open_studio

    home, models, who, count = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    # The database is where a user names it: PREVIS_DATABASE_URL (PostgreSQL), else previs.db in the home.
    studio = open_studio(Settings.from_env(home=home, device="cpu", user=who, models_path=models))
    studio.models.load()
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    for index in range(count):
        studio.frames.generate(FrameRequest(f"harbour at dawn {who} {index}", seed=index, steps=1, width=64,
                                            height=64), actor=studio.local_actor)
    print("done", flush=True)
""")


def test_a_failed_head_write_keeps_the_committed_frames(studio: Studio, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    def disk_full(self: FrameRecorder, last: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FrameRecorder, "_keep_head", disk_full)
    with caplog.at_level(logging.ERROR, logger="previs.app.recording"):
        frames = studio.frames.generate(FrameRequest("harbour at dawn", seed=1, count=2, width=64, height=64),
                                        actor=studio.local_actor)
    assert all(Path(frame.path).is_file() for frame in frames), "committed frames keep their files"
    assert {frame.id for frame in studio.frames.list(actor=studio.local_actor)} == {frame.id for frame in frames}
    assert any("No space left on device" in record.getMessage() for record in caplog.records)
    monkeypatch.undo()
    studio.frames.generate(FrameRequest("harbour at dusk", seed=2, width=64, height=64), actor=studio.local_actor)
    report = studio.provenance.verify_ledger(actor=studio.local_actor)
    assert report.ok and report.checked == 3, "the next stored frame writes the head again"


def test_several_processes_append_to_one_ledger_without_losing_a_request(
        studio: Studio, settings: Settings, models_dir: Path) -> None:
    processes, each = 4, 10
    environment = {**os.environ, "PREVIS_DATABASE_URL": settings.database_url or ""}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(settings.home), str(models_dir), f"p{n}",
                                 str(each)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=environment) for n in range(processes)]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = [worker.communicate(timeout=240) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    assert [worker.returncode for worker in workers] == [0] * processes, [err[-2000:] for _, err in results]
    frames = studio.frames.list(limit=1000, actor=studio.local_actor)
    assert len(frames) == processes * each, "every request of every process is stored once"
    expected = sorted(f"p{n}" for n in range(processes) for _ in range(each))
    assert sorted(frame.created_by for frame in frames) == expected
    report = studio.provenance.verify_ledger(actor=studio.local_actor)
    assert report.ok and report.checked == processes * each, report.to_json()

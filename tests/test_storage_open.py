"""Opening a data directory: simultaneous first opens, a lost database or signing identity refused, a
read-only home inspected, storage failures as one line, and a ledger verify that a busy writer cannot fool."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from previs import FrameRequest, Settings, Studio
from previs.app.lifecycle import start_over
from previs.app.studio import open_studio
from previs.errors import DataDirectoryRefused, StorageBusy, StorageDamaged, StorageFull
from previs.generation.generator import Generator
from previs.storage import Database, database

ROOT = Path(__file__).parents[1]
OPENER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from previs.app.studio import open_studio
    from previs.settings import Settings

    sys.stdin.readline()  # start together
    studio = open_studio(Settings(home=Path(sys.argv[1]), device="cpu", database_url=sys.argv[2] or None))
    print(len(studio.frames.list(actor=studio.local_actor)), flush=True)
""")
WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from previs import FrameRequest, Settings, open_studio

    studio = open_studio(Settings(home=Path(sys.argv[1]), device="cpu", models_path=Path(sys.argv[2])))
    studio.models.load()
    for index in range(int(sys.argv[3])):
        studio.frames.generate(FrameRequest(f"harbour {index}", seed=index, steps=1, width=64, height=64),
                               actor=studio.local_actor)
        if index == 0:
            print("writing", flush=True)
""")


def small(prompt: str, seed: int = 1, count: int = 1) -> FrameRequest:
    return FrameRequest(prompt, seed=seed, count=count, steps=1, width=64, height=64)


def made(settings: Settings, generator: Generator, frames: int = 2) -> None:
    """A studio that has made ``frames`` frames, then closed (its write-ahead log folded into previs.db)."""
    studio = open_studio(settings, generator=generator)
    studio.frames.generate(small("harbour at dawn", count=frames), actor=studio.local_actor)
    studio.close()


@pytest.mark.both_backends
def test_simultaneous_first_opens_of_a_fresh_home_all_succeed(tmp_path: Path, database_url: str | None) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    openers = [subprocess.Popen([sys.executable, "-c", OPENER, str(tmp_path / "home"), database_url or ""],
                                stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for _ in range(4)]
    for opener in openers:
        assert opener.stdin is not None
        opener.stdin.write("go\n")
        opener.stdin.flush()
    results = [opener.communicate(timeout=240) for opener in openers]
    assert [opener.returncode for opener in openers] == [0] * 4, [err[-1500:] for _, err in results]
    assert [out.strip() for out, _ in results] == ["0"] * 4
    assert json.loads((tmp_path / "home" / "studio.json").read_text())["studio_id"]


def test_a_deleted_database_is_refused_and_started_over_only_explicitly(settings: Settings,
                                                                        tiny_generator: Generator) -> None:
    made(settings, tiny_generator)
    (settings.home / "previs.db").unlink()
    with pytest.raises(DataDirectoryRefused, match=r"is missing .*2 frame files.*previs init --new-database"):
        open_studio(settings, generator=tiny_generator)
    assert not (settings.home / "previs.db").exists(), "a refused open creates no empty database"

    done = start_over(settings, new_database=True)
    aside = next(settings.home.glob("set-aside-*"))
    assert len(list((aside / "frames").rglob("*.png"))) == 2 and (aside / "ledger.head").is_file()
    assert "set-aside" in done[0]
    studio = open_studio(settings, generator=tiny_generator)
    try:
        studio.frames.generate(small("harbour at dusk"), actor=studio.local_actor)
        report = studio.provenance.verify_ledger(actor=studio.local_actor)
        assert report.ok and report.checked == 1
        with studio.database.unit_of_work() as work:
            assert [event.kind for event in work.studio.events()] == ["created", "new-database"]
    finally:
        studio.close()


def test_an_emptied_database_or_another_studios_database_is_refused(settings: Settings, tmp_path: Path,
                                                                     tiny_generator: Generator) -> None:
    made(settings, tiny_generator, frames=1)
    other = Settings(home=tmp_path / "other", device="cpu", models_path=settings.models_dir)
    open_studio(other, generator=tiny_generator).close()
    shutil.copy(other.home / "previs.db", settings.home / "previs.db")
    with pytest.raises(DataDirectoryRefused, match=r"belongs to studio .*point PREVIS_DATABASE_URL"):
        open_studio(settings, generator=tiny_generator)
    (settings.home / "previs.db").unlink()
    sqlite3.connect(settings.home / "previs.db").close()  # an empty file where the database was
    with pytest.raises(DataDirectoryRefused, match="is empty"):
        open_studio(settings, generator=tiny_generator)


def test_a_lost_signing_identity_is_refused_and_a_new_one_keeps_old_frames_verified(
        settings: Settings, tiny_generator: Generator) -> None:
    studio = open_studio(settings, generator=tiny_generator)
    frame = studio.frames.generate(small("harbour at dawn"), actor=studio.local_actor)[0]
    studio.close()
    signing = settings.home / "signing"
    shutil.move(signing, settings.home / "signing.bak")
    with pytest.raises(DataDirectoryRefused, match=r"signing identity .* is missing.*--new-signing-identity"):
        open_studio(settings, generator=tiny_generator)
    assert not signing.exists(), "no new CA was minted"
    shutil.move(settings.home / "signing.bak", signing)

    start_over(settings, new_signing_identity=True)
    studio = open_studio(settings, generator=tiny_generator)
    try:
        old = studio.provenance.verify(Path(frame.path).read_bytes(), actor=studio.local_actor)
        assert old.status == "verified", "frames signed before the change still verify"
        with studio.database.unit_of_work() as work:
            assert [event.kind for event in work.studio.events()] == ["created", "new-signing-identity"]
    finally:
        studio.close()


def _without_root_overrides() -> None:
    """Run as root would without overriding file permissions, so a read-only folder is read-only to it too."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        libc.prctl(24, capability, 0, 0, 0)  # PR_CAPBSET_DROP: gone from the bounding set at exec


@pytest.fixture
def read_only_home(settings: Settings, tiny_generator: Generator) -> Iterator[Path]:
    made(settings, tiny_generator)
    paths = [settings.home, *settings.home.rglob("*")]
    for path in paths:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    yield settings.home
    for path in paths:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_a_read_only_home_can_be_inspected_and_refuses_writes_in_one_line(read_only_home: Path,
                                                                         settings: Settings) -> None:
    env = {**os.environ, "PREVIS_HOME": str(read_only_home), "PREVIS_MODELS_DIR": str(settings.models_dir),
           "PREVIS_DEVICE": "cpu", "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "previs", *args], capture_output=True, text=True, env=env,
                              timeout=180, check=False, preexec_fn=_without_root_overrides)

    before = sorted(read_only_home.rglob("*"))
    listed = cli("frames", "--json")
    assert listed.returncode == 0, listed.stderr
    frames = json.loads(listed.stdout)
    assert len(frames) == 2
    ledger = cli("ledger", "verify")
    assert ledger.returncode == 0 and "ledger intact: 2 entries" in ledger.stdout, ledger.stderr
    verified = cli("verify", frames[0]["path"])
    assert verified.returncode == 0 and verified.stdout.startswith("verified"), verified.stderr
    assert cli("consent", "list").returncode == 0
    refused = cli("consent", "add-performer", "Zoë Okafor")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith(f"error: the data directory {read_only_home} is read-only: ")
    drawn = cli("generate", "-p", "harbour at dusk", "--steps", "1", "--size", "64x64")
    assert drawn.returncode == 1 and drawn.stderr.count("\n") == 1, drawn.stderr
    assert drawn.stderr.startswith(f"error: the data directory {read_only_home} is read-only: ")
    assert sorted(read_only_home.rglob("*")) == before, "nothing was written"


def _damage_table(path: Path, table: str) -> None:
    with sqlite3.connect(path) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * page_size)


def test_a_damaged_page_is_named_damaged_never_a_failed_write_and_ledger_verify_sees_it(
        settings: Settings, tiny_generator: Generator) -> None:
    made(settings, tiny_generator)
    _damage_table(settings.home / "previs.db", "frames")
    studio = open_studio(settings, generator=tiny_generator)
    try:
        report = studio.provenance.verify_ledger(actor=studio.local_actor)
        assert not report.ok and report.integrity, "the chain holds, but the file does not"
        assert report.to_json()["integrity"] != "ok"
        with pytest.raises(StorageDamaged) as caught:
            studio.frames.list(actor=studio.local_actor)
        message = str(caught.value)
        assert "is damaged" in message and "restore it from a backup" in message
        assert "write" not in message and "SELECT" not in message and "\n" not in message
    finally:
        studio.close()


def test_a_locked_or_full_database_is_one_line_without_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "busy.db"
    store = Database(f"sqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StorageBusy, match="stayed locked by another process") as busy, \
            store.unit_of_work() as work:
        work.projects.get_or_create("Lighthouse")
    holder.execute("ROLLBACK")
    holder.close()
    store.engine.dispose()
    event.listen(store.engine, "connect", lambda connection, _: connection.execute("PRAGMA max_page_count=1"))
    with pytest.raises(StorageFull, match="is full: nothing was stored") as full, store.unit_of_work() as work:
        for index in range(200):
            work.projects.get_or_create(f"Lighthouse {index} " + "x" * 150)
    for caught in (busy, full):
        assert "INSERT" not in str(caught.value) and "Lighthouse" not in str(caught.value)
    store.close()


def test_ledger_verify_gives_no_false_alarm_while_another_process_writes(
        studio: Studio, settings: Settings, models_dir: Path) -> None:
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(settings.home), str(models_dir), "15"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing", writer.stderr
        alarms, checks = [], 0
        while writer.poll() is None:
            report = studio.provenance.verify_ledger(actor=studio.local_actor)
            checks += 1
            if not report.ok:
                alarms.append(report.to_json())
            time.sleep(0.01)  # leave the writer the CPU: the machine running tests may have two cores
        assert writer.returncode == 0, writer.communicate()[1][-1500:]
    finally:
        writer.kill()
    assert checks > 20 and alarms == []
    final = studio.provenance.verify_ledger(actor=studio.local_actor)
    assert final.ok and final.checked == 15


def test_rows_past_a_head_that_never_caught_up_are_still_reported(studio: Studio, settings: Settings) -> None:
    studio.frames.generate(small("harbour at dawn", count=2), actor=studio.local_actor)
    head_file = settings.home / "ledger.head"
    with studio.database.unit_of_work() as work:
        first = work.ledger.all()[0]
    head_file.write_text(f"1:{first.entry_hash}\n")
    report = studio.provenance.verify_ledger(actor=studio.local_actor)
    assert not report.ok and [(p.sequence, p.kind) for p in report.problems] == [(2, "inserted")]

"""Crash tests' helpers: a worker process that runs one studio operation over and over, and the invariants a
data directory must satisfy after any crash once recovery has run (``check_whole``)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

from previs import Studio
from previs.app.recording import FrameContext
from previs.generation.limits import GenerationRequest
from previs.settings import Settings
from previs.storage.staging import LOCK, STAGING

PERFORMER = "Ann Lee"
SCRIPT = b"INT. LAMP ROOM - NIGHT\n\nThe keeper lights a storm lantern. She climbs to the lamp.\n\n" \
         b"EXT. CLIFF PATH - DAWN\n\nA figure walks the cliff path towards the lighthouse.\n"

# argv: scenario, home, models dir, consent policy, then the scenario's arguments. ``die_at`` (optional, env
# PREVIS_DIE_AT) names a point where the worker SIGKILLs itself, for the deterministic cases.
WORKER = textwrap.dedent("""
    import itertools, os, signal, sys
    from pathlib import Path
    from previs import FrameRequest, Settings, open_studio
    from previs.app.storyboards import StoryboardRequest

    scenario, home, models, policy, *rest = sys.argv[1:]

    def die(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    die_at = os.environ.get("PREVIS_DIE_AT")
    if die_at in ("frame-commit", "withdraw-commit"):  # inside the transaction, at its COMMIT
        from sqlalchemy.orm import Session
        from previs.app.recording import FrameRecorder
        from previs.consent.registry import ConsentRegistry
        owner, name = (FrameRecorder, "_add_rows") if die_at == "frame-commit" else (ConsentRegistry,
                                                                                   "_withdraw_frames")
        real_step = getattr(owner, name)
        def step(*args, **kwargs):
            Session.commit = die
            return real_step(*args, **kwargs)
        setattr(owner, name, step)
    elif die_at == "publish":  # committed, files not yet published
        import previs.storage.staging as staging
        staging.Batch.publish = die
    elif die_at == "move":  # withdrawal committed, no file moved yet
        import previs.storage.moves as moves
        moves._carry_out = die

    studio = open_studio(Settings(home=Path(home), device="cpu", user="worker", models_path=Path(models),
                                  consent_policy=policy))
    me = studio.local_actor
    script = __SCRIPT__
    if scenario in ("generate", "storyboard"):
        studio.models.load()
    print("ready", flush=True)
    for turn in itertools.count():
        if scenario == "generate":
            studio.frames.generate(FrameRequest(f"harbour at dawn {turn}", seed=turn, steps=1, width=64, height=64,
                                                count=4), actor=me)
        elif scenario == "storyboard":
            project = f"Board {os.getpid()} {turn}"
            studio.scenes.import_script(script, project=project, actor=me)
            studio.storyboards.build(StoryboardRequest(project, ["1", "2"], steps=1, width=64, height=64),
                                     actor=me)
        elif scenario == "import":
            studio.scenes.import_script(script, project=f"Script {os.getpid()} {turn % 3}", actor=me)
        elif scenario == "revoke":
            for grant_id in rest:
                print("revoking", flush=True)
                studio.consent.revoke(int(grant_id), reason="performer withdrew consent", actor=me)
            break
    print("done", flush=True)
""").replace("__SCRIPT__", repr(SCRIPT))


def start_worker(settings: Settings, scenario: str, *args: str, policy: str = "keep",
                 die_at: str | None = None) -> subprocess.Popen[str]:
    environment = {**os.environ, "PREVIS_DIE_AT": die_at or ""}
    return subprocess.Popen([sys.executable, "-c", WORKER, scenario, str(settings.home), str(settings.models_dir),
                             policy, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=environment)


def run_until_killed(settings: Settings, scenario: str, *args: str, policy: str = "keep",
                     die_at: str) -> None:
    """Run a worker that kills itself at ``die_at``; fail if it got there some other way."""
    worker = start_worker(settings, scenario, *args, policy=policy, die_at=die_at)
    _, err = worker.communicate(timeout=300)
    assert worker.returncode == -9, f"the worker should have died at {die_at}: {err[-3000:]}"


def grant_with_frames(studio: Studio, project: str, frames: int) -> int:
    """A grant for the performer on ``project`` and ``frames`` frames that relied on it (one model call)."""
    actor = studio.local_actor
    if not studio.consent.performers(actor=actor):
        studio.consent.add_performer(PERFORMER, actor=actor)
    grant = studio.consent.grant(PERFORMER, project=project, uses=["likeness_reference"],
                                 description="concept frames of the harbour scene, previs only, not for release",
                                 valid_until=date.today() + timedelta(days=30), actor=actor)
    images = studio.models.generate(GenerationRequest(f"{PERFORMER} on the harbour wall", seed=7, steps=1,
                                                      width=64, height=64, count=min(frames, 8)))
    recorder = studio.frames._recorder  # storing one model call's images again and again: frames in bulk
    context = FrameContext(project=project, kind="set", user=actor.name, grant_ids=[grant.id])
    for start in range(0, frames, len(images)):
        recorder.store([(images[:frames - start], context)])
    return grant.id


def _files(folder: Path) -> set[str]:
    return {path.relative_to(folder.parent).as_posix() for path in folder.glob("*/*") if path.is_file()}


def check_whole(studio: Studio, *, policy: str = "keep") -> None:
    """After recovery: every listed frame has its file, no file lacks a row or a need, withdrawn frames' files
    are out of ``frames/`` (purge: gone everywhere), nothing is left staged or pending, the ledger verifies."""
    home = studio.data_directory
    with studio.database.unit_of_work() as work:
        rows = work.frames.list(limit=100_000, include_withdrawn=True)
        pending = work.file_moves.pending()
        records = [row.record for row in rows]
    active = [row for row in rows if row.status == "active"]
    withdrawn = [row for row in rows if row.status != "active"]
    missing = [row.path for row in active if not (home / row.path).is_file()]
    assert not missing, f"listed frames without their files: {missing}"
    assert _files(home / "frames") == {row.path for row in active}, "frames/ holds exactly the active frames"
    needed = {f"inputs/{item['sha256'][:2]}/{item['sha256']}.png" for record in records for item in record["inputs"]}
    assert _files(home / "inputs") <= needed, "inputs/ holds only pictures some record names"
    if policy == "keep":
        lost = [row.id for row in withdrawn if not (row.path.startswith("withdrawn/") and (home / row.path).is_file())]
        assert not lost, f"withdrawn frames whose kept file is missing: {lost}"
    else:
        everywhere = {path.name for path in home.rglob("*.png")}
        assert not [row.id for row in withdrawn if f"{row.file_sha256}.png" in everywhere], "purged files remain"
    assert not pending, f"file moves left undone: {[(move.source, move.target) for move in pending]}"
    for directory in (home / STAGING).glob("*"):
        with open(directory / LOCK, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live studio's (this test's)
            raise AssertionError(f"a dead process's staging folder was left: {sorted(directory.rglob('*'))}")
    report = studio.provenance.verify_ledger(actor=studio.local_actor)
    assert report.ok, report.to_json()

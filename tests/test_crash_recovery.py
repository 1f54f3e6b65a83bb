"""Each recovery case, made by a process killed at an exact point: what a crash left is finished or undone
on the next open (issue #15: items 3 and 9, the write protocol)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from previs import FrameRequest, Settings, Studio, open_studio
from previs.app.recovery import SWEPT_MARKER
from previs.generation.generator import Generator
from previs.storage import FileStore
from previs.storage.staging import Batch
from tests.crash_support import check_whole, grant_with_frames, run_until_killed

STAGER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from previs.storage import FileStore
    from previs.storage.staging import Staging

    home = Path(sys.argv[1])
    batch = Staging(home).batch()
    batch.stage(FileStore(home, "frames"), "ab" * 32, b"a frame whose transaction never committed")
    print("staged", flush=True)
    sys.stdin.readline()
""")


def reopened(settings: Settings, generator: Generator) -> Studio:
    return open_studio(settings, generator=generator)


def test_a_crash_inside_the_frame_transaction_leaves_no_file_behind(
        studio: Studio, settings: Settings, tiny_generator: Generator) -> None:
    run_until_killed(settings, "generate", die_at="frame-commit")
    assert list((settings.home / "staging").rglob("*.png")), "the killed process had staged its frames"
    assert not list((settings.home / "frames").rglob("*.png")), "nothing reaches the served folder before the commit"
    again = reopened(settings, tiny_generator)
    assert not list((settings.home / "staging").rglob("*.png")), "the dead process's staged files are removed"
    assert again.frames.list(actor=again.local_actor) == []
    check_whole(again)


def test_a_crash_after_the_commit_publishes_the_files_and_the_head_on_open(
        studio: Studio, settings: Settings, tiny_generator: Generator) -> None:
    run_until_killed(settings, "generate", die_at="publish")
    again = reopened(settings, tiny_generator)
    frames = again.frames.list(actor=again.local_actor)
    assert len(frames) == 4 and all(Path(frame.path).is_file() for frame in frames)
    check_whole(again)  # the ledger verifies: the head the dead process never wrote is kept from its note
    again.frames.generate(FrameRequest("harbour at dusk", seed=3, width=64, height=64), actor=again.local_actor)
    check_whole(again)


def test_a_revoke_killed_before_its_commit_leaves_the_grant_and_every_file(
        studio: Studio, settings: Settings, tiny_generator: Generator) -> None:
    grant_id = grant_with_frames(studio, "Harbour", 6)
    run_until_killed(settings, "revoke", str(grant_id), die_at="withdraw-commit")
    again = reopened(settings, tiny_generator)
    frames = again.frames.list(actor=again.local_actor)
    assert len(frames) == 6, "the revocation rolled back: the frames stay"
    assert [grant.state for person in again.consent.performers(actor=again.local_actor)
            for grant in person.grants] == ["active"]
    check_whole(again)


@pytest.mark.parametrize("policy", ["keep", "purge"])
def test_a_revoke_killed_after_its_commit_is_finished_on_open(
        studio: Studio, settings: Settings, tiny_generator: Generator, policy: str) -> None:
    grant_id = grant_with_frames(studio, "Harbour", 6)
    parent = studio.frames.generate(FrameRequest("Ann Lee at the harbour", project="Harbour", seed=2, width=64,
                                                 height=64), actor=studio.local_actor)[0]
    studio.frames.vary(parent.id, count=1, actor=studio.local_actor)  # keeps a copy of the parent's bytes
    run_until_killed(settings, "revoke", str(grant_id), policy=policy, die_at="move")
    assert len(list((settings.home / "frames").rglob("*.png"))) == 8, "killed before any file was moved"
    again = reopened(replace(settings, consent_policy=policy), tiny_generator)
    assert again.frames.list(actor=again.local_actor) == []
    check_whole(again, policy=policy)


def test_a_frame_committed_just_before_a_purge_is_purged_once_published(
        studio: Studio, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    grant_id = grant_with_frames(studio, "Harbour", 1)
    studio.consent.policy = "purge"
    real_publish = Batch.publish

    def revoked_meanwhile(batch: Batch) -> None:  # the revocation commits between the frame's commit and publish
        monkeypatch.setattr(Batch, "publish", real_publish)
        studio.consent.revoke(grant_id, reason="performer withdrew consent", actor=studio.local_actor)
        real_publish(batch)

    monkeypatch.setattr(Batch, "publish", revoked_meanwhile)
    studio.frames.generate(FrameRequest("Ann Lee on the harbour wall", project="Harbour", seed=9, width=64,
                                        height=64), actor=studio.local_actor)
    assert not list((settings.home / "frames").rglob("*.png")), "the late file was purged after publishing"
    check_whole(studio, policy="purge")


def test_a_live_process_staged_files_are_left_alone_and_a_dead_one_s_removed(
        studio: Studio, settings: Settings, tiny_generator: Generator) -> None:
    stager = subprocess.Popen([sys.executable, "-c", STAGER, str(settings.home)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert stager.stdout is not None and stager.stdout.readline().strip() == "staged"
        reopened(settings, tiny_generator).close()
        assert len(list((settings.home / "staging").rglob("*.png"))) == 1, "a live writer's file is untouched"
    finally:
        stager.kill()
        stager.wait()
    reopened(settings, tiny_generator).close()
    assert not list((settings.home / "staging").rglob("*.png")), "uncommitted: deleted once its writer died"
    assert not list((settings.home / "frames").rglob("*.png"))


def test_files_older_previs_left_without_rows_are_swept_once(studio: Studio, settings: Settings,
                                                              tiny_generator: Generator) -> None:
    kept = studio.frames.generate(FrameRequest("harbour at dawn", seed=1, width=64, height=64),
                                  actor=studio.local_actor)[0]
    orphans = [FileStore(settings.home, folder).absolute(FileStore(settings.home, folder).relative_path(c * 64))
               for folder, c in (("frames", "a"), ("inputs", "b"))]
    for orphan in orphans:  # what a crash between placing and committing left with older previs
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(b"a picture of a performer, never committed")
    (settings.home / SWEPT_MARKER).unlink()
    again = reopened(settings, tiny_generator)
    assert not [orphan for orphan in orphans if orphan.exists()]
    assert Path(kept.path).is_file() and (settings.home / SWEPT_MARKER).is_file()
    check_whole(again)

"""kill -9 at random points of real processes (seeded): a multi-frame generate, a storyboard build, a revoke
under each policy, a screenplay import. After each, the next open recovers a whole data directory and the
next run works (issue #15: the write protocol, items 3 and 9)."""

from __future__ import annotations

import random
import signal
import time
from dataclasses import replace

import pytest

from previs import FrameRequest, Settings, Studio, open_studio
from previs.generation.generator import Generator
from tests.crash_support import SCRIPT, check_whole, grant_with_frames, start_worker

RANDOM = random.Random(15)  # the number: the same kill points on every run


def kill_after(settings: Settings, scenario: str, *args: str, policy: str = "keep", cue: str = "ready",
               delay: tuple[float, float]) -> None:
    """Start a worker, wait for ``cue``, then SIGKILL it after a random delay."""
    worker = start_worker(settings, scenario, *args, policy=policy)
    try:
        assert worker.stdout is not None
        for line in worker.stdout:
            if line.strip() == cue:
                break
        else:
            pytest.fail(f"the worker ended before {cue!r}: {worker.communicate()[1][-3000:]}")
        time.sleep(RANDOM.uniform(*delay))
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.kill()
        worker.communicate(timeout=60)


def recovered(settings: Settings, generator: Generator, policy: str = "keep") -> Studio:
    """Open (and so recover) the data directory, check it whole, and check the next generate works."""
    studio = open_studio(replace(settings, consent_policy=policy), generator=generator)
    check_whole(studio, policy=policy)
    studio.frames.generate(FrameRequest("harbour after the crash", seed=5, width=64, height=64),
                           actor=studio.local_actor)
    check_whole(studio, policy=policy)
    return studio


def test_kill_during_a_multi_frame_generate(studio: Studio, settings: Settings, tiny_generator: Generator) -> None:
    for _ in range(2):
        kill_after(settings, "generate", delay=(0.2, 3.0))
        recovered(settings, tiny_generator).close()


def test_kill_during_a_storyboard_build(studio: Studio, settings: Settings, tiny_generator: Generator) -> None:
    kill_after(settings, "storyboard", delay=(0.5, 4.0))
    recovered(settings, tiny_generator).close()


@pytest.mark.parametrize("policy", ["keep", "purge"])
def test_kill_during_a_revoke(studio: Studio, settings: Settings, tiny_generator: Generator, policy: str) -> None:
    for turn in range(2):
        grant_id = grant_with_frames(studio, f"Harbour {turn}", 24)
        kill_after(settings, "revoke", str(grant_id), policy=policy, cue="revoking", delay=(0.0, 0.15))
        after = recovered(settings, tiny_generator, policy)
        states = {grant.id: grant.state for person in after.consent.performers(actor=after.local_actor)
                  for grant in person.grants}
        active = [frame for frame in after.frames.list(limit=1000, actor=after.local_actor)
                  if frame.project == f"Harbour {turn}"]
        assert len(active) == (24 if states[grant_id] == "active" else 0), "a revocation is whole or absent"
        after.close()


def test_kill_during_a_screenplay_import(studio: Studio, settings: Settings, tiny_generator: Generator) -> None:
    for _ in range(2):
        kill_after(settings, "import", delay=(0.0, 1.0))
        after = recovered(settings, tiny_generator)
        with after.database.unit_of_work() as work:
            projects = [project.name for project in work.projects.all() if project.name.startswith("Script")]
        for project in projects:  # each import is whole: every scene with its shots, or none
            scenes = after.scenes.scenes(project, actor=after.local_actor)
            assert len(scenes) == 2 and all(scene.shots for scene in scenes), project
        assert len(after.scenes.import_script(SCRIPT, project="Script again", actor=after.local_actor).scenes) == 2
        after.close()

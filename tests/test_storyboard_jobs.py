"""Two storyboard jobs on one scene draw each shot once: threads with batching, real processes, kill -9."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from previs import JobInProgress, StoryboardBusy, StoryboardResult
from previs.access.permissions import Actor, Role
from previs.app import storyboard_jobs
from previs.app.storyboards import DEFAULT_STYLE, ShotProgress, StoryboardDesk, StoryboardRequest
from previs.app.studio import Studio, open_studio
from previs.generation.generator import Generator
from previs.generation.limits import TINY_MODEL
from previs.settings import FastPaths, Settings
from tests.test_cli import in_process
from tests.test_scene_desk import THREE_SCENES

PRIYA, OMAR = Actor("priya", Role.PRODUCER), Actor("omar", Role.ART_DIRECTOR)
SCENE_1 = StoryboardRequest("Lighthouse", ("1",), steps=1, width=64, height=64)  # four shots

WORKER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from previs import Settings, StoryboardRequest, open_studio

    home, models, who, scenes, hold = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    studio = open_studio(Settings(home=home, device="cpu", user=who, models_path=models))
    studio.models.load()
    print("ready", flush=True)
    sys.stdin.readline()  # start together

    def report(step):
        print(f"shot {step.label}", flush=True)
        if step.done == hold:
            sys.stdin.readline()  # held mid-job until the test lets go, or kills it

    result = studio.storyboards.build(StoryboardRequest("Lighthouse", scenes.split(","), steps=1, width=64,
                                                        height=64), progress=report, actor=studio.local_actor)
    print(json.dumps(result.to_json()), flush=True)
""")


@pytest.fixture
def scripted(studio: Studio) -> Studio:
    studio.scenes.import_script(THREE_SCENES, project="Lighthouse", actor=PRIYA)
    return studio


@pytest.fixture
def batching(settings: Settings, models_dir: Path) -> Iterator[tuple[Studio, Generator]]:
    """A studio whose generator merges queued requests (PREVIS_BATCHING): the app setting of the issue."""
    generator = Generator(TINY_MODEL, models_dir, device="cpu", fast_paths=FastPaths(batching=True))
    generator.load()
    studio = open_studio(settings, generator=generator)
    studio.scenes.import_script(THREE_SCENES, project="Lighthouse", actor=PRIYA)
    yield studio, generator
    studio.close()


def frames_per_shot(studio: Studio, scenes: tuple[str, ...] = ("1",)) -> dict[int, int]:
    """How many active storyboard frames each shot of the scenes has."""
    shots = [shot.id for number in scenes for shot in studio.scenes.scene("Lighthouse", number, actor=PRIYA).shots]
    counts = Counter(frame.shot_id for frame in studio.frames.list(kind="storyboard", limit=1000, actor=PRIYA))
    return {shot: counts[shot] for shot in shots}


def once_each(studio: Studio, scenes: tuple[str, ...] = ("1",)) -> dict[int, int]:
    return dict.fromkeys(frames_per_shot(studio, scenes), 1)


def lined_up(generator: Generator, jobs: list[Callable[[], StoryboardResult]]) -> list[StoryboardResult]:
    """Start the jobs behind a busy model; let it go once all wait for it (or after 2 s: one waits for another).

    With batching on, requests waiting together are merged into one call: the burst that duplicated shots.
    """
    results: list[StoryboardResult | BaseException | None] = [None] * len(jobs)

    def run(index: int) -> None:
        try:
            results[index] = jobs[index]()
        except BaseException as error:  # handed to the test below
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(jobs))]
    with generator._lock:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 2
        while generator._queue.waiting < len(jobs) and time.monotonic() < deadline:
            time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=120)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [result for result in results if isinstance(result, StoryboardResult)]


def test_two_jobs_in_one_app_with_batching_draw_each_shot_once(batching: tuple[Studio, Generator]) -> None:
    """Regression (issue #15, 5): two jobs on one scene with batching on stored 32 frames for 16 shots."""
    studio, generator = batching
    first, second = lined_up(generator, [lambda: studio.storyboards.build(SCENE_1, actor=PRIYA),
                                         lambda: studio.storyboards.build(SCENE_1, actor=OMAR)])
    assert frames_per_shot(studio) == once_each(studio), "a shot drawn by two jobs"
    assert len(first.drawn) + len(second.drawn) == 4 and len(first.skipped) + len(second.skipped) == 4
    assert first.seeds == second.seeds, "the job that waited kept the scene's seed"


def test_the_store_rechecks_the_shot_so_jobs_without_a_claim_still_draw_it_once(
        batching: tuple[Studio, Generator], monkeypatch: pytest.MonkeyPatch) -> None:
    """Claims that go stale at once (no heartbeat reaches the database): both jobs draw, merged into one batch;
    the store's own check inside its transaction keeps the first frame of each shot and drops the other."""
    studio, generator = batching
    monkeypatch.setattr(storyboard_jobs, "STALE_AFTER", timedelta(0))
    monkeypatch.setattr(storyboard_jobs, "HEARTBEAT_SECONDS", 3600.0)
    first, second = lined_up(generator, [lambda: studio.storyboards.build(SCENE_1, actor=PRIYA),
                                         lambda: studio.storyboards.build(SCENE_1, actor=OMAR)])
    assert frames_per_shot(studio) == once_each(studio)
    assert len(first.drawn) + len(second.drawn) == 4, "the frame a job drew second was not stored"
    assert studio.provenance.verify_ledger(actor=PRIYA).ok


def worker(settings: Settings, models_dir: Path, who: str, scenes: str, hold: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WORKER, str(settings.home), str(models_dir), who, scenes,
                             str(hold)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def tell(process: subprocess.Popen[str], line: str = "go") -> None:
    assert process.stdin is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()


def read_until(process: subprocess.Popen[str], wanted: str) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == wanted:
            return
    raise AssertionError(f"the worker ended before {wanted!r}: {process.stderr.read() if process.stderr else ''}")


def test_two_processes_on_one_scene_draw_each_shot_once(scripted: Studio, settings: Settings,
                                                        models_dir: Path) -> None:
    """Regression (issue #15, 5): two CLI processes on one scene stored 21 frames for 16 shots."""
    workers = [worker(settings, models_dir, who, "1,2") for who in ("p1", "p2")]
    try:
        for process in workers:
            read_until(process, "ready")
        for process in workers:
            tell(process)
        outputs = [process.communicate(timeout=240) for process in workers]
    finally:
        for process in workers:
            process.kill()
    assert [process.returncode for process in workers] == [0, 0], [err[-2000:] for _, err in outputs]
    assert frames_per_shot(scripted, ("1", "2")) == once_each(scripted, ("1", "2"))
    results = [json.loads(out.splitlines()[-1]) for out, _ in outputs]
    assert sum(len(result["drawn"]) for result in results) == 7, "each of the 7 shots drawn by one process"
    assert scripted.provenance.verify_ledger(actor=PRIYA).ok


def test_a_running_job_is_named_to_a_second_one_and_a_killed_one_does_not_block_the_scene(
        scripted: Studio, settings: Settings, models_dir: Path) -> None:
    process = worker(settings, models_dir, "p1", "1", hold=1)
    try:
        read_until(process, "ready")
        tell(process)
        read_until(process, "shot 1.1")  # it has drawn one shot and holds the scene
        with pytest.raises(JobInProgress) as refused:
            scripted.storyboards.build(SCENE_1, actor=PRIYA, wait=False)
        message = str(refused.value)
        assert re.fullmatch(rf"storyboard for scene 1 in style {DEFAULT_STYLE} is being drawn by p1 since "
                            rf"\d\d:\d\d UTC \(1 of 4 shots drawn; host \S+, process {process.pid}\): wait for it to "
                            "finish, or draw another scene or style meanwhile", message), message
        process.kill()  # kill -9 mid-job: its claim row stays behind
        process.wait(timeout=30)
    finally:
        process.kill()
    result = scripted.storyboards.build(SCENE_1, actor=PRIYA, wait=False)  # taken over at once: its owner is gone
    assert result.skipped == ["1.1"] and len(result.drawn) == 3
    assert frames_per_shot(scripted) == once_each(scripted)


def hold_after(shots: int, release: threading.Event, reached: threading.Event) -> Callable[[ShotProgress], None]:
    def progress(step: ShotProgress) -> None:
        if step.done == shots:
            reached.set()
            release.wait(30)
    return progress


def in_thread(job: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(job())
        except Exception as error:  # handed to the test
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_second_job_waits_with_the_first_ones_progress_and_keeps_its_frames(scripted: Studio) -> None:
    release, reached, heard = threading.Event(), threading.Event(), threading.Event()
    first, first_outcome = in_thread(lambda: scripted.storyboards.build(
        SCENE_1, actor=PRIYA, progress=hold_after(2, release, reached)))
    assert reached.wait(60)
    waits: list[StoryboardBusy] = []

    def waiting(busy: StoryboardBusy) -> None:
        waits.append(busy)
        heard.set()

    second, second_outcome = in_thread(lambda: scripted.storyboards.build(SCENE_1, actor=OMAR, on_wait=waiting))
    assert heard.wait(30)
    assert (waits[0].user, waits[0].drawn, waits[0].total) == ("priya", 2, 4)
    assert waits[0].message.startswith(f"storyboard for scene 1 in style {DEFAULT_STYLE} is being drawn by priya")
    release.set()
    first.join(60)
    second.join(60)
    drawn, kept = first_outcome[0], second_outcome[0]
    assert isinstance(drawn, StoryboardResult) and isinstance(kept, StoryboardResult), (first_outcome, second_outcome)
    assert len(drawn.drawn) == 4 and kept.drawn == [] and kept.skipped == ["1.1", "1.2", "1.3", "1.4"]
    assert len(waits) == len(set(waits)), "told only when something changed"
    assert frames_per_shot(scripted) == once_each(scripted)


def scene_1_id(studio: Studio) -> int:
    return studio.scenes.scene("Lighthouse", "1", actor=PRIYA).id


def claim_elsewhere(studio: Studio, *, heartbeat_ago: timedelta) -> None:
    """A claim on scene 1 held by a job on another machine, last heard from ``heartbeat_ago``."""
    at = datetime.now(UTC) - heartbeat_ago
    with studio.database.unit_of_work() as work:
        assert work.storyboard_jobs.claim(scene_id=scene_1_id(studio), style=DEFAULT_STYLE, holder="e" * 32,
                                          user="renderbot", host="render-7", pid=1, pid_space="another machine",
                                          started_at=at, heartbeat_at=at) is not None


def release_elsewhere(studio: Studio) -> None:
    with studio.database.unit_of_work() as work:
        job = work.storyboard_jobs.holder_of(scene_1_id(studio), DEFAULT_STYLE)
        assert job is not None
        work.storyboard_jobs.release(job.id, "e" * 32)


def test_a_claim_from_another_machine_holds_while_it_beats_and_is_taken_over_when_it_stops(
        scripted: Studio) -> None:
    claim_elsewhere(scripted, heartbeat_ago=timedelta(seconds=5))
    with pytest.raises(JobInProgress, match=r"being drawn by renderbot since .* host render-7, process 1\)"):
        scripted.storyboards.build(SCENE_1, actor=PRIYA, wait=False)
    release_elsewhere(scripted)
    claim_elsewhere(scripted, heartbeat_ago=storyboard_jobs.STALE_AFTER + timedelta(seconds=1))
    result = scripted.storyboards.build(SCENE_1, actor=PRIYA, wait=False)
    assert len(result.drawn) == 4
    with scripted.database.unit_of_work() as work:  # and the finished job let go of it
        assert work.storyboard_jobs.holder_of(scene_1_id(scripted), DEFAULT_STYLE) is None


def test_a_running_job_keeps_its_claim_fresh_and_stops_when_it_was_taken_over(
        scripted: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storyboard_jobs, "HEARTBEAT_SECONDS", 0.1)
    monkeypatch.setattr(storyboard_jobs, "STALE_AFTER", timedelta(seconds=1.5))
    release, reached = threading.Event(), threading.Event()
    thread, outcome = in_thread(lambda: scripted.storyboards.build(
        SCENE_1, actor=PRIYA, progress=hold_after(1, release, reached)))
    assert reached.wait(60)
    time.sleep(2.5)  # past the stale age: only the heartbeat keeps the claim
    with pytest.raises(JobInProgress, match="being drawn by priya"):
        scripted.storyboards.build(SCENE_1, actor=OMAR, wait=False)
    with scripted.database.unit_of_work() as work:  # as if another machine found it stale and took it over
        job = work.storyboard_jobs.holder_of(scene_1_id(scripted), DEFAULT_STYLE)
        assert job is not None
        assert work.storyboard_jobs.take_over(job.id, job.holder, holder="f" * 32, user="renderbot")
    time.sleep(1.0)  # its next heartbeats find the claim gone
    release.set()
    thread.join(60)
    assert isinstance(outcome[0], JobInProgress) and "was taken over by another job" in str(outcome[0])
    assert sum(frames_per_shot(scripted).values()) == 1, "it stopped before drawing another shot"


def test_cli_waits_for_the_other_job_or_with_no_wait_says_who_has_the_scene(
        scripted: Studio, settings: Settings, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    claim_elsewhere(scripted, heartbeat_ago=timedelta(0))
    code, out, err = in_process(settings, capsys, monkeypatch, "storyboard", "--project", "Lighthouse", "--scene",
                                "1", "--size", "64x64", "--steps", "1", "--no-wait")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith(f"error: storyboard for scene 1 in style {DEFAULT_STYLE} is being drawn by renderbot since")

    looked = threading.Event()
    busy = StoryboardDesk._busy

    def looking(*args: Any) -> StoryboardBusy:  # the CLI's job has found the scene held at least once
        looked.set()
        return busy(*args)

    monkeypatch.setattr(StoryboardDesk, "_busy", looking)

    def other_job_ends() -> None:
        assert looked.wait(60)
        release_elsewhere(scripted)

    ending = threading.Thread(target=other_job_ends)
    ending.start()
    code, out, err = in_process(settings, capsys, monkeypatch, "storyboard", "--project", "Lighthouse", "--scene",
                                "1", "--size", "64x64", "--steps", "1")
    ending.join()
    assert code == 0, err
    assert err.splitlines()[0].startswith("waiting: storyboard for scene 1 in style pencil_storyboard is being "
                                          "drawn by renderbot since") and "0 of 4 shots drawn" in err
    assert "4 shots drawn, 0 already there" in out

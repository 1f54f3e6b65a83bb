"""Generation on a real local Ray cluster (2 CPU workers, the tiny model): fan-out, faults, the gate, no secrets.

One cluster for the whole module (``PREVIS_WORKERS=ray-local:2`` through the same code the studio uses); each
test opens its own studio on it. The trust core stays in the studio process: these tests drive it end to end.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import matplotlib.cbook
import pytest
from PIL import Image

from previs.access.permissions import Actor, Role
from previs.app.requests import FrameInfo, FrameRequest
from previs.app.storyboards import ShotProgress, StoryboardRequest
from previs.app.studio import Studio, open_studio
from previs.errors import ConsentRefused, InvalidRequest
from previs.generation.generator import Generator
from previs.generation.limits import GeneratedImage, GenerationRequest
from previs.generation.workers.ray_pool import RayWorkers
from previs.settings import Settings, WorkerMode
from tests.crash_support import check_whole
from tests.test_cli import in_process
from tests.test_likeness_faces import _png
from tests.test_scene_desk import THREE_SCENES

PRODUCER = Actor("priya", Role.PRODUCER)
# What the studio process holds and no worker may see: a database password, the data directory, signing paths.
SECRETS = {"PREVIS_DATABASE_URL": "postgresql://previs:s3cret-pw@db.lan/previs", "PREVIS_HOME": "/srv/previs-home",
           "PREVIS_SIGNING_KEY": "/srv/previs-home/signing/key.pem", "PREVIS_USERS_FILE": "/srv/previs-home/users.toml"}


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[RayWorkers]:
    saved = {name: os.environ.get(name) for name in SECRETS}
    os.environ.update(SECRETS)  # the studio's environment holds them while the cluster starts
    try:
        workers = RayWorkers(Settings(home=tmp_path_factory.mktemp("ray-home"), device="cpu", models_path=models_dir,
                                      workers=WorkerMode("ray-local", 2)))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield workers
    workers.close()


@pytest.fixture
def clustered(settings: Settings, tiny_generator: Generator, pool: RayWorkers) -> Iterator[Studio]:
    studio = open_studio(settings, generator=tiny_generator, workers=pool)
    yield studio
    studio.close()


def _worker_ids(frames: list[FrameInfo]) -> set[str]:
    return {frame.record.worker.id for frame in frames if frame.record.worker is not None}


@pytest.mark.both_backends
def test_a_storyboard_spreads_over_both_workers_each_shot_stored_once(clustered: Studio) -> None:
    clustered.scenes.import_script(THREE_SCENES, project="Lighthouse", actor=PRODUCER)
    numbers = [scene.number for scene in clustered.scenes.scenes("Lighthouse", actor=PRODUCER)]
    shots = sum(len(scene.shots) for scene in clustered.scenes.scenes("Lighthouse", actor=PRODUCER))
    heard: list[ShotProgress] = []
    result = clustered.storyboards.build(StoryboardRequest("Lighthouse", numbers, steps=2, width=64, height=64),
                                         actor=PRODUCER, progress=heard.append)
    assert len(result.drawn) == shots and [item.done for item in heard] == list(range(1, shots + 1))
    frames = clustered.frames.list(project="Lighthouse", limit=1000, actor=PRODUCER)
    assert len(frames) == shots, "each shot recorded exactly once"
    assert len({frame.shot_id for frame in frames}) == shots
    assert _worker_ids(frames) == {"previs-worker-0", "previs-worker-1"}
    assert all(frame.record.worker is not None and frame.record.worker.device == "cpu" for frame in frames)
    check_whole(clustered)  # every file has its row and back, nothing staged, the ledger verifies
    listed = clustered.models.workers()
    assert sorted(worker.id for worker in listed) == ["previs-worker-0", "previs-worker-1"]
    assert sum(worker.frames for worker in listed) >= shots


def test_a_worker_killed_mid_frame_the_frame_is_drawn_elsewhere_and_stored_once(clustered: Studio,
                                                                                pool: RayWorkers) -> None:
    outcome: list[object] = []

    def draw() -> None:
        try:
            outcome.extend(clustered.frames.generate(FrameRequest(
                "a lighthouse at dusk", project="Harbour", seed=3, steps=40, width=256, height=256),
                actor=PRODUCER))
        except BaseException as error:
            outcome.append(error)

    job = threading.Thread(target=draw)
    job.start()
    deadline = time.monotonic() + 20
    busy = []
    while not busy and time.monotonic() < deadline:
        busy = [worker for worker in pool.workers() if worker.state == "busy"]
        time.sleep(0.05)
    assert busy, "no worker started drawing"
    victim = next(slot for slot in pool._slots if slot.name == busy[0].id)
    pid = pool._answer([victim.handle.process.remote()], "reporting")[0]["pid"]
    os.kill(pid, signal.SIGKILL)
    job.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], FrameInfo), outcome
    frame = outcome[0]
    assert frame.record.worker is not None and frame.record.worker.id != busy[0].id, "retried on the other worker"
    assert len(clustered.frames.list(project="Harbour", actor=PRODUCER)) == 1, "recorded once"
    check_whole(clustered)  # no orphan file, nothing staged, the ledger verifies
    deadline = time.monotonic() + 60  # Ray restarts the killed worker; it answers (and takes work) again
    while any(worker.state == "lost" for worker in pool.workers()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert {worker.state for worker in pool.workers()} == {"idle"}


def test_the_gate_refuses_before_any_worker_draws(clustered: Studio, pool: RayWorkers) -> None:
    clustered.consent.add_performer("Zoë Okafor", actor=PRODUCER)
    drawn_before = sum(worker.frames for worker in pool.workers())
    for prompt in ("Zoë Okafor on the harbour wall", "Z0e 0kafor by the lighthouse"):
        with pytest.raises(ConsentRefused, match="Zoë Okafor"):
            clustered.frames.generate(FrameRequest(prompt, project="Harbour", seed=1, steps=1, width=64, height=64),
                                      actor=PRODUCER)
    assert sum(worker.frames for worker in pool.workers()) == drawn_before, "refused before dispatch"
    assert clustered.frames.list(actor=PRODUCER) == []


class FaceDrawingPool:
    """The real cluster, as if its model drew a registered performer's face: the pixels come back through Ray."""

    def __init__(self, real: RayWorkers, face: Image.Image):
        self._real, self._face = real, face

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def generate(self, request: GenerationRequest, model: str) -> list[GeneratedImage]:
        return [replace(item, image=self._face.resize(item.image.size)) for item in self._real.generate(request, model)]

    def close(self) -> None:
        """The module's cluster outlives this studio."""


def test_a_registered_face_drawn_by_a_worker_is_caught_in_the_studio(
        settings: Settings, tiny_generator: Generator, pool: RayWorkers) -> None:
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
        hopper = Image.open(file).convert("RGB")
    drawing_her = FaceDrawingPool(pool, hopper.crop((0, 0, 512, 512)))
    studio = open_studio(settings, generator=tiny_generator, workers=drawing_her)
    try:
        studio.consent.add_performer("Zoë Okafor", photos=[_png(hopper)], actor=PRODUCER)
        drawn_before = sum(worker.frames for worker in pool.workers())
        with pytest.raises(ConsentRefused, match="face in the generated image 1 matches their reference photo"):
            studio.frames.generate(FrameRequest("a lighthouse keeper at dusk", project="Harbour", seed=2, steps=1,
                                                width=64, height=64), actor=PRODUCER)
        assert sum(worker.frames for worker in pool.workers()) > drawn_before, "a worker drew it"
        assert studio.frames.list(actor=PRODUCER) == [], "nothing the worker drew was stored"
        check_whole(studio)
    finally:
        studio.close()


def test_a_worker_process_holds_no_secret_of_the_studio(pool: RayWorkers) -> None:
    for slot in pool._slots:
        seen = pool._answer([slot.handle.process.remote()], "reporting")[0]
        exposed = " ".join([*seen["environ"], *seen["environ"].values(), *seen["argv"]])
        assert not [name for name in seen["environ"] if name.startswith("PREVIS_")]
        for value in SECRETS.values():
            assert value not in exposed
        assert "s3cret" not in exposed and "/srv/previs-home" not in exposed


def test_workers_settings_are_checked_and_the_cli_lists_the_in_process_worker(
        settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for wrong in ("ray-local:0", "ray-local", "dask"):
        with pytest.raises(InvalidRequest, match=r"^PREVIS_WORKERS=.* use local, ray .* or ray-local:N"):
            Settings.from_env({"PREVIS_WORKERS": wrong})
    chosen = Settings.from_env({"PREVIS_WORKERS": "ray-local:2", "PREVIS_WORKER_MODELS": "sd15, previs-tiny"})
    assert chosen.workers == WorkerMode("ray-local", 2) and chosen.kept_models == ("sd15", "previs-tiny")
    monkeypatch.setenv("PREVIS_DEVICE", "cpu")
    code, out, _ = in_process(settings, capsys, monkeypatch, "workers", "--json")
    listed = json.loads(out)
    assert code == 0 and listed["mode"] == "local"
    assert [(w["id"], w["device"], w["model"], w["state"]) for w in listed["workers"]] == [
        ("local", "not loaded yet", "previs-tiny", "idle")]

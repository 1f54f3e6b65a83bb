"""The Ray back end: generation actors (``actor.py``), one loaded model on one device each, fed by this pool.

Routing: a request goes to the least loaded live worker holding its model. When none does, one worker loads it on
demand, and at most ``ON_DEMAND_WORKERS`` workers hold a model outside PREVIS_WORKER_MODELS at a time, chosen so
every kept model stays loaded somewhere. Faults: a worker whose process dies mid-frame raises ``RayActorError``;
the request is sent to another worker (``MAX_ATTEMPTS`` in all) and Ray restarts the dead one, which takes work
again once it answers. Nothing was stored for the lost attempt (the studio stores only pixels it received), so
each frame is recorded once. With PREVIS_WORKERS=ray the pool also grows when GPUs (or, on a CPU cluster,
nodes) join, looked at every ``GROW_EVERY_S``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import ray
from ray.exceptions import ActorUnavailableError, GetTimeoutError, RayActorError, RayTaskError

from previs.errors import PrevisError, WorkersUnavailable
from previs.generation.limits import MAX_COUNT, GeneratedImage, GenerationRequest
from previs.generation.models import resolve_model
from previs.generation.workers.actor import GenerationWorker
from previs.generation.workers.cluster import LocalCluster
from previs.generation.workers.environment import worker_environment
from previs.generation.workers.pool import WorkerInfo
from previs.settings import Settings

NAMESPACE = "previs"
MAX_ATTEMPTS = 3  # a frame is tried on this many workers before the request fails
ON_DEMAND_WORKERS = 1
RESTARTS = 3  # Ray restarts a dead worker this many times
START_TIMEOUT_S = 120.0  # the cluster answering, and each worker loading its model
RETURN_TIMEOUT_S = 60.0  # a lost worker answering again after Ray restarted it
GROW_EVERY_S = 10.0
WORKER_MODELS_DIR = "~/.cache/previs/models"  # on a worker's host, when PREVIS_MODELS_DIR is not set


def _resources() -> dict[str, float]:
    """The cluster's total resources (CPU, GPU, memory, ...)."""
    return dict(ray.cluster_resources())  # type: ignore[no-untyped-call]  # unannotated in ray


@dataclass(eq=False)
class _Slot:
    """The pool's view of one worker: its handle, the model it holds, its load from this process."""

    name: str
    handle: Any
    model: str  # model source
    in_flight: int = 0
    lost: bool = False


class RayWorkers:
    """A pool of generation actors on a Ray cluster joined (``ray``) or started (``ray-local:N``) by the studio."""

    def __init__(self, settings: Settings):
        mode = settings.workers
        self._cluster = LocalCluster(mode.count) if mode.count is not None else None
        self._detached = self._cluster is None  # a shared cluster's workers outlive (and serve) every studio
        self._kept = tuple(resolve_model(name).source for name in settings.kept_models)
        self._device = None if settings.device in (None, "cuda") else settings.device
        self._dtype, self._fast_paths = settings.dtype, settings.fast_paths
        self._models_dir = str(settings.models_path or WORKER_MODELS_DIR)
        self._slots: list[_Slot] = []
        self._lock = threading.Condition()
        self._grown_at = 0.0
        try:
            self._connect(settings)
            self._grow(self._cluster_size() if mode.count is None else mode.count)
        except BaseException:
            self.close()
            raise

    def _connect(self, settings: Settings) -> None:
        address = self._cluster.address if self._cluster is not None else settings.ray_address or "auto"
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                ray.init(address=address, namespace=NAMESPACE, logging_level=logging.ERROR, log_to_driver=False,
                         ignore_reinit_error=True)
                return
            except (ConnectionError, RuntimeError) as error:
                if self._cluster is not None and self._cluster.running and time.monotonic() < deadline:
                    time.sleep(0.5)  # the local head is still starting
                    continue
                why = self._cluster.log_tail() if self._cluster is not None else str(error).splitlines()[0]
                raise WorkersUnavailable(
                    f"cannot reach the Ray cluster at {address} ({why}): start it (`ray start --head`, see "
                    "docs/deploy.md) and set RAY_ADDRESS, or use PREVIS_WORKERS=local") from None

    @property
    def parallelism(self) -> int:
        with self._lock:
            return max(1, sum(1 for slot in self._slots if not slot.lost))

    def _cluster_size(self) -> int:
        """PREVIS_WORKERS=ray: one worker per GPU in the cluster, or one per node on a cluster without GPUs."""
        gpus = int(_resources().get("GPU", 0))
        nodes: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]  # unannotated in ray
        return gpus or len([node for node in nodes if node.get("Alive")])

    def _grow(self, size: int) -> None:
        """Start (or, on a shared cluster, find) workers up to ``size``; each answers once its model is loaded."""
        gpu = _resources().get("GPU", 0) > 0
        environ = worker_environment(os.environ, same_host=self._cluster is not None)
        new = []
        for index in range(len(self._slots), size):
            name = f"previs-worker-{index}"
            model = self._kept[index % len(self._kept)]
            handle = ray.remote(GenerationWorker).options(
                name=name, namespace=NAMESPACE, get_if_exists=True,
                lifetime="detached" if self._detached else None,
                num_gpus=1 if gpu else 0, num_cpus=0 if gpu else 1,
                max_restarts=RESTARTS, max_task_retries=0,
                max_concurrency=2 + (MAX_COUNT if self._fast_paths.batching else 1),
                runtime_env={"env_vars": environ},
            ).remote(name, model, self._models_dir, None if gpu else self._device or "cpu", self._dtype,
                     self._fast_paths)
            new.append(_Slot(name, handle, model))
        if new:
            self._answer([slot.handle.describe.remote() for slot in new], "loading its model")
            with self._lock:
                self._slots += new
                self._lock.notify_all()

    def _answer(self, refs: list[Any], doing: str) -> list[Any]:
        try:
            return list(ray.get(refs, timeout=START_TIMEOUT_S))
        except (RayActorError, RayTaskError, GetTimeoutError) as error:
            raise WorkersUnavailable(f"a Ray generation worker failed while {doing} "
                                     f"({type(error).__name__}): see its log under /tmp/ray") from None

    def generate(self, request: GenerationRequest, model: str) -> list[GeneratedImage]:
        source = resolve_model(model).source
        self._maybe_grow()
        for _attempt in range(MAX_ATTEMPTS):
            slot = self._take(source)
            try:
                images: list[GeneratedImage] = ray.get(slot.handle.generate.remote(request, source))
            except RayTaskError as error:
                cause = error.cause
                raise (cause if isinstance(cause, PrevisError) else error) from None
            except RayActorError:
                self._lose(slot)
                continue
            finally:
                with self._lock:
                    slot.in_flight -= 1
                    self._lock.notify_all()
            return images
        raise WorkersUnavailable(f"the frame failed on {MAX_ATTEMPTS} generation workers (their processes died): "
                                 "nothing was stored; check the workers' hosts (memory, drivers) and retry")

    def _take(self, source: str) -> _Slot:
        """The worker to draw with ``source``: a live one holding it, or one that may load it."""
        with self._lock:
            deadline = time.monotonic() + RETURN_TIMEOUT_S
            while not (live := [slot for slot in self._slots if not slot.lost]):
                if not self._lock.wait(max(0.0, deadline - time.monotonic())):
                    raise WorkersUnavailable("no generation worker is alive: every worker's process died and none "
                                             f"came back within {RETURN_TIMEOUT_S:g} s; nothing was stored")
            holding = [slot for slot in live if slot.model == source]
            chosen = min(holding or self._may_load(live), key=lambda slot: slot.in_flight, default=None)
            if chosen is None:
                raise WorkersUnavailable(
                    f"no worker holds model {source!r} and none may load it now (at most {ON_DEMAND_WORKERS} worker "
                    "holds a model outside PREVIS_WORKER_MODELS): add it to PREVIS_WORKER_MODELS or add workers")
            chosen.model = source
            chosen.in_flight += 1
            return chosen

    def _may_load(self, live: list[_Slot]) -> list[_Slot]:
        """Workers that may swap their model for one no worker holds, keeping every kept model loaded somewhere."""
        extra = [slot for slot in live if slot.model not in self._kept]
        if len(extra) >= ON_DEMAND_WORKERS:
            return extra
        return [slot for slot in live if sum(1 for other in live if other.model == slot.model) > 1]

    def _lose(self, slot: _Slot) -> None:
        """Mark a worker whose process died; it rejoins once Ray has restarted it and its model is loaded."""
        with self._lock:
            slot.lost = True
        threading.Thread(target=self._await_return, args=(slot,), daemon=True, name=f"{slot.name}-return").start()

    def _await_return(self, slot: _Slot) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                info: WorkerInfo = ray.get(slot.handle.describe.remote(), timeout=START_TIMEOUT_S)
                break
            except ActorUnavailableError:  # Ray is restarting it
                if time.monotonic() > deadline:
                    return
                time.sleep(0.5)
            except (RayActorError, GetTimeoutError):
                return  # gone for good (its restarts used up, or its node left): it stays lost
        with self._lock:
            slot.model, slot.lost = resolve_model(info.model).source, False
            self._lock.notify_all()

    def _maybe_grow(self) -> None:
        if not self._detached or time.monotonic() - self._grown_at < GROW_EVERY_S:
            return
        self._grown_at = time.monotonic()
        size = self._cluster_size()
        if size > len(self._slots):
            self._grow(size)

    def workers(self) -> list[WorkerInfo]:
        with self._lock:
            slots = list(self._slots)
        infos = []
        for slot in slots:
            try:
                infos.append(ray.get(slot.handle.describe.remote(), timeout=5.0) if not slot.lost else
                             WorkerInfo(slot.name, "?", "?", slot.model, "lost", 0))
            except (RayActorError, GetTimeoutError):
                infos.append(WorkerInfo(slot.name, "?", "?", slot.model, "lost", 0))
        return infos

    def close(self) -> None:
        """Disconnect; a ``ray-local`` cluster (and so its workers) is stopped, a shared one's workers stay."""
        if ray.is_initialized():
            ray.shutdown()
        if self._cluster is not None:
            self._cluster.stop()

"""The in-process back end: the studio's own generator, called directly (no copy, no thread, no queue)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import replace

from previs.generation.generator import Generator
from previs.generation.limits import GeneratedImage, GenerationRequest, WorkerRecord
from previs.generation.workers.pool import WorkerInfo

LOCAL_ID = "local"


class LocalWorkers:
    """One worker, this process: ``generator`` is asked for each call (the model desk may swap it on fallback)."""

    def __init__(self, generator: Callable[[], Generator]):
        self._generator = generator
        self._host = socket.gethostname()
        self._busy = 0
        self._frames = 0
        self._count_lock = threading.Lock()

    @property
    def parallelism(self) -> int:
        return 1

    def generate(self, request: GenerationRequest, model: str) -> list[GeneratedImage]:
        """``model`` is the generator's own (the studio has one loaded model in this back end)."""
        generator = self._generator()
        with self._count_lock:
            self._busy += 1
        try:
            images = generator.generate(request)
        finally:
            with self._count_lock:
                self._busy -= 1
        with self._count_lock:
            self._frames += len(images)
        worker = WorkerRecord(LOCAL_ID, self._host, generator.load().placement.device)
        return [replace(image, worker=worker) for image in images]

    def workers(self) -> list[WorkerInfo]:
        generator = self._generator()
        device = generator.load().placement.device if generator.loaded else "not loaded yet"
        return [WorkerInfo(LOCAL_ID, self._host, device, generator.spec.name, "busy" if self._busy else "idle",
                           self._frames)]

    def close(self) -> None:
        """Nothing to let go: the generator belongs to the studio."""

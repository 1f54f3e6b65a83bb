"""The generation worker: what runs inside a Ray actor's process, one loaded model on one device.

It is handed everything it needs as arguments (model, weights folder, device, speed-ups) and holds nothing of the
studio: no database URL, data directory, signing key, consent registry or users file. It draws what it is sent,
which the studio has already gated, and sends the pixels back for the studio to check, sign and store.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from previs.generation.generator import Generator
from previs.generation.limits import GeneratedImage, GenerationRequest, WorkerRecord
from previs.generation.models import resolve_model
from previs.generation.workers.pool import WorkerInfo
from previs.settings import FastPaths


class GenerationWorker:
    """One model loaded at start; another model is loaded in its place when the pool routes one here."""

    def __init__(self, name: str, model: str, models_dir: str, device: str | None, dtype: str | None,
                 fast_paths: FastPaths):
        self._name, self._host = name, socket.gethostname()
        self._models_dir, self._device, self._dtype, self._fast_paths = Path(models_dir).expanduser(), device, \
            dtype, fast_paths
        self._generator = self._loaded(model)
        self._swap_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._busy = 0
        self._frames = 0

    def _loaded(self, model: str) -> Generator:
        generator = Generator(model, self._models_dir, device=self._device, dtype=self._dtype,
                              fast_paths=self._fast_paths)
        generator.load()
        return generator

    @property
    def _record(self) -> WorkerRecord:
        return WorkerRecord(self._name, self._host, self._generator.load().placement.device)

    def describe(self) -> WorkerInfo:
        return WorkerInfo(self._name, self._host, self._record.device, self._generator.spec.name,
                          "busy" if self._busy else "idle", self._frames)

    def generate(self, request: GenerationRequest, model: str) -> list[GeneratedImage]:
        """Draw with ``model``, loading it first if this worker holds another (the pool bounds how often)."""
        with self._count_lock:
            self._busy += 1
        try:
            if resolve_model(model).source != self._generator.spec.source:
                with self._swap_lock:
                    if resolve_model(model).source != self._generator.spec.source:
                        self._generator = self._loaded(model)
            images = self._generator.generate(request)
        finally:
            with self._count_lock:
                self._busy -= 1
        with self._count_lock:
            self._frames += len(images)
        record = self._record
        return [replace(image, worker=record) for image in images]

    def process(self) -> dict[str, Any]:
        """Its process id, environment and arguments: what a test (or an operator) checks holds no secret."""
        return {"pid": os.getpid(), "environ": dict(os.environ), "argv": list(sys.argv)}

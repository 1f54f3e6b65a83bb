"""The interface every generation back end offers the studio, and what it says about its workers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from previs.generation.limits import GeneratedImage, GenerationRequest


@dataclass(frozen=True)
class WorkerInfo:
    """One worker as ``previs workers`` and the UI status line show it."""

    id: str
    host: str
    device: str
    model: str  # the model it holds loaded
    state: str  # idle | busy | lost (its process died; Ray is restarting it)
    frames: int  # images drawn since it started

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class WorkerPool(Protocol):
    """Draws checked requests; the studio's frame pipeline is its only caller."""

    @property
    def parallelism(self) -> int:
        """How many requests it draws at once: storyboards fan their shots out this wide."""

    def generate(self, request: GenerationRequest, model: str) -> list[GeneratedImage]:
        """Draw ``request`` with ``model`` (a model source); every image names the worker that drew it."""

    def workers(self) -> list[WorkerInfo]:
        """The workers serving now."""

    def close(self) -> None:
        """Let go of the workers (and of a cluster this pool started)."""

"""The model desk: which model draws, loading it (falling back to the offline one loudly), and the presets."""

from __future__ import annotations

import logging
from collections.abc import Callable

from previs.app.requests import ModelListing, ModelStatus
from previs.errors import ModelUnavailable
from previs.generation.generator import Generator
from previs.generation.limits import TINY_MODEL, GeneratedImage, GenerationRequest
from previs.generation.models import PRESETS, TINY_NOTICE, controlnet_available, is_available_offline, resolve_model
from previs.generation.workers import WorkerInfo, WorkerPool
from previs.generation.workers.local import LocalWorkers
from previs.settings import Settings

log = logging.getLogger(__name__)


class ModelDesk:
    """Owns the studio's one generator; the frame pipeline is the only caller of ``generate``.

    Model status and presets are configuration anyone signed in may see, so these calls take no actor.
    """

    def __init__(self, settings: Settings, generator: Generator, workers: WorkerPool | None = None):
        """``workers``: who draws (a Ray pool); None: ``generator`` itself, in this process. Either way the
        generator here is the one whose tokenizers the gate reads."""
        self._settings = settings
        self._generator = generator
        self._workers: WorkerPool = workers or LocalWorkers(lambda: self._generator)
        self._fallback_warning = ""

    @property
    def parallelism(self) -> int:
        """How many frames the workers draw at once (1 in process): storyboards fan out this wide."""
        return self._workers.parallelism

    def workers(self) -> list[WorkerInfo]:
        """The workers serving now (``previs workers``, the UI status line)."""
        return self._workers.workers()

    @property
    def generator(self) -> Generator:
        return self._generator

    @property
    def batching(self) -> bool:
        """Whether compatible queued requests are merged into one pipeline call (PREVIS_BATCHING)."""
        return self._generator.fast_paths.batching

    def status(self) -> ModelStatus:
        spec = self._generator.spec
        warning = " ".join(part for part in (self._fallback_warning, TINY_NOTICE if spec.is_tiny else "") if part)
        return ModelStatus(spec.name, spec.source, self._generator.loaded, spec.is_tiny, warning)

    def load(self, *, fall_back_to_tiny: bool = False) -> ModelStatus:
        """Load the configured model now. The app falls back to previs-tiny, loudly; the CLI does not."""
        try:
            self._generator.load()
        except ModelUnavailable as error:
            if not fall_back_to_tiny or self._generator.spec.is_tiny:
                raise
            log.warning("%s Falling back to %s.", error, TINY_MODEL)
            self._fallback_warning = f"{error} Using the offline placeholder model instead."
            self._generator = Generator(TINY_MODEL, self._settings.models_dir, fast_paths=self._settings.fast_paths)
            self._generator.load()
        return self.status()

    def listing(self) -> list[ModelListing]:
        current = self._generator.spec.source
        listings = [
            ModelListing(p.name, p.source, p.pipeline, p.steps, p.guidance, f"{p.width}x{p.height}", p.licence,
                         is_available_offline(resolve_model(p.name)), p.source == current)
            for p in PRESETS.values()
        ]
        if current not in {p.source for p in PRESETS.values()}:
            spec = self._generator.spec
            listings.append(ModelListing(spec.name, spec.source, "auto", spec.preset.steps, spec.preset.guidance,
                                         f"{spec.preset.width}x{spec.preset.height}", spec.preset.licence,
                                         is_available_offline(spec), True))
        return listings

    def token_counter(self) -> tuple[Callable[[str], int], int]:
        """The loaded model's own token count and its text encoder's limit (templates are fitted to it)."""
        return self._generator.token_counter()

    def encoder_texts(self, prompt: str) -> tuple[str, ...]:
        """The texts the loaded model's text encoders receive for ``prompt`` (one per encoder), for the gate."""
        return self._generator.encoder_texts(prompt)

    @property
    def source(self) -> str:
        return self._generator.spec.source

    @property
    def native_size(self) -> tuple[int, int]:
        """The size the model was trained at: its pixel count is what other aspect ratios are drawn with."""
        preset = self._generator.spec.preset
        return preset.width, preset.height

    @property
    def has_controlnet(self) -> bool:
        """Whether blockouts steer this model through its depth ControlNet (else by image-to-image)."""
        return controlnet_available(self._generator.spec)

    def generate(self, request: GenerationRequest) -> list[GeneratedImage]:
        return self._workers.generate(request, self._generator.spec.source)

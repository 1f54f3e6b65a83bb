"""The one place that calls diffusers: a named request in, images plus how each was made out.

Text-to-image, image-to-image and inpainting are views (``from_pipe``) over one loaded pipeline, so they share
weights. Initial noise is drawn on the CPU from one seed per image, so a seed means the same noise on every
device; a request repeated on the same model, device and settings gives identical pixels. Speed-ups that are
settings (``fast_paths.py``, ``batching.py``) are applied here and named in every frame record.
"""

from __future__ import annotations

import copy
import functools
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter

from previs.errors import GenerationStopped, InvalidRequest
from previs.generation.batching import MergingQueue
from previs.generation.encoder_text import EncoderTexts
from previs.generation.fast_paths import apply_at_load, apply_per_call, speedups_record
from previs.generation.limits import (
    INPAINT_BLEND_RADIUS,
    MAX_COUNT,
    MAX_SEED,
    SCHEDULERS,
    BatchRecord,
    ControlRecord,
    CropRecord,
    GeneratedImage,
    GenerationRecord,
    GenerationRequest,
    ModelRecord,
    check_request,
    crop_box,
)
from previs.generation.models import (
    LoadedModel,
    ModelSpec,
    Placement,
    choose_placement,
    load_controlnet,
    load_model,
    resolve_model,
)
from previs.settings import FastPaths


def keep_outside_mask(original: Image.Image, painted: Image.Image, mask: Image.Image) -> Image.Image:
    """Paste ``painted`` into ``original`` through the mask, feathered at the edge; outside it, the original."""
    hard = mask.convert("L").point(lambda value: 255 if value >= 128 else 0)
    grown = hard.filter(ImageFilter.MaxFilter(2 * INPAINT_BLEND_RADIUS + 1))
    feathered = grown.filter(ImageFilter.BoxBlur(INPAINT_BLEND_RADIUS))
    # Blurring spreads a little beyond the grown mask's edge; clip so pixels outside it stay exact.
    alpha = Image.composite(feathered, Image.new("L", mask.size, 0), grown)
    return Image.composite(painted.convert("RGB"), original.convert("RGB"), alpha)


def _input_image(request: GenerationRequest) -> Image.Image:
    """The input image of an image-to-image or inpaint request (check_request refuses one without)."""
    if request.init_image is None:
        raise InvalidRequest(f"{request.mode} needs an input image")
    return request.init_image


def _mask(request: GenerationRequest) -> Image.Image:
    """The mask of an inpaint request (check_request refuses one without)."""
    if request.mask_image is None:
        raise InvalidRequest("inpaint needs a mask (white = paint, black = keep)")
    return request.mask_image


@dataclass(frozen=True)
class _Plan:
    """A checked request with every default and seed resolved: what one pipeline call (or a share of one) runs."""

    request: GenerationRequest
    width: int
    height: int
    steps: int
    guidance: float
    seeds: tuple[int, ...]

    def merge_key(self) -> tuple[Any, ...]:
        """Requests with equal keys can share a pipeline call; only text-to-image requests ever do."""
        request = self.request
        if request.mode != "text-to-image" or request.control_image is not None:
            return (id(self),)
        return (request.mode, request.scheduler, self.steps, self.guidance, self.width, self.height, request.aspect)


class _StepWatch:
    """Reports each denoising step to the plans that asked (``on_step``) and interrupts the pipeline at the next
    step when one of them says stop (diffusers' ``callback_on_step_end`` and ``_interrupt``)."""

    def __init__(self, plans: list[_Plan], steps: int):
        self._reports = [plan.request.on_step for plan in plans if plan.request.on_step is not None]
        self._steps = steps
        self.stopped = False

    def arguments(self) -> dict[str, Any]:
        return {"callback_on_step_end": self._after_step} if self._reports else {}

    def _after_step(self, pipeline: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        # img2img runs fewer steps than asked (strength); diffusers counts those it runs
        total = getattr(pipeline, "_num_timesteps", None) or self._steps
        if not all([report(step + 1, int(total)) for report in self._reports]):
            self.stopped = True
            pipeline._interrupt = True
        return tensors

    def raise_if_stopped(self) -> None:
        if self.stopped:
            raise GenerationStopped("stopped: the generation was stopped before it finished; nothing was stored")


class Generator:
    """Owns the loaded model (loaded once, lazily, reused by every request) and runs requests on it."""

    def __init__(self, model: str, models_dir: Path, *, device: str | None = None, dtype: str | None = None,
                 fast_paths: FastPaths | None = None):
        self.spec: ModelSpec = resolve_model(model)
        self.fast_paths = fast_paths or FastPaths()
        self._models_dir = models_dir
        self._device, self._dtype = device, dtype
        self._loaded: LoadedModel | None = None
        self._views: dict[tuple[str, str, bool], Any] = {}
        self._controlnet: tuple[Any, str] | None = None  # loaded on the first request with a control image
        self._lock = threading.RLock()
        self._queue: MergingQueue[_Plan, list[GeneratedImage]] = MergingQueue(
            self._lock, self._run, key=_Plan.merge_key, size=lambda plan: len(plan.seeds), max_size=MAX_COUNT)

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def load(self) -> LoadedModel:
        """Load the model on first use; raises ModelUnavailable with a fix when it cannot be loaded.

        Once loaded, no lock is taken: a request preparing its prompt does not wait for another's generation.
        """
        if self._loaded is not None:
            return self._loaded
        with self._lock:
            if self._loaded is None:
                placement: Placement = choose_placement(self._device, self._dtype)
                loaded = load_model(self.spec, placement, self._models_dir)
                apply_at_load(loaded.pipeline, self.fast_paths)
                self._loaded = loaded
            return self._loaded

    def token_counter(self) -> tuple[Callable[[str], int], int]:
        """The model's own token count (with begin/end tokens) and its text encoder's limit."""
        return self._count_tokens, int(self.load().pipeline.tokenizer.model_max_length)

    @functools.cached_property
    def _count_tokens(self) -> Callable[[str], int]:
        """Remembered: fitting a template to the encoder counts the same parts for every frame.

        Counts with its own copy of the tokenizer: a fast tokenizer is not safe to call from two threads, and
        this one runs without the generator's lock while the pipeline tokenizes under it.
        """
        tokenizer = copy.deepcopy(self.load().pipeline.tokenizer)
        return functools.lru_cache(maxsize=4096)(lambda text: len(tokenizer(text).input_ids))

    def encoder_texts(self, prompt: str) -> tuple[str, ...]:
        """What each text encoder of the loaded model receives for ``prompt``: the consent gate reads these."""
        return self._encoder_texts.texts(prompt)

    @functools.cached_property
    def _encoder_texts(self) -> EncoderTexts:
        return EncoderTexts(self.load().pipeline)

    def generate(self, request: GenerationRequest) -> list[GeneratedImage]:
        """Run one request: defaults resolved, one CPU-seeded noise per image, every choice recorded."""
        # 1. Check inputs
        check_request(request)
        # 2. Resolve defaults and seeds
        plan = self._plan(request)
        # 3. Run the pipeline, merged with compatible waiting requests when batching is on
        if self.fast_paths.batching:
            return self._queue.submit(plan)
        with self._lock:
            return self._run([plan])[0]

    def _plan(self, request: GenerationRequest) -> _Plan:
        preset = self.spec.preset
        width, height = request.width or preset.width, request.height or preset.height
        if request.init_image is not None:
            width, height = request.init_image.size
        if request.control_image is not None:
            width, height = request.control_image.size
        base_seed = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)
        return _Plan(
            request, width, height,
            steps=request.steps if request.steps is not None else preset.steps,
            guidance=request.guidance if request.guidance is not None else preset.guidance,
            seeds=tuple((base_seed + index) % (MAX_SEED + 1) for index in range(request.count)),
        )

    def _run(self, plans: list[_Plan]) -> list[list[GeneratedImage]]:
        """One pipeline call for plans of equal merge key (the caller holds the lock); images per plan."""
        model = self.load()
        first = plans[0]
        pipeline = self._view(first.request.mode, first.request.scheduler, first.request.control_image is not None)
        decode = self.fast_paths.decode_plan(first.width, first.height, sum(len(plan.seeds) for plan in plans))
        apply_per_call(pipeline, decode)
        stop = _StepWatch(plans, first.steps)
        images = iter(pipeline(**self._call_arguments(plans), **stop.arguments()).images)
        stop.raise_if_stopped()
        speedups = speedups_record(pipeline)
        merged: dict[str, int] = {} if len(plans) == 1 else {
            "merged_requests": len(plans), "merged_images": sum(len(plan.seeds) for plan in plans)}
        results = []
        for plan in plans:
            request = plan.request
            own = [next(images) for _ in plan.seeds]
            if request.mode == "inpaint":
                own = [keep_outside_mask(_input_image(request), image, _mask(request)) for image in own]
            crop = None
            if request.aspect is not None:
                crop = CropRecord(request.aspect, crop_box(plan.width, plan.height, request.aspect))
                own = [image.crop(crop.box) for image in own]
            # 4. Record how each image was made
            control = None if request.control_image is None or self._controlnet is None else ControlRecord(
                "depth", self._controlnet[1], request.control_scale)
            shared = replace(self._shared_record(model, pipeline, plan), fast_paths=speedups, crop=crop,
                             control=control)
            results.append([
                GeneratedImage(image, seed, replace(shared, seed=seed,
                                                    batch=BatchRecord(i, len(plan.seeds), **merged)))
                for i, (image, seed) in enumerate(zip(own, plan.seeds, strict=True))
            ])
        return results

    @staticmethod
    def _call_arguments(plans: list[_Plan]) -> dict[str, Any]:
        import torch

        first, request = plans[0], plans[0].request
        negatives = [plan.request.negative_prompt for plan in plans for _ in plan.seeds]
        arguments: dict[str, Any] = {
            "prompt": [plan.request.prompt for plan in plans for _ in plan.seeds],
            "num_inference_steps": first.steps,
            "guidance_scale": first.guidance,
            "generator": [torch.Generator("cpu").manual_seed(seed) for plan in plans for seed in plan.seeds],
            "output_type": "pil",
        }
        if any(negatives) and first.guidance > 1.0:  # diffusers' own default negative prompt is ""
            arguments["negative_prompt"] = negatives
        if request.control_image is not None:
            arguments.update(image=request.control_image.convert("RGB"),
                             controlnet_conditioning_scale=request.control_scale)
        if request.mode == "text-to-image":
            arguments.update(width=first.width, height=first.height)
        else:
            arguments.update(image=_input_image(request).convert("RGB"), strength=request.strength)
        if request.mode == "inpaint":
            arguments.update(mask_image=_mask(request).convert("L"), width=first.width, height=first.height)
        return arguments

    def _view(self, mode: str, scheduler: str, controlled: bool = False) -> Any:
        """The pipeline for a mode and scheduler (with the ControlNet or not), sharing the loaded weights; built
        once per combination."""
        key = (mode, scheduler, controlled)
        if key not in self._views:
            from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting, AutoPipelineForText2Image

            base = self.load().pipeline
            overrides = {} if SCHEDULERS[scheduler] is None else {"scheduler": self._scheduler(base, scheduler)}
            if controlled:
                view = AutoPipelineForText2Image.from_pipe(base, controlnet=self._load_controlnet(), **overrides)
            elif mode == "text-to-image":
                view = type(base).from_pipe(base, **overrides) if overrides else base
            elif mode == "image-to-image":
                view = AutoPipelineForImage2Image.from_pipe(base, **overrides)
            else:
                view = AutoPipelineForInpainting.from_pipe(base, **overrides)
            view.set_progress_bar_config(disable=True)
            self._views[key] = view
        return self._views[key]

    def _load_controlnet(self) -> Any:
        """The model's depth ControlNet, loaded once on the device and in the precision of the model."""
        if self._controlnet is None:
            self._controlnet = load_controlnet(self.spec, self.load().placement, self._models_dir)
        return self._controlnet[0]

    def _scheduler(self, base: Any, name: str) -> Any:
        class_name = SCHEDULERS[name]
        compatible = {cls.__name__: cls for cls in base.scheduler.compatibles}
        if class_name not in compatible:
            raise InvalidRequest(
                f"scheduler {name!r} does not work with {self.spec.name}: use 'default' or one of "
                + ", ".join(n for n, c in SCHEDULERS.items() if c in compatible)
            )
        return compatible[class_name].from_config(base.scheduler.config)

    @staticmethod
    def _shared_record(model: LoadedModel, pipeline: Any, plan: _Plan) -> GenerationRecord:
        import diffusers
        import torch

        request = plan.request
        return GenerationRecord(
            mode=request.mode,
            model=ModelRecord(model.spec.name, model.spec.source, model.revision, model.spec.preset.licence,
                              model.spec.is_tiny),
            seed=plan.seeds[0], seeds=plan.seeds, prompt=request.prompt, negative_prompt=request.negative_prompt,
            steps=plan.steps, guidance=plan.guidance, width=plan.width, height=plan.height,
            pipeline=type(pipeline).__name__, scheduler=request.scheduler,
            scheduler_class=type(pipeline.scheduler).__name__, device=model.placement.device,
            dtype=model.placement.dtype, libraries={"diffusers": diffusers.__version__, "torch": torch.__version__},
            strength=None if request.mode == "text-to-image" else request.strength,
            blend_radius=INPAINT_BLEND_RADIUS if request.mode == "inpaint" else None,
        )

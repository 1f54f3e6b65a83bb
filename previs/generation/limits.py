"""What a generation request may ask for, as torch-free constants and request types.

The domain (fittings, figures, boards) and the front ends import limits from here, never from the generator,
so they stay importable without torch; ``check_request`` is the one validation every request passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from previs.errors import InvalidRequest
from previs.settings import DEFAULT_MODEL

TINY_MODEL = DEFAULT_MODEL  # the built-in offline placeholder model, what runs when nothing else is configured
MODES = ("text-to-image", "image-to-image", "inpaint")
SCHEDULERS: dict[str, str | None] = {
    "default": None,  # whatever the checkpoint ships with
    "ddim": "DDIMScheduler",
    "euler": "EulerDiscreteScheduler",
    "euler_a": "EulerAncestralDiscreteScheduler",
    "dpmpp_2m": "DPMSolverMultistepScheduler",
    "unipc": "UniPCMultistepScheduler",
}
MAX_SEED = 2**32 - 1
MIN_SIDE, MAX_SIDE = 64, 2048
MAX_STEPS = 150
MAX_GUIDANCE = 30.0
MAX_COUNT = 8
MAX_PROMPT_CHARS = 2000
# Inpainted pixels are blended into the original over this many pixels around the mask's edge; beyond that the
# original is kept exactly (the VAE round trip would otherwise change every pixel of the picture).
INPAINT_BLEND_RADIUS = 4


StepReport = Callable[[int, int], bool]
"""``on_step(done, total)``, called after each denoising step; returning False stops the run at that step."""


@dataclass(frozen=True)
class GenerationRequest:
    """Everything that decides the pixels. ``None`` means "the model's default" (resolved and recorded)."""

    prompt: str
    negative_prompt: str = ""
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    width: int | None = None
    height: int | None = None
    scheduler: str = "default"
    count: int = 1
    mode: str = "text-to-image"
    init_image: Image.Image | None = field(default=None, compare=False, repr=False)
    mask_image: Image.Image | None = field(default=None, compare=False, repr=False)
    strength: float = 0.75
    on_step: StepReport | None = field(default=None, compare=False, repr=False)  # progress, and the Stop button
    aspect: str | None = None  # "2.39:1": the picture is cropped to exactly this ratio after drawing
    control_image: Image.Image | None = field(default=None, compare=False, repr=False)  # a ControlNet's input
    control_scale: float = 1.0  # controlnet_conditioning_scale

    @classmethod
    def from_record(cls, record: GenerationRecord, *, init_image: Image.Image | None = None,
                    mask_image: Image.Image | None = None,
                    control_image: Image.Image | None = None) -> GenerationRequest:
        """The request that made a recorded batch again (its first seed, its size), given the recorded inputs."""
        if record.prompt is None or record.scheduler is None:
            raise InvalidRequest("a composed board was not drawn by the model: reproduce its variants instead")
        return cls(prompt=record.prompt, negative_prompt=record.negative_prompt or "", seed=record.seeds[0],
                   steps=record.steps, guidance=record.guidance, width=record.width, height=record.height,
                   scheduler=record.scheduler, count=len(record.seeds), mode=record.mode,
                   init_image=init_image, mask_image=mask_image,
                   strength=record.strength if record.strength is not None else 0.75,
                   aspect=None if record.crop is None else record.crop.aspect,
                   control_image=control_image,
                   control_scale=1.0 if record.control is None else record.control.scale)


def ratio_of(aspect: str) -> float:
    """Width / height of a ratio written "W:H" ("2.39:1", "16:9"); InvalidRequest when it is not one."""
    width, colon, height = aspect.strip().partition(":")
    try:
        ratio = float(width) / float(height) if colon else math.nan
    except (ValueError, ZeroDivisionError):
        ratio = math.nan
    if not 0.2 <= ratio <= 5.0:  # also false for nan
        raise InvalidRequest(f"aspect ratio {aspect!r} is not a ratio like 2.39:1 or 16:9 (between 1:5 and 5:1)")
    return ratio


def frame_size(width: int, height: int, aspect: str, multiple: int = 64) -> tuple[int, int]:
    """A size of about ``width``×``height`` pixels (the model's native count) in the shape of ``aspect``, each side
    a multiple of ``multiple`` (latents and UNet downsampling want 64 for SD); the crop then makes it exact."""
    ratio, pixels = ratio_of(aspect), width * height

    def side(value: float) -> int:
        return max(MIN_SIDE, min(MAX_SIDE, multiple * max(1, round(value / multiple))))

    return side(math.sqrt(pixels * ratio)), side(math.sqrt(pixels / ratio))


def crop_box(width: int, height: int, aspect: str) -> tuple[int, int, int, int]:
    """The centred (left, top, right, bottom) box of a ``width``×``height`` picture with exactly ``aspect``'s
    ratio, to the nearest pixel: only the side that is too long is cut."""
    ratio = ratio_of(aspect)
    if width / height > ratio:
        keep = max(1, round(height * ratio))
        left = (width - keep) // 2
        return left, 0, left + keep, height
    keep = max(1, round(width / ratio))
    top = (height - keep) // 2
    return 0, top, width, top + keep


def check_request(request: GenerationRequest) -> None:
    """Reject bad input before any model work, each with a message naming the field and what is allowed."""
    if not request.prompt or not request.prompt.strip():
        raise InvalidRequest("prompt is empty: describe what the frame should show")
    if len(request.prompt) > MAX_PROMPT_CHARS or len(request.negative_prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequest(f"prompt and negative prompt are limited to {MAX_PROMPT_CHARS} characters")
    if request.seed is not None and not 0 <= request.seed <= MAX_SEED:
        raise InvalidRequest(f"seed {request.seed} is out of range: use 0 to {MAX_SEED}, or leave it out")
    if request.steps is not None and not 1 <= request.steps <= MAX_STEPS:
        raise InvalidRequest(f"steps {request.steps} is out of range: use 1 to {MAX_STEPS}")
    if request.guidance is not None and not 0.0 <= request.guidance <= MAX_GUIDANCE:
        raise InvalidRequest(f"guidance {request.guidance} is out of range: use 0 to {MAX_GUIDANCE:g}")
    for name in ("width", "height"):
        value = getattr(request, name)
        if value is not None and (value % 8 or not MIN_SIDE <= value <= MAX_SIDE):
            raise InvalidRequest(
                f"{name} {value} is not allowed: use a multiple of 8 from {MIN_SIDE} to {MAX_SIDE}"
            )
    if not 1 <= request.count <= MAX_COUNT:
        raise InvalidRequest(f"count {request.count} is out of range: use 1 to {MAX_COUNT} images per request")
    if request.scheduler not in SCHEDULERS:
        raise InvalidRequest(f"unknown scheduler {request.scheduler!r}: use one of {', '.join(SCHEDULERS)}")
    if request.mode not in MODES:
        raise InvalidRequest(f"unknown mode {request.mode!r}: use one of {', '.join(MODES)}")
    if request.aspect is not None:
        ratio_of(request.aspect)
    _check_input_images(request)
    _check_control(request)


def _check_control(request: GenerationRequest) -> None:
    if request.control_image is None:
        return
    if request.mode != "text-to-image":
        raise InvalidRequest("a ControlNet input steers text-to-image only: leave out the input image or the control")
    width, height = request.control_image.size
    if width % 8 or height % 8:
        raise InvalidRequest(f"control image is {width}x{height}: both sides must be multiples of 8")
    if (request.width, request.height) not in ((None, None), (width, height)):
        raise InvalidRequest(f"width/height must match the control image ({width}x{height}) or be left out")
    if not 0.0 <= request.control_scale <= 2.0:
        raise InvalidRequest(f"control scale {request.control_scale} is out of range: use 0 to 2")


def _check_input_images(request: GenerationRequest) -> None:
    if request.mode == "text-to-image":
        if request.init_image is not None or request.mask_image is not None:
            raise InvalidRequest("text-to-image takes no input image: use image-to-image or inpaint mode")
        return
    if request.init_image is None:
        raise InvalidRequest(f"{request.mode} needs an input image")
    width, height = request.init_image.size
    if width % 8 or height % 8:
        raise InvalidRequest(f"input image is {width}x{height}: both sides must be multiples of 8")
    if (request.width, request.height) not in ((None, None), (width, height)):
        raise InvalidRequest(f"width/height must match the input image ({width}x{height}) or be left out")
    if not 0.0 < request.strength <= 1.0:
        raise InvalidRequest(f"strength {request.strength} is out of range: use more than 0, up to 1")
    if request.mode == "inpaint":
        if request.mask_image is None:
            raise InvalidRequest("inpaint needs a mask (white = paint, black = keep)")
        if request.mask_image.size != (width, height):
            raise InvalidRequest(
                f"mask is {request.mask_image.size[0]}x{request.mask_image.size[1]} but the image is "
                f"{width}x{height}: they must be the same size"
            )


@dataclass(frozen=True)
class ModelRecord:
    """Which model drew a picture, as its generation record names it."""

    name: str
    source: str
    revision: str | None
    licence: str
    placeholder: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "revision": self.revision, "licence": self.licence,
                "placeholder": self.placeholder}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelRecord:
        return cls(data["name"], data["source"], data.get("revision"), data["licence"], bool(data["placeholder"]))


@dataclass(frozen=True)
class BatchRecord:
    """Where a picture sat in its pipeline call: ``index`` of ``size`` (and how many requests were merged)."""

    index: int
    size: int
    merged_requests: int | None = None
    merged_images: int | None = None

    def to_json(self) -> dict[str, Any]:
        return _without_none({"index": self.index, "size": self.size, "merged_requests": self.merged_requests,
                              "merged_images": self.merged_images})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BatchRecord:
        return cls(data["index"], data["size"], data.get("merged_requests"), data.get("merged_images"))


@dataclass(frozen=True)
class CropRecord:
    """How a drawn picture was cut to its aspect ratio: the ratio and the box kept, in the drawn picture's pixels
    (the record's ``width``×``height`` is the size drawn)."""

    aspect: str
    box: tuple[int, int, int, int]

    def to_json(self) -> dict[str, Any]:
        left, top, right, bottom = self.box
        return {"aspect": self.aspect, "box": list(self.box), "width": right - left, "height": bottom - top}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CropRecord:
        left, top, right, bottom = (int(value) for value in data["box"])
        return cls(data["aspect"], (left, top, right, bottom))


@dataclass(frozen=True)
class ControlRecord:
    """The ControlNet that steered a picture: its kind (depth, canny), which weights, and how strongly."""

    kind: str
    model: str
    scale: float

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "model": self.model, "scale": self.scale}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ControlRecord:
        return cls(data["kind"], data["model"], float(data["scale"]))


@dataclass(frozen=True)
class GenerationRecord:
    """How one picture was made: every choice that decides its pixels, written by the generator.

    A board composed from variants (``mode == "composition"``) has no prompt, steps or pipeline; those fields
    are ``None`` and left out of the JSON, as are ``strength`` (text-to-image) and ``blend_radius`` (not inpaint).
    """

    mode: str
    model: ModelRecord
    seed: int
    seeds: tuple[int, ...]
    prompt: str | None = None
    negative_prompt: str | None = None
    steps: int | None = None
    guidance: float | None = None
    width: int | None = None
    height: int | None = None
    pipeline: str | None = None
    scheduler: str | None = None  # the scheduler asked for ("default", "euler", ...)
    scheduler_class: str | None = None  # the class that ran
    device: str | None = None
    dtype: str | None = None
    libraries: dict[str, str] | None = None
    fast_paths: dict[str, Any] | None = None  # the speed-ups in force (generation/fast_paths.py)
    batch: BatchRecord | None = None
    strength: float | None = None
    blend_radius: int | None = None
    variants: int | None = None  # composition: how many variants the board shows
    crop: CropRecord | None = None  # cut to an aspect ratio after drawing
    control: ControlRecord | None = None  # a ControlNet steered the drawing

    def to_json(self) -> dict[str, Any]:
        scheduler = None if self.scheduler is None else {"requested": self.scheduler, "class": self.scheduler_class}
        return _without_none({
            "model": self.model.to_json(), "pipeline": self.pipeline, "scheduler": scheduler, "mode": self.mode,
            "prompt": self.prompt, "negative_prompt": self.negative_prompt, "steps": self.steps,
            "guidance": self.guidance, "width": self.width, "height": self.height, "seeds": list(self.seeds),
            "device": self.device, "dtype": self.dtype, "libraries": self.libraries, "strength": self.strength,
            "blend_radius": self.blend_radius, "fast_paths": self.fast_paths, "seed": self.seed,
            "batch": None if self.batch is None else self.batch.to_json(), "variants": self.variants,
            "crop": None if self.crop is None else self.crop.to_json(),
            "control": None if self.control is None else self.control.to_json(),
        })

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GenerationRecord:
        scheduler = data.get("scheduler") or {}
        batch = data.get("batch")
        return cls(
            mode=data["mode"], model=ModelRecord.from_json(data["model"]), seed=int(data["seed"]),
            seeds=tuple(int(seed) for seed in data["seeds"]), prompt=data.get("prompt"),
            negative_prompt=data.get("negative_prompt"), steps=data.get("steps"), guidance=data.get("guidance"),
            width=data.get("width"), height=data.get("height"), pipeline=data.get("pipeline"),
            scheduler=scheduler.get("requested"), scheduler_class=scheduler.get("class"),
            device=data.get("device"), dtype=data.get("dtype"), libraries=data.get("libraries"),
            fast_paths=data.get("fast_paths"), batch=None if batch is None else BatchRecord.from_json(batch),
            strength=data.get("strength"), blend_radius=data.get("blend_radius"), variants=data.get("variants"),
            crop=None if data.get("crop") is None else CropRecord.from_json(data["crop"]),
            control=None if data.get("control") is None else ControlRecord.from_json(data["control"]),
        )


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class WorkerRecord:
    """Which generation worker drew a picture (``generation/workers/``): named in every frame record."""

    id: str  # "local" for the in-process generator, else the pool's name for the Ray actor
    host: str
    device: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "host": self.host, "device": self.device}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkerRecord:
        return cls(str(data["id"]), str(data["host"]), str(data["device"]))


@dataclass(frozen=True)
class GeneratedImage:
    """One picture and the complete account of how it was made (``worker``: set by the pool that dispatched it)."""

    image: Image.Image
    seed: int
    generation: GenerationRecord
    worker: WorkerRecord | None = None

"""Which model makes the frames: presets, the built-in offline model, device choice, and loading.

Every model, the offline one included, is loaded through diffusers' ``from_pretrained`` so tests exercise the
same path as real checkpoints. Only this package imports diffusers and torch.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from previs.errors import InvalidRequest, ModelUnavailable
from previs.generation.limits import TINY_MODEL

log = logging.getLogger(__name__)

TINY_VERSION = 2
TINY_NOTICE = (
    "previs-tiny is the built-in offline model: its frames are placeholders (coloured noise), "
    "not concept art. Set PREVIS_MODEL to a real checkpoint (e.g. sd15) for real pictures."
)


@dataclass(frozen=True)
class ModelPreset:
    """A named, known-good checkpoint with the settings it was trained to be used with."""

    name: str
    source: str  # hub id, or TINY_MODEL
    pipeline: str  # diffusers pipeline class for text-to-image
    steps: int
    guidance: float
    width: int
    height: int
    licence: str
    notes: str = ""
    controlnet: str | None = None  # the depth ControlNet for this architecture (hub id, or TINY_MODEL)


PRESETS: dict[str, ModelPreset] = {
    preset.name: preset
    for preset in (
        ModelPreset(TINY_MODEL, TINY_MODEL, "StableDiffusionPipeline", 4, 5.0, 256, 256,
                    "Apache-2.0 (made by previs from code)", TINY_NOTICE, controlnet=TINY_MODEL),
        ModelPreset("sd15", "stable-diffusion-v1-5/stable-diffusion-v1-5", "StableDiffusionPipeline",
                    30, 7.5, 512, 512, "CreativeML OpenRAIL-M",
                    controlnet="lllyasviel/control_v11f1p_sd15_depth"),
        ModelPreset("sdxl", "stabilityai/stable-diffusion-xl-base-1.0", "StableDiffusionXLPipeline",
                    30, 7.0, 1024, 1024, "CreativeML OpenRAIL++-M",
                    controlnet="diffusers/controlnet-depth-sdxl-1.0"),
        ModelPreset("sdxl-turbo", "stabilityai/sdxl-turbo", "StableDiffusionXLPipeline", 4, 0.0, 512, 512,
                    "Stability AI Community License (non-commercial research)",
                    "distilled: 1-4 steps, guidance 0"),
        ModelPreset("flux-schnell", "black-forest-labs/FLUX.1-schnell", "FluxPipeline", 4, 0.0, 1024, 1024,
                    "Apache-2.0", "distilled: 1-4 steps, guidance 0; ~24 GB of VRAM in bf16"),
    )
}

# Defaults for a hub id or folder that is not a preset: SD 1.5-like settings, overridable per request.
GENERIC_DEFAULTS = ModelPreset("custom", "", "auto", 30, 7.5, 512, 512, "see the model card")


@dataclass(frozen=True)
class ModelSpec:
    """What the user asked for, resolved: a preset, a hub id or a local folder."""

    name: str  # as shown to users and recorded
    source: str  # hub id, absolute folder path, or TINY_MODEL
    preset: ModelPreset
    is_local_folder: bool

    @property
    def is_tiny(self) -> bool:
        return self.source == TINY_MODEL


def resolve_model(name: str) -> ModelSpec:
    """Turn a preset name, hub id (``owner/name``) or folder path into a ModelSpec, or say what is wrong."""
    name = name.strip()
    if not name:
        raise InvalidRequest("model name is empty: use a preset (see `previs models`), a hub id or a folder")
    if name in PRESETS:
        preset = PRESETS[name]
        return ModelSpec(name, preset.source, preset, is_local_folder=False)
    by_source = {p.source: p for p in PRESETS.values()}
    if name in by_source:
        return ModelSpec(by_source[name].name, name, by_source[name], is_local_folder=False)
    path = Path(name).expanduser()
    if path.is_dir():
        return ModelSpec(name, str(path.resolve()), GENERIC_DEFAULTS, is_local_folder=True)
    if name.count("/") == 1 and not name.startswith(("/", ".", "~")):
        return ModelSpec(name, name, GENERIC_DEFAULTS, is_local_folder=False)
    raise InvalidRequest(
        f"model {name!r} is neither a preset ({', '.join(PRESETS)}), a hub id like 'owner/name', "
        "nor an existing folder"
    )


def is_available_offline(spec: ModelSpec) -> bool:
    """True when the model can be loaded without the network (built in, a folder, or in the hub cache)."""
    if spec.is_tiny or spec.is_local_folder:
        return True
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(spec.source, "model_index.json")
    return isinstance(cached, str)


@dataclass(frozen=True)
class Placement:
    """Where and in which precision the model runs."""

    device: str
    dtype: str  # "float32" | "float16" | "bfloat16"


_DTYPES = ("float32", "float16", "bfloat16")


def choose_placement(device: str | None = None, dtype: str | None = None) -> Placement:
    """CUDA in bf16 (fp16 on older cards), Apple MPS in fp16, else CPU in fp32; either can be overridden."""
    import torch

    if device in (None, "", "auto"):
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidRequest(f"device {device!r} requested but torch sees no CUDA GPU: use PREVIS_DEVICE=cpu")
    if device not in ("cpu", "mps") and not device.startswith("cuda"):
        raise InvalidRequest(f"unknown device {device!r}: use cpu, cuda, cuda:N or mps")
    if dtype in (None, "", "auto"):
        if device.startswith("cuda"):
            dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        elif device == "mps":
            dtype = "float16"
        else:
            dtype = "float32"
    if dtype not in _DTYPES:
        raise InvalidRequest(f"unknown dtype {dtype!r}: use one of {', '.join(_DTYPES)}")
    return Placement(device, dtype)


def tiny_model_dir(models_dir: Path) -> Path:
    """Folder of the offline model under the data directory; versioned so a changed recipe never reuses it."""
    return models_dir / f"{TINY_MODEL}-v{TINY_VERSION}"


def ensure_tiny_model(models_dir: Path) -> Path:
    """Build and save the offline model once; later calls find it on disk."""
    folder = tiny_model_dir(models_dir)
    if (folder / "model_index.json").is_file():
        return folder
    from previs.generation.tiny import build_tiny_pipeline

    staging = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    build_tiny_pipeline().save_pretrained(staging)
    try:
        staging.rename(folder)
    except OSError:  # another process saved it first: theirs is identical
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
    return folder


def controlnet_available(spec: ModelSpec) -> bool:
    """Whether the model's depth ControlNet can be loaded without the network (built in, or in the hub cache)."""
    source = spec.preset.controlnet
    if source is None or source == TINY_MODEL:
        return source is not None
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(source, "config.json"), str)


def ensure_tiny_controlnet(models_dir: Path) -> Path:
    """Build and save the offline model's ControlNet once, beside the model it was made from."""
    folder = models_dir / f"{TINY_MODEL}-controlnet-v{TINY_VERSION}"
    if (folder / "config.json").is_file():
        return folder
    from diffusers import UNet2DConditionModel

    from previs.generation.tiny import build_tiny_controlnet

    unet = UNet2DConditionModel.from_pretrained(  # type: ignore[no-untyped-call]  # unannotated in diffusers
        ensure_tiny_model(models_dir) / "unet")
    staging = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    build_tiny_controlnet(unet).save_pretrained(staging)
    try:
        staging.rename(folder)
    except OSError:  # another process saved it first: theirs is identical
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
    return folder


def load_controlnet(spec: ModelSpec, placement: Placement, models_dir: Path) -> tuple[Any, str]:
    """The model's depth ControlNet and what the record names it by; ModelUnavailable with a fix when it cannot."""
    import torch
    from diffusers import ControlNetModel

    source = spec.preset.controlnet
    if source is None:
        raise ModelUnavailable(f"model {spec.name!r} has no ControlNet preset: blockouts steer it by image-to-image")
    location = str(ensure_tiny_controlnet(models_dir)) if source == TINY_MODEL else source
    try:
        controlnet = ControlNetModel.from_pretrained(  # type: ignore[no-untyped-call]  # unannotated in diffusers
            location, dtype=getattr(torch, placement.dtype))
    except Exception as error:  # diffusers/hub raise many types; all mean "cannot load this ControlNet"
        raise ModelUnavailable(
            f"the ControlNet {source} for {spec.name!r} cannot be loaded ({error.__class__.__name__}). To fix: on a "
            f"machine with internet run `hf download {source}`") from error
    name = f"{TINY_MODEL}-controlnet" if source == TINY_MODEL else source
    return controlnet.to(placement.device), name


def weights_fingerprint(folder: Path, *, content_limit: int = 200_000_000) -> str:
    """Identify the exact weights of a local model: content hash when small, else a file listing hash."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    by_content = sum(p.stat().st_size for p in files) <= content_limit
    digest = hashlib.sha256(b"content:" if by_content else b"listing:")
    for path in files:
        digest.update(str(path.relative_to(folder)).encode())
        if by_content:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        else:
            stat = path.stat()
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return ("sha256:" if by_content else "listing-sha256:") + digest.hexdigest()


@dataclass
class LoadedModel:
    """A text-to-image pipeline in memory plus what the frame record needs to name it."""

    spec: ModelSpec
    pipeline: Any  # a diffusers DiffusionPipeline
    placement: Placement
    revision: str

    @property
    def pipeline_class(self) -> str:
        return type(self.pipeline).__name__


def load_model(spec: ModelSpec, placement: Placement, models_dir: Path) -> LoadedModel:
    """Load a model through ``from_pretrained``; any failure becomes a ModelUnavailable that says how to fix it."""
    _quiet_libraries()
    import torch
    from diffusers import AutoPipelineForText2Image

    location = str(ensure_tiny_model(models_dir)) if spec.is_tiny else spec.source
    try:
        # diffusers leaves from_pretrained unannotated
        pipeline = AutoPipelineForText2Image.from_pretrained(  # type: ignore[no-untyped-call]
            location, dtype=getattr(torch, placement.dtype)
        )
        pipeline = pipeline.to(placement.device)
    except Exception as error:  # diffusers/hub raise many types; all mean "cannot load this model"
        raise ModelUnavailable(_unavailable_message(spec, error)) from error
    pipeline.set_progress_bar_config(disable=True)
    return LoadedModel(spec, pipeline, placement, _revision(spec, Path(location)))


def _quiet_libraries() -> None:
    """Keep library chatter (progress bars, deprecation notes) out of CLI output and logs; errors still show."""
    for variable in ("TRANSFORMERS_VERBOSITY", "DIFFUSERS_VERBOSITY"):
        os.environ.setdefault(variable, "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    warnings.filterwarnings("ignore", message=".*local_dir_use_symlinks.*")
    import diffusers
    import transformers

    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # unannotated in transformers


def _revision(spec: ModelSpec, location: Path) -> str:
    if spec.is_tiny or spec.is_local_folder:
        return weights_fingerprint(location)
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(spec.source, "model_index.json")
    # Cache layout: .../snapshots/<commit>/model_index.json
    return f"hub-commit:{Path(cached).parent.name}" if isinstance(cached, str) else "hub:unknown"


def _unavailable_message(spec: ModelSpec, error: Exception) -> str:
    reason = str(error).strip().splitlines()[0].rstrip(".") if str(error).strip() else type(error).__name__
    if not spec.is_local_folder and not is_available_offline(spec):
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
        reason = "it is not in the local Hugging Face cache and " + (
            "HF_HUB_OFFLINE is set" if offline else f"downloading it failed ({reason})"
        )
    if spec.is_local_folder:
        fix = "check that the folder holds a diffusers pipeline (model_index.json and its component folders)"
    else:
        fix = (
            f"on a machine with internet run `hf download {spec.source}` (accept its licence on the hub first), "
            f"or set PREVIS_MODEL={TINY_MODEL} to use the built-in offline placeholder model"
        )
    return f"model {spec.name!r} ({spec.source}) cannot be loaded: {reason}. To fix: {fix}."

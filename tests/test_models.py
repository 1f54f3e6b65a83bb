"""Model presets, resolution, placement, and the offline model's build/save/load round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from previs.errors import InvalidRequest, ModelUnavailable
from previs.generation.limits import TINY_MODEL
from previs.generation.models import (
    PRESETS,
    choose_placement,
    ensure_tiny_model,
    is_available_offline,
    load_model,
    resolve_model,
    weights_fingerprint,
)
from previs.generation.tiny import build_tiny_pipeline, build_tokenizer


def test_presets_name_real_checkpoints_with_settings_and_licence() -> None:
    sources = {preset.source for preset in PRESETS.values()}
    assert {
        "stable-diffusion-v1-5/stable-diffusion-v1-5",
        "stabilityai/stable-diffusion-xl-base-1.0",
        "stabilityai/sdxl-turbo",
        "black-forest-labs/FLUX.1-schnell",
    } <= sources
    for preset in PRESETS.values():
        assert preset.steps >= 1 and preset.width % 8 == 0 and preset.height % 8 == 0 and preset.licence


def test_resolve_model_accepts_presets_hub_ids_and_folders(tmp_path: Path) -> None:
    assert resolve_model("sdxl").source == "stabilityai/stable-diffusion-xl-base-1.0"
    assert resolve_model("stabilityai/sdxl-turbo").name == "sdxl-turbo"
    assert resolve_model("someone/their-model").source == "someone/their-model"
    folder = resolve_model(str(tmp_path))
    assert folder.is_local_folder and folder.source == str(tmp_path.resolve())
    with pytest.raises(InvalidRequest, match="neither a preset"):
        resolve_model("not a model")
    with pytest.raises(InvalidRequest, match="empty"):
        resolve_model("  ")


def test_uncached_hub_model_is_unavailable_with_a_fix(tmp_path: Path) -> None:
    spec = resolve_model("sdxl")
    assert not is_available_offline(spec)
    with pytest.raises(ModelUnavailable) as caught:
        load_model(spec, choose_placement("cpu"), tmp_path)
    message = str(caught.value)
    assert "'sdxl'" in message and "not in the local Hugging Face cache" in message
    assert "hf download stabilityai/stable-diffusion-xl-base-1.0" in message and "PREVIS_MODEL=previs-tiny" in message


def test_folder_without_a_pipeline_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match=r"model_index\.json"):
        load_model(resolve_model(str(tmp_path)), choose_placement("cpu"), tmp_path)


def test_placement_defaults_and_overrides() -> None:
    assert choose_placement("cpu") == choose_placement("cpu", "auto")
    assert choose_placement("cpu").dtype == "float32"
    assert choose_placement("cpu", "bfloat16").dtype == "bfloat16"
    if not torch.cuda.is_available():
        assert choose_placement().device in ("cpu", "mps")
        with pytest.raises(InvalidRequest, match="no CUDA GPU"):
            choose_placement("cuda")
    with pytest.raises(InvalidRequest, match="unknown dtype"):
        choose_placement("cpu", "float8")
    with pytest.raises(InvalidRequest, match="unknown device"):
        choose_placement("tpu")


def test_tiny_model_is_built_identically_every_time(tmp_path: Path) -> None:
    first, second = build_tiny_pipeline(), build_tiny_pipeline()
    for name in ("unet", "vae", "text_encoder"):
        a, b = getattr(first, name).state_dict(), getattr(second, name).state_dict()
        assert all(torch.equal(a[key], b[key]) for key in a)
    # building must not disturb the caller's random stream
    torch.manual_seed(3)
    expected = torch.rand(1)
    torch.manual_seed(3)
    build_tiny_pipeline()
    assert torch.equal(torch.rand(1), expected)


def test_tiny_model_round_trips_through_from_pretrained(models_dir: Path, tiny_generator) -> None:
    folder = ensure_tiny_model(models_dir)
    assert (folder / "model_index.json").is_file() and (folder / "unet").is_dir()
    loaded = tiny_generator.load()
    assert loaded.pipeline_class == "StableDiffusionPipeline"
    assert loaded.pipeline.tokenizer("rooftop at night").input_ids == build_tokenizer()("rooftop at night").input_ids
    built = build_tiny_pipeline().unet.state_dict()
    reloaded = loaded.pipeline.unet.state_dict()
    assert all(torch.equal(built[key], reloaded[key]) for key in built)
    assert loaded.revision == weights_fingerprint(folder)
    assert ensure_tiny_model(models_dir) == folder  # found on disk, not rebuilt


def test_tiny_tokenizer_counts_like_clip() -> None:
    tokenizer = build_tokenizer()
    ids = tokenizer("Rooftop at NIGHT, rain").input_ids
    # begin + rooftop + at + night + "," + rain + end: whole vocabulary words are single tokens
    assert len(ids) == 7
    assert tokenizer.model_max_length == 77
    assert len(tokenizer("zyxwv").input_ids) == 7  # unknown words split into pieces
    assert tokenizer("Café").input_ids == tokenizer("cafe").input_ids


def test_tiny_is_a_preset_and_always_available() -> None:
    assert is_available_offline(resolve_model(TINY_MODEL))

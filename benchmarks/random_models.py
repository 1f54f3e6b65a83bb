"""Real architectures with random weights, built from their configs in code (nothing can be downloaded).

SD 1.5 and SDXL are written out here as their published configs (UNet, VAE, CLIP text encoders) so they cost
what the real checkpoints cost per step. The tokenizer is previs-tiny's, built locally: prompt tokens only index
embeddings, so its small vocabulary changes nothing about speed. A model is built once, saved with
``save_pretrained`` into the benchmark cache and loaded by previs through its ordinary local-folder path.
``toy`` shrinks every width and depth so the same code runs in a test in seconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

RECIPE = 1  # bump when a config below changes, so a cached build is not reused
MODELS = ("tiny", "sd15", "sdxl")
_SCHEDULER = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "steps_offset": 1}


def model_source(name: str, cache: Path, *, toy: bool) -> str:
    """What to give previs as its model: ``previs-tiny`` or the folder of a saved config-built pipeline."""
    if name == "tiny":
        return "previs-tiny"
    if name not in MODELS:
        raise SystemExit(f"unknown model {name!r}: use one of {', '.join(MODELS)}")
    folder = cache / f"{name}-random-r{RECIPE}{'-toy' if toy else ''}"
    if not (folder / "model_index.json").is_file():
        staging = folder.with_name(folder.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        (build_sd15 if name == "sd15" else build_sdxl)(toy=toy).save_pretrained(staging)
        staging.rename(folder)
    return str(folder)


def model_folder(name: str, cache: Path, *, toy: bool) -> Path:
    """The folder plain diffusers loads (previs-tiny's saved copy, or a config-built model)."""
    source = model_source(name, cache, toy=toy)
    if source != "previs-tiny":
        return Path(source)
    from previs.generation.models import ensure_tiny_model

    return ensure_tiny_model(models_dir(cache))


def models_dir(cache: Path) -> Path:
    """Where previs saves its built-in model for the benchmarks (shared by every run)."""
    return cache / "previs-models"


def build_sd15(*, toy: bool = False) -> Any:
    """Stable Diffusion 1.5: UNet 860M, VAE 84M, CLIP ViT-L/14 text encoder 123M parameters (toy: a few M)."""
    import torch
    from diffusers import PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    tokenizer = _tokenizer()
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=1 if toy else 2,
        block_out_channels=(32, 32, 64, 64) if toy else (320, 640, 1280, 1280),
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        cross_attention_dim=32 if toy else 768, attention_head_dim=8, norm_num_groups=32,
    )
    return StableDiffusionPipeline(
        unet=unet, vae=_vae(toy, sample_size=512, scaling_factor=0.18215),
        text_encoder=_clip(tokenizer, toy, hidden=768, layers=12, heads=12, projection=False),
        tokenizer=tokenizer, scheduler=PNDMScheduler(**_SCHEDULER, skip_prk_steps=True),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )


def build_sdxl(*, toy: bool = False) -> Any:
    """Stable Diffusion XL base: UNet 2.6B, two CLIP text encoders (123M and 695M), VAE 84M (toy: a few M)."""
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    tokenizer = _tokenizer()
    text_encoder = _clip(tokenizer, toy, hidden=768, layers=12, heads=12, projection=False)
    text_encoder_2 = _clip(tokenizer, toy, hidden=1280, layers=32, heads=20, projection=True)
    time_embedding = 8 if toy else 256
    unet = UNet2DConditionModel(
        sample_size=128, in_channels=4, out_channels=4, layers_per_block=1 if toy else 2,
        block_out_channels=(32, 32, 64) if toy else (320, 640, 1280),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 1, 1) if toy else (1, 2, 10),
        attention_head_dim=(2, 2, 4) if toy else (5, 10, 20), use_linear_projection=True,
        cross_attention_dim=text_encoder.config.hidden_size + text_encoder_2.config.hidden_size,
        addition_embed_type="text_time", addition_time_embed_dim=time_embedding,
        projection_class_embeddings_input_dim=6 * time_embedding + text_encoder_2.config.projection_dim,
        norm_num_groups=32,
    )
    return StableDiffusionXLPipeline(
        unet=unet, vae=_vae(toy, sample_size=1024, scaling_factor=0.13025), text_encoder=text_encoder,
        text_encoder_2=text_encoder_2, tokenizer=tokenizer, tokenizer_2=_tokenizer(),
        scheduler=EulerDiscreteScheduler(**_SCHEDULER), force_zeros_for_empty_prompt=True,
    )


def _tokenizer() -> Any:
    from previs.generation.tiny import build_tokenizer

    return build_tokenizer()


def _vae(toy: bool, *, sample_size: int, scaling_factor: float) -> Any:
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1 if toy else 2,
        block_out_channels=(32, 32, 32, 32) if toy else (128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        norm_num_groups=32, sample_size=sample_size, scaling_factor=scaling_factor,
    )


def _clip(tokenizer: Any, toy: bool, *, hidden: int, layers: int, heads: int, projection: bool) -> Any:
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    width = 32 if toy else hidden
    config = CLIPTextConfig(
        vocab_size=49408, hidden_size=width, intermediate_size=4 * width, num_attention_heads=4 if toy else heads,
        num_hidden_layers=1 if toy else layers, max_position_embeddings=77, projection_dim=width,
        hidden_act="gelu" if projection else "quick_gelu", bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    return (CLIPTextModelWithProjection if projection else CLIPTextModel)(config)

"""Speed-ups that are settings: attention kernel, memory format, compilation, tiled VAE decoding, batching.

Each can change the float results, so each is named in the frame record. The defaults make the pixels plain
diffusers makes (and earlier frames were made with): SDPA attention, as diffusers picks it, and nothing else
except tiled decoding of frames too large to decode whole (above ``vae_tiling_above`` megapixels).
"""

from __future__ import annotations

from typing import Any

from previs.settings import FastPaths


def apply_at_load(pipeline: Any, fast_paths: FastPaths) -> None:
    """The once-per-model speed-ups, applied to the loaded pipeline (all views share its modules)."""
    import torch

    if fast_paths.attention == "classic":
        _use_classic_attention(pipeline)
    convolutional = [module for module in (getattr(pipeline, "unet", None), getattr(pipeline, "vae", None))
                     if module is not None]
    if fast_paths.channels_last:
        for module in convolutional:
            module.to(memory_format=torch.channels_last)
    if fast_paths.compile:
        denoiser = getattr(pipeline, "unet", None) or pipeline.transformer
        denoiser.compile(dynamic=True)  # symbolic sizes: one graph serves every resolution and batch size


def apply_per_call(pipeline: Any, plan: dict[str, bool]) -> None:
    """Switch the shared VAE's tiling and slicing for this call (callers hold the generator's lock)."""
    vae = getattr(pipeline, "vae", None)
    if vae is None or not hasattr(vae, "enable_tiling"):
        return
    if plan["vae_tiling"]:
        vae.enable_tiling()
    else:
        vae.disable_tiling()
    if plan["vae_slicing"]:
        vae.enable_slicing()
    else:
        vae.disable_slicing()


def _use_classic_attention(pipeline: Any) -> None:
    """Replace SDPA processors with diffusers' classic ones; other processors (Flux, IP-adapters) stay."""
    from diffusers.models.attention_processor import AttnProcessor, AttnProcessor2_0

    for module in (getattr(pipeline, "unet", None), getattr(pipeline, "vae", None)):
        if module is not None and hasattr(module, "attn_processors"):
            module.set_attn_processor({
                name: AttnProcessor() if isinstance(processor, AttnProcessor2_0) else processor
                for name, processor in module.attn_processors.items()
            })


def speedups_record(pipeline: Any) -> dict[str, Any]:
    """What the frame record says about them, read off the modules that ran (not the settings asked for)."""
    import torch

    unet, vae = getattr(pipeline, "unet", None), getattr(pipeline, "vae", None)
    denoiser = unet or getattr(pipeline, "transformer", None)
    processors = getattr(denoiser, "attn_processors", None) or {}
    weight = None if unet is None else unet.conv_in.weight  # 3x3 over 4 channels: the layouts differ
    return {
        "attention": sorted({type(processor).__name__ for processor in processors.values()}),
        "channels_last": bool(weight is not None and weight.is_contiguous(memory_format=torch.channels_last)
                              and not weight.is_contiguous()),
        "compiled": getattr(denoiser, "_compiled_call_impl", None) is not None,
        "vae_tiling": bool(getattr(vae, "use_tiling", False)),
        "vae_slicing": bool(getattr(vae, "use_slicing", False)),
    }

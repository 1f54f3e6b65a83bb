"""Fast-path settings do what they claim, merged batches keep each request's frames, defaults keep pixels."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from previs.app.requests import FrameRequest
from previs.app.studio import Studio, open_studio
from previs.errors import InvalidRequest
from previs.generation.generator import Generator
from previs.generation.limits import TINY_MODEL, GeneratedImage, GenerationRequest
from previs.settings import FastPaths, Settings

PROMPT = "abandoned observatory, dusk"


def tiny(models_dir: Path, **options: object) -> Generator:
    generator = Generator(TINY_MODEL, models_dir, device="cpu", fast_paths=FastPaths(**options))
    generator.load()
    return generator


def pixels(images: list[GeneratedImage]) -> list[bytes]:
    return [made.image.tobytes() for made in images]


def test_settings_read_the_fast_paths_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"PREVIS_HOME": str(tmp_path), "PREVIS_BATCHING": "on", "PREVIS_ATTENTION": "classic",
                                  "PREVIS_CHANNELS_LAST": "1", "PREVIS_COMPILE": "yes",
                                  "PREVIS_VAE_TILING_ABOVE": "off"})
    assert settings.fast_paths == FastPaths(batching=True, attention="classic", channels_last=True, compile=True,
                                            vae_tiling_above=None)
    assert Settings.from_env({"PREVIS_HOME": str(tmp_path)}).fast_paths == FastPaths()


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("PREVIS_BATCHING", "maybe", "PREVIS_BATCHING='maybe'"),
    ("PREVIS_ATTENTION", "flash", "unknown attention 'flash'"),
    ("PREVIS_VAE_TILING_ABOVE", "big", "not a number of megapixels"),
    ("PREVIS_VAE_TILING_ABOVE", "-1", "positive number"),
])
def test_bad_fast_path_settings_are_refused(tmp_path: Path, variable: str, value: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        Settings.from_env({"PREVIS_HOME": str(tmp_path), variable: value})


def test_open_studio_hands_the_fast_paths_to_the_generator(tmp_path: Path, models_dir: Path) -> None:
    fast = FastPaths(batching=True, vae_tiling_above=1.0)
    studio = open_studio(Settings(home=tmp_path, device="cpu", models_path=models_dir, fast_paths=fast))
    try:
        assert studio.models.generator.fast_paths == fast
    finally:
        studio.close()


def test_default_record_names_sdpa_attention_and_no_other_speedup(tiny_generator: Generator) -> None:
    record = tiny_generator.generate(GenerationRequest(PROMPT, seed=1, width=64, height=64))[0].generation.to_json()
    assert record["fast_paths"] == {"attention": ["AttnProcessor2_0"], "channels_last": False, "compiled": False,
                                    "vae_tiling": False, "vae_slicing": False}


def test_classic_attention_replaces_the_sdpa_processors_in_every_mode(models_dir: Path) -> None:
    generator = tiny(models_dir, attention="classic")
    base = generator.load().pipeline
    for module in (base.unet, base.vae):
        assert {type(p).__name__ for p in module.attn_processors.values()} == {"AttnProcessor"}
    made = generator.generate(GenerationRequest(PROMPT, seed=1, width=64, height=64, mode="image-to-image",
                                                init_image=_picture()))[0]
    assert made.generation.to_json()["fast_paths"]["attention"] == ["AttnProcessor"]


def test_channels_last_puts_unet_and_vae_convolutions_in_nhwc(models_dir: Path, tiny_generator: Generator) -> None:
    def channels_last(weight: object) -> bool:  # NHWC: the channel stride is 1
        return weight.stride()[1] == 1 and weight.shape[1] > 1  # type: ignore[attr-defined]

    pipeline = tiny(models_dir, channels_last=True).load().pipeline
    assert channels_last(pipeline.unet.conv_in.weight) and channels_last(pipeline.vae.decoder.conv_out.weight)
    default = tiny_generator.load().pipeline
    assert not channels_last(default.unet.conv_in.weight)


def test_compile_wraps_the_denoiser_without_compiling_at_load(models_dir: Path) -> None:
    pipeline = tiny(models_dir, compile=True).load().pipeline
    assert pipeline.unet._compiled_call_impl is not None  # compiled lazily, at the first call


def test_vae_tiles_and_slices_only_above_the_threshold(models_dir: Path) -> None:
    generator = tiny(models_dir, vae_tiling_above=0.01)  # 10,000 pixels: 64x64 is below, 128x128 above
    vae = generator.load().pipeline.vae
    large = generator.generate(GenerationRequest(PROMPT, seed=1, steps=1, width=128, height=128))[0]
    assert vae.use_tiling and vae.use_slicing and large.generation.to_json()["fast_paths"]["vae_tiling"] is True
    small = generator.generate(GenerationRequest(PROMPT, seed=1, steps=1, width=64, height=64))[0]
    assert not vae.use_tiling and not vae.use_slicing
    assert small.generation.to_json()["fast_paths"]["vae_tiling"] is False
    batch = generator.generate(GenerationRequest(PROMPT, seed=1, steps=1, width=64, height=64, count=3))[0]
    assert batch.generation.to_json()["fast_paths"]["vae_slicing"] is True and not vae.use_tiling  # 3 x 4096 > 10,000


def run_together(generator: Generator, requests: list[GenerationRequest]) -> list[list[GeneratedImage]]:
    """Line the requests up behind a busy model, then let it go: what a burst of users looks like."""
    results: list[list[GeneratedImage]] = [[] for _ in requests]
    threads = [threading.Thread(target=_store(results, index, generator.generate, request))
               for index, request in enumerate(requests)]
    with generator._lock:  # the model is busy
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while generator._queue.waiting < len(requests) and time.monotonic() < deadline:
            time.sleep(0.01)
    for thread in threads:
        thread.join()
    return results


def _store(results: list, index: int, function: Callable, request: GenerationRequest) -> Callable[[], None]:
    def target() -> None:
        results[index] = function(request)
    return target


def test_merged_requests_each_get_their_own_frames_and_seeds(models_dir: Path) -> None:
    generator = tiny(models_dir, batching=True)
    first = GenerationRequest(PROMPT, seed=11, steps=2, width=64, height=64)
    second = GenerationRequest("flooded subway station, night", negative_prompt="text", seed=40, count=2, steps=2,
                               width=64, height=64)
    together = run_together(generator, [first, second])
    assert [made.seed for made in together[0]] == [11] and [made.seed for made in together[1]] == [40, 41]
    assert together[1][1].generation.to_json()["prompt"] == second.prompt
    assert together[0][0].generation.to_json()["batch"] == {"index": 0, "size": 1, "merged_requests": 2,
                                                            "merged_images": 3}
    assert together[1][1].generation.to_json()["batch"]["index"] == 1
    alone = [generator.generate(first), generator.generate(second)]  # the model is idle now: nothing merges
    assert alone[0][0].generation.to_json()["batch"] == {"index": 0, "size": 1}
    for merged_images, alone_images in zip(together, alone, strict=True):
        for merged, single in zip(merged_images, alone_images, strict=True):
            # The same picture (float results may differ by the batch they ran in), not another request's.
            assert np.abs(np.asarray(merged.image, int) - np.asarray(single.image, int)).mean() < 1.0
    other = np.asarray(together[1][0].image, int)
    assert np.abs(np.asarray(together[0][0].image, int) - other).mean() > 10


def test_requests_with_other_settings_are_not_merged(models_dir: Path) -> None:
    generator = tiny(models_dir, batching=True)
    together = run_together(generator, [GenerationRequest(PROMPT, seed=1, steps=2, width=64, height=64),
                                        GenerationRequest(PROMPT, seed=1, steps=1, width=64, height=64)])
    assert all("merged_requests" not in made[0].generation.to_json()["batch"] for made in together)


def test_default_settings_give_equal_concurrent_requests_identical_pixels(studio: Studio) -> None:
    request = FrameRequest(prompt=PROMPT, seed=9, width=64, height=64, count=2)
    frames: list = [None, None]
    threads = [
        threading.Thread(
            target=_store(frames, index, partial(studio.frames.generate, actor=studio.local_actor), request)
        )
        for index in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [frame.sha256 for frame in frames[0]] == [frame.sha256 for frame in frames[1]]
    assert "merged_requests" not in frames[0][0].record.to_json()["generation"]["batch"]


def _picture() -> object:
    from PIL import Image

    return Image.new("RGB", (64, 64), "teal")

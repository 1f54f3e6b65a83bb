"""The generation core: validation before work, seeds, determinism, modes sharing weights."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from previs.errors import InvalidRequest
from previs.generation.generator import Generator, keep_outside_mask
from previs.generation.limits import MAX_SEED, GenerationRequest

PROMPT = "abandoned observatory, dusk"


def pixels(image: Image.Image) -> bytes:
    return image.tobytes()


def test_same_request_gives_identical_pixels(tiny_generator: Generator) -> None:
    request = GenerationRequest(PROMPT, seed=7, count=2)
    first, second = tiny_generator.generate(request), tiny_generator.generate(request)
    assert [pixels(a.image) for a in first] == [pixels(b.image) for b in second]
    assert pixels(first[0].image) != pixels(first[1].image)


def test_seed_and_prompt_change_the_picture(tiny_generator: Generator) -> None:
    base = tiny_generator.generate(GenerationRequest(PROMPT, seed=7))[0]
    other_seed = tiny_generator.generate(GenerationRequest(PROMPT, seed=8))[0]
    other_prompt = tiny_generator.generate(GenerationRequest("flooded subway station, night", seed=7))[0]
    assert pixels(base.image) != pixels(other_seed.image)
    assert pixels(base.image) != pixels(other_prompt.image)


def test_missing_seed_is_drawn_and_recorded_so_it_reproduces(tiny_generator: Generator) -> None:
    drawn = tiny_generator.generate(GenerationRequest(PROMPT, count=2))
    seed = drawn[0].seed
    assert 0 <= seed <= MAX_SEED
    assert drawn[1].seed == (seed + 1) % (MAX_SEED + 1)
    assert drawn[0].generation.to_json()["seeds"] == [drawn[0].seed, drawn[1].seed]
    again = tiny_generator.generate(GenerationRequest(PROMPT, seed=seed, count=2))
    assert [pixels(a.image) for a in drawn] == [pixels(b.image) for b in again]


def test_record_names_every_choice(tiny_generator: Generator) -> None:
    made = tiny_generator.generate(GenerationRequest(PROMPT, negative_prompt="text", seed=3, width=128,
                                                     height=64, steps=2, guidance=4.0, scheduler="euler"))[0]
    record = made.generation.to_json()
    assert made.image.size == (128, 64)
    assert record["model"]["name"] == "previs-tiny" and record["model"]["revision"].startswith("sha256:")
    assert record["model"]["placeholder"] is True
    assert record["scheduler"] == {"requested": "euler", "class": "EulerDiscreteScheduler"}
    assert (record["prompt"], record["negative_prompt"], record["seed"]) == (PROMPT, "text", 3)
    assert (record["steps"], record["guidance"], record["width"], record["height"]) == (2, 4.0, 128, 64)
    assert record["device"] == "cpu" and record["dtype"] == "float32"
    assert record["batch"] == {"index": 0, "size": 1}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prompt": "   "}, "prompt is empty"),
        ({"prompt": "x" * 2001}, "limited to 2000"),
        ({"width": 100}, "multiple of 8"),
        ({"height": 4096}, "multiple of 8 from 64 to 2048"),
        ({"steps": 0}, "steps 0 is out of range"),
        ({"guidance": -1.0}, "guidance -1.0 is out of range"),
        ({"count": 9}, "count 9 is out of range"),
        ({"seed": -1}, "seed -1 is out of range"),
        ({"seed": MAX_SEED + 1}, "out of range"),
        ({"scheduler": "magic"}, "unknown scheduler 'magic'"),
        ({"mode": "video"}, "unknown mode"),
        ({"mode": "inpaint"}, "needs an input image"),
    ],
)
def test_bad_input_is_refused_before_any_model_work(changes: dict, message: str) -> None:
    # A generator whose model was never loaded: validation must not need it.
    from pathlib import Path

    generator = Generator("previs-tiny", Path("/nonexistent-models-dir"))
    fields = {"prompt": PROMPT, **changes}
    with pytest.raises(InvalidRequest, match=message):
        generator.generate(GenerationRequest(**fields))
    assert not generator.loaded


def test_image_modes_share_the_loaded_weights(tiny_generator: Generator) -> None:
    base = tiny_generator.generate(GenerationRequest(PROMPT, seed=1, width=64, height=64))[0].image
    varied = tiny_generator.generate(GenerationRequest(PROMPT, seed=1, mode="image-to-image", init_image=base,
                                                       strength=0.5))[0]
    assert (
        varied.image.size == base.size and varied.generation.to_json()["pipeline"] == "StableDiffusionImg2ImgPipeline"
    )
    text_view = tiny_generator.load().pipeline
    image_view = tiny_generator._view("image-to-image", "default")
    paint_view = tiny_generator._view("inpaint", "default")
    assert image_view.unet is text_view.unet and paint_view.unet is text_view.unet
    assert paint_view.vae is text_view.vae and paint_view.text_encoder is text_view.text_encoder


def test_inpaint_leaves_pixels_outside_the_mask_untouched(tiny_generator: Generator) -> None:
    figure = tiny_generator.generate(GenerationRequest(PROMPT, seed=2, width=128, height=128))[0].image
    mask = Image.new("L", figure.size, 0)
    mask.paste(255, (32, 32, 96, 96))
    painted = tiny_generator.generate(GenerationRequest("red velvet coat", seed=5, mode="inpaint",
                                                        init_image=figure, mask_image=mask))[0]
    before, after = np.asarray(figure, dtype=int), np.asarray(painted.image, dtype=int)
    border = 4
    outside = np.ones(mask.size[::-1], dtype=bool)
    outside[32 - border:96 + border, 32 - border:96 + border] = False
    assert np.array_equal(before[outside], after[outside])
    assert np.abs(before[40:88, 40:88] - after[40:88, 40:88]).mean() > 5  # the inside was repainted
    assert painted.generation.to_json()["mode"] == "inpaint" and painted.generation.to_json()["blend_radius"] == border


def test_keep_outside_mask_blends_only_near_the_edge() -> None:
    original, painted = Image.new("RGB", (64, 64), "black"), Image.new("RGB", (64, 64), "white")
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))
    result = np.asarray(keep_outside_mask(original, painted, mask))
    assert result[0:10, :].max() == 0 and result[24:40, 24:40].min() == 255
    assert 0 < result[14, 32, 0] < 255  # feathered border


def test_mask_must_match_the_image(tiny_generator: Generator) -> None:
    image = Image.new("RGB", (64, 64))
    with pytest.raises(InvalidRequest, match="same size"):
        tiny_generator.generate(GenerationRequest(PROMPT, mode="inpaint", init_image=image,
                                                  mask_image=Image.new("L", (32, 32))))


def test_unsupported_scheduler_for_a_model_is_named(tiny_generator: Generator) -> None:
    made = tiny_generator.generate(GenerationRequest(PROMPT, seed=1, width=64, height=64, scheduler="dpmpp_2m"))
    assert made[0].generation.to_json()["scheduler"]["class"] == "DPMSolverMultistepScheduler"

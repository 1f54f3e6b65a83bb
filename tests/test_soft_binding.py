"""Soft binding: copies of a frame that lost its credentials are traced back to it by its ISCC image code."""

from __future__ import annotations

import io
import json
from pathlib import Path

import c2pa
import iscc_core
import numpy as np
import pytest
from PIL import Image

from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.provenance.soft_binding import LABEL, image_code, iscc
from tests.provenance_support import build_png, noisy_png, png_chunks
from tests.test_cli import in_process

REQUEST = FrameRequest("a misty harbour at dawn", seed=21, width=128, height=128, project="Nightfall")


@pytest.fixture
def frame(studio: Studio) -> tuple[int, bytes]:
    info = studio.frames.generate(REQUEST, actor=studio.local_actor)[0]
    return info.id, Path(info.path).read_bytes()


def _saved(image: Image.Image, image_format: str = "PNG", **options: int) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format=image_format, **options)
    return buffer.getvalue()


def _opened(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def _cropped(image: Image.Image, fraction: float) -> Image.Image:
    dx, dy = round(image.width * fraction), round(image.height * fraction)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


def _one_pixel_no_manifest(data: bytes) -> bytes:
    """One pixel changed, the C2PA chunk dropped, the previs:record chunk kept (issue #18, item 5)."""
    image = _opened(data)
    red, green, blue = image.getpixel((5, 5))  # type: ignore[misc]
    image.putpixel((5, 5), (255 - red, green, blue))
    pixels = _saved(image)
    record = [chunk for chunk in png_chunks(data) if chunk[0] == b"iTXt"]
    chunks = list(png_chunks(pixels))
    return build_png([chunks[0], *record, *chunks[1:]])


COPIES = {
    "jpeg q=50": lambda image: _saved(image, "JPEG", quality=50),
    "jpeg q=95": lambda image: _saved(image, "JPEG", quality=95),
    "resized to 25%": lambda image: _saved(image.resize((image.width // 4, image.height // 4))),
    "cropped 4% per side": lambda image: _saved(_cropped(image, 0.04)),
}


@pytest.mark.parametrize("copy", COPIES)
def test_a_copy_of_a_frame_is_derived_known_with_its_frame(studio: Studio, frame: tuple[int, bytes],
                                                         copy: str) -> None:
    frame_id, data = frame
    result = studio.provenance.verify(COPIES[copy](_opened(data)), actor=studio.local_actor)
    assert result.status == "derived_known", result.summary
    assert result.soft_match is not None and result.soft_match.frame_id == frame_id
    assert f"copy of frame {frame_id}" in result.summary and result.frame_id == str(frame_id)


def test_one_pixel_changed_without_the_manifest_is_derived_known(studio: Studio, frame: tuple[int, bytes]) -> None:
    frame_id, data = frame
    edited = _one_pixel_no_manifest(data)
    result = studio.provenance.verify(edited, actor=studio.local_actor)
    assert result.record is not None  # the record chunk is still there
    assert result.status == "derived_known" and result.soft_match.frame_id == frame_id


def test_unrelated_pictures_and_other_seeds_stay_unknown(studio: Studio, frame: tuple[int, bytes]) -> None:
    other = studio.frames.generate(FrameRequest(REQUEST.prompt, seed=22, width=128, height=128),
                                   actor=studio.local_actor)[0]
    other_copy = _saved(_opened(Path(other.path).read_bytes()), "JPEG", quality=90)
    assert studio.provenance.verify(other_copy, actor=studio.local_actor).soft_match.frame_id == other.id
    for stranger in (noisy_png(3, size=128), _saved(Image.linear_gradient("L").resize((128, 128)))):
        result = studio.provenance.verify(stranger, actor=studio.local_actor)
        assert result.status == "unknown" and result.soft_match is None


def test_the_manifest_carries_the_iscc_soft_binding(frame: tuple[int, bytes]) -> None:
    _, data = frame
    with c2pa.Reader("image/png", io.BytesIO(data)) as reader:
        store = json.loads(reader.json())
    assertions = store["manifests"][store["active_manifest"]]["assertions"]
    binding = next(a["data"] for a in assertions if a["label"] == LABEL)
    assert binding["alg"] == "io.iscc.v0"
    assert binding["blocks"][0]["value"] == iscc(image_code(_opened(data)))


def test_the_code_is_iscc_cores_own() -> None:
    for seed in range(20):
        picture = Image.fromarray(np.random.default_rng(seed).integers(0, 256, (96, 80, 3), dtype=np.uint8))
        grey = picture.convert("L").resize((32, 32), Image.Resampling.BICUBIC)
        assert iscc(image_code(picture)) == iscc_core.gen_image_code_v0(list(grey.tobytes()), 64)["iscc"]


def test_cli_verify_json_names_the_frame_and_distance(settings, capsys, monkeypatch, tmp_path: Path) -> None:
    code, out, _ = in_process(settings, capsys, monkeypatch, "generate", "--prompt", "harbour", "--seed", "4",
                              "--size", "128x128", "--json")
    made = json.loads(out)[0]
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(_saved(_opened(Path(made["path"]).read_bytes()), "JPEG", quality=75))
    code, out, _ = in_process(settings, capsys, monkeypatch, "verify", str(copy), "--json")
    answer = json.loads(out)
    assert code == 1  # only a verified picture exits 0
    assert answer["status"] == "derived_known" and answer["frame_id"] == str(made["id"])
    assert answer["soft_match"]["frame_id"] == made["id"] and 0 <= answer["soft_match"]["distance"] <= 6

"""previs' own PNG writer: any reader gets the exact pixels and the embedded record back."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from previs.media.imaging import encode_png, pixel_sha256, read_png_record


@pytest.mark.parametrize("size", [(1, 1), (64, 96), (513, 7)])
def test_png_round_trips_pixels_and_record(size: tuple[int, int]) -> None:
    pixels = np.random.default_rng(sum(size)).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    record = {"prompt": "Zoë's ballroom, candlelit ✓", "seeds": [1, 2]}
    data = encode_png(image, record)
    with Image.open(io.BytesIO(data)) as checked:
        checked.verify()  # chunk order and checksums
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.format == "PNG" and decoded.mode == "RGB"
        assert pixel_sha256(decoded) == pixel_sha256(image)
    assert read_png_record(data) == record


def test_png_without_record_has_none_and_other_modes_are_stored_as_rgb() -> None:
    data = encode_png(Image.new("L", (8, 8), 200))
    assert read_png_record(data) is None
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.convert("RGB").getpixel((3, 3)) == (200, 200, 200)


def test_smooth_pictures_compress() -> None:
    gradient = np.tile(np.arange(256, dtype=np.uint8)[None, :, None], (256, 1, 3))
    assert len(encode_png(Image.fromarray(gradient))) < gradient.nbytes / 20

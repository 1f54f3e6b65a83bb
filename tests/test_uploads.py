"""Uploads are checked before anything uses them, and every refusal says what was wrong and how to fix it."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from previs.errors import UploadRejected
from previs.media.uploads import (
    check_document_upload,
    check_image_file,
    load_drawn_mask,
    load_image_upload,
    load_mask_upload,
)


def encode(image: Image.Image, image_format: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG header declaring ``width`` x ``height``, with a few bytes of pixel data."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b"")


def rejected(call, *args, **kwargs) -> str:
    with pytest.raises(UploadRejected) as caught:
        call(*args, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize(
    ("image_format", "options"), [("PNG", {}), ("JPEG", {"quality": 95}), ("WEBP", {"lossless": True})]
)
def test_png_jpeg_and_webp_load_as_rgb(image_format: str, options: dict) -> None:
    picture = noise((96, 128))
    loaded = load_image_upload(encode(picture, image_format, **options), what="performer photo")
    assert loaded.mode == "RGB" and loaded.size == (96, 128)
    if image_format != "JPEG":
        assert loaded.tobytes() == picture.tobytes()


def test_a_path_the_program_chose_is_read(tmp_path: Path) -> None:
    path = tmp_path / "upload"
    path.write_bytes(encode(noise((80, 80))))
    assert load_image_upload(path, what="photo").size == (80, 80)
    message = rejected(load_image_upload, tmp_path / "gone", what="photo")
    assert "could not be read" in message and "upload it again" in message


def test_exif_orientation_stands_the_photo_upright() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees clockwise when shown
    data = encode(noise((120, 80)), "JPEG", exif=exif.tobytes())
    assert load_image_upload(data, what="photo").size == (80, 120)


def test_empty_and_oversized_files_are_refused() -> None:
    assert "photo is empty (0 bytes)" in rejected(load_image_upload, b"", what="photo")
    message = rejected(load_image_upload, encode(noise((200, 200))), what="photo", max_bytes=10_000)
    assert "the limit is 0.0 MB" in message and "Export it smaller" in message


def test_text_is_not_a_picture_whatever_its_name(tmp_path: Path) -> None:
    renamed = tmp_path / "headshot.png"
    renamed.write_text("Dear casting, please find my headshot attached.\n")
    message = rejected(load_image_upload, renamed, what="performer photo")
    assert message.startswith("The performer photo is plain text")
    assert "must be PNG, JPEG or WebP" in message
    assert "not a recognised file type" in rejected(load_image_upload, b"\x00\x01garbage" * 20, what="photo")


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    bomb = png_claiming(50_000, 50_000)
    assert len(bomb) < 100
    limit = Image.MAX_IMAGE_PIXELS
    message = rejected(load_image_upload, bomb, what="photo")
    assert "50000x50000" in message and "decompression bomb" in message and "scale it down" in message
    assert limit == Image.MAX_IMAGE_PIXELS  # no global Pillow state was touched


def test_truncated_and_corrupt_files_are_refused() -> None:
    jpeg = encode(noise((256, 256)), "JPEG", quality=90)
    message = rejected(load_image_upload, jpeg[: len(jpeg) // 2], what="photo")
    assert "damaged or incomplete JPEG" in message and "save it again" in message
    png = encode(noise((128, 128)))
    assert "damaged or incomplete PNG" in rejected(load_image_upload, png[:200], what="photo")
    # A header that lies about the size the decoder then finds.
    assert "damaged" in rejected(load_image_upload, png_claiming(100, 100), what="photo")


def test_too_small_pictures_are_refused() -> None:
    message = rejected(load_image_upload, encode(noise((32, 200))), what="photo")
    assert "only 32x200 pixels" in message and "at least 64" in message


def test_animated_pictures_are_refused() -> None:
    frames = [noise((64, 64), seed) for seed in range(2)]
    data = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert "animated" in rejected(load_image_upload, data, what="photo")


def test_transparency_is_flattened_onto_white_and_16_bit_grey_scaled() -> None:
    clear = Image.new("RGBA", (64, 64), (10, 20, 30, 0))
    assert load_image_upload(encode(clear), what="photo").getpixel((5, 5)) == (255, 255, 255)
    grey16 = Image.fromarray(np.full((64, 64), 0x8080, dtype=np.uint16))
    assert load_image_upload(encode(grey16), what="photo").getpixel((0, 0)) == (128, 128, 128)


def test_a_mask_is_binarised_at_half_brightness() -> None:
    ramp = Image.fromarray(np.tile(np.arange(256, dtype=np.uint8), (64, 1)), "L")
    mask = load_mask_upload(encode(ramp), size=(256, 64))
    values = np.asarray(mask)
    assert mask.mode == "L" and set(np.unique(values)) == {0, 255}
    assert values[0, 127] == 0 and values[0, 128] == 255


def test_a_paint_layer_mask_is_read_by_its_alpha_whatever_the_brush_colour() -> None:
    layer = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    layer.paste((0, 0, 0, 255), (10, 10, 30, 40))  # a black brush on a transparent layer
    values = np.asarray(load_mask_upload(encode(layer), size=(64, 64)))
    assert values[20, 20] == 255 and values[50, 50] == 0 and int(values.sum()) // 255 == 20 * 30
    opaque = Image.new("RGBA", (64, 64), (0, 0, 0, 255))
    opaque.paste((255, 255, 255, 255), (0, 0, 8, 8))  # no transparency: brightness decides
    assert int(np.asarray(load_mask_upload(encode(opaque), size=(64, 64))).sum()) // 255 == 64


def test_a_mask_of_the_wrong_size_names_both_sizes() -> None:
    message = rejected(load_mask_upload, encode(Image.new("L", (100, 50), 255)), size=(512, 768))
    assert "100x50" in message and "512x768" in message and "picture's size" in message


def test_an_empty_mask_is_refused() -> None:
    message = rejected(load_mask_upload, encode(Image.new("L", (64, 64), 0)), size=(64, 64))
    assert "marks nothing to paint" in message and "paint the area to change" in message
    clear = Image.new("RGBA", (64, 64), (255, 255, 255, 0))
    assert "marks nothing" in rejected(load_mask_upload, encode(clear), size=(64, 64))



def test_drawn_layers_join_into_one_mask_and_a_blank_canvas_is_no_mask() -> None:
    first, second, blank = (Image.new("RGBA", (64, 64), (0, 0, 0, 0)) for _ in range(3))
    first.paste((225, 29, 72, 255), (0, 0, 10, 10))
    second.paste((255, 255, 255, 255), (50, 50, 60, 60))
    values = np.asarray(load_drawn_mask([encode(first), encode(blank), encode(second)], size=(64, 64)))
    assert values[5, 5] == values[55, 55] == 255 and int(values.sum()) // 255 == 200
    assert load_drawn_mask([encode(blank)], size=(64, 64)) is None and load_drawn_mask([], size=(64, 64)) is None
    message = rejected(load_drawn_mask, [encode(first), encode(Image.new("RGBA", (32, 32)))], size=(64, 64))
    assert message.startswith("The drawn mask is 32x32 pixels") and "64x64" in message
    assert "decompression bomb" in rejected(load_drawn_mask, [png_claiming(50_000, 50_000)], size=(64, 64))


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (PDF, "application/pdf"),
        (encode(noise((40, 40))), "image/png"),
        (encode(noise((40, 40)), "JPEG"), "image/jpeg"),
        ("I, Zoë O'Neil, agree to costume fittings.\r\n\tSigned.\n".encode(), "text/plain"),
        (b"\xef\xbb\xbfRelease with a byte order mark\n", "text/plain"),
    ],
)
def test_consent_documents_are_sniffed_and_kept_unchanged(data: bytes, mime: str) -> None:
    assert check_document_upload(data, what="consent document") == (data, mime)


def test_the_upload_is_named_once_however_the_caller_phrases_it() -> None:
    for what in ("the consent document", "consent document", "  consent   document "):
        assert rejected(check_document_upload, b"", what=what).startswith("The consent document is empty")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF[:-7], "incomplete PDF"),
        (encode(noise((40, 40)), "WEBP"), "a WebP picture; consent documents must be PDF, PNG, JPEG or plain text"),
        (b"\x00\x01\x02binary" * 10, "not a recognised file type"),
        (b"MZ\x90\x00 program", "not a recognised file type"),
        (b"  \n\t \n", "blank text"),
        (encode(noise((64, 64)), "JPEG")[:300], "damaged or incomplete JPEG"),
        (b"", "empty"),
    ],
)
def test_bad_consent_documents_are_refused(data: bytes, expected: str) -> None:
    message = rejected(check_document_upload, data, what="consent document")
    assert message.startswith("The consent document") and expected in message


def test_a_consent_document_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "release.pdf"
    path.write_bytes(PDF + b" " * 2000)
    assert "the limit is 0.0 MB" in rejected(check_document_upload, path, what="release", max_bytes=1000)


def test_an_image_to_verify_is_checked_but_kept_byte_for_byte(tmp_path: Path) -> None:
    tiny = encode(noise((8, 8)))  # any size is fine: a picture from elsewhere may be small
    saved = tmp_path / "upload"
    saved.write_bytes(tiny)
    assert check_image_file(saved, what="image to verify") == tiny
    assert "plain text; pictures must be PNG" in rejected(check_image_file, b"a note", what="image to verify")
    assert "decompression bomb" in rejected(check_image_file, png_claiming(50_000, 50_000), what="image")
    assert "the limit is" in rejected(check_image_file, tiny, what="image", max_bytes=10)

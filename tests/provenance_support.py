"""Pictures and byte surgery shared by the provenance tests."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from PIL import Image

from previs.media.imaging import encode_png


def noisy_image(seed: int, size: int = 64) -> Image.Image:
    """Random RGB noise: no two seeds give the same pixels."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def noisy_png(seed: int, record: Mapping[str, Any] | None = None, size: int = 64) -> bytes:
    return encode_png(noisy_image(seed, size), record)


def reencoded(data: bytes, image_format: str = "PNG") -> bytes:
    """What "save as" in an image editor does: same pixels, none of the metadata chunks."""
    buffer = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        image.save(buffer, format=image_format)
    return buffer.getvalue()


def png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, body) of every chunk of a PNG, in file order."""
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        yield data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length]
        offset += 12 + length


def build_png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in chunks:
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return out


def with_one_pixel_changed(data: bytes) -> bytes:
    """Flip the first red byte of the picture, keeping every other chunk (the manifest too) as it was."""
    chunks = list(png_chunks(data))
    raw = bytearray(zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT")))
    raw[1] ^= 0xFF  # byte 0 of each scanline is its filter type
    first_idat = next(index for index, (kind, _) in enumerate(chunks) if kind == b"IDAT")
    kept = [chunk for chunk in chunks if chunk[0] != b"IDAT"]
    kept.insert(first_idat, (b"IDAT", zlib.compress(bytes(raw))))
    return build_png(kept)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` but carries almost no data, as a decompression bomb does."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return build_png([(b"IHDR", header), (b"IDAT", zlib.compress(b"\0" * 16)), (b"IEND", b"")])

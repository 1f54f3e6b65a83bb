"""Checks every uploaded file before anything else touches it.

Uploads arrive as bytes, never as paths, so a user-chosen file name can never become a path here. The type
is sniffed from the leading bytes (a file name or a browser's claimed type proves nothing). Image dimensions
are read from the file header by this module, before Pillow is handed the bytes, so a decompression bomb (a
tiny file declaring a huge picture) is refused without decoding a pixel and without relying on, or changing,
Pillow's global ``MAX_IMAGE_PIXELS``.

Policies, so callers and users can rely on them:

* Animated PNG and WebP files are rejected: taking one frame silently could fit a costume to a frame the
  user never looked at. A multi-picture JPEG (MPO, written by some cameras) is a still photo with extra
  views, so its primary picture is used.
* Transparent areas of a photo are flattened onto white (how a browser shows them); transparent areas of a
  mask count as "keep".
* Pixels are taken as sRGB; embedded colour profiles and all metadata (EXIF, GPS, text chunks) are dropped.
  EXIF orientation is applied first, so the picture stands the way the camera held it.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageOps

from previs.errors import UploadRejected

MAX_IMAGE_BYTES = 20_000_000
MAX_DOCUMENT_BYTES = 25_000_000
MAX_UPLOAD_PIXELS = 40_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
PDF_SIGNATURE = b"%PDF-"
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)

_TYPE_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP", "PDF": "PDF"}
IMAGE_MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
DOCUMENT_MIME_TYPES = {"PDF": "application/pdf", "PNG": "image/png", "JPEG": "image/jpeg"}
# A mask is painted where it is at least 50% white.
MASK_THRESHOLD = 128
# How far from the end of a PDF its %%EOF marker may sit (writers append a newline or a little padding).
PDF_TAIL_BYTES = 1024

# What a broken or hostile file makes Pillow raise while decoding.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,
)
# JPEG start-of-frame markers: the segment that holds the picture's dimensions.
_JPEG_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
# JPEG markers that stand alone, without a length field.
_JPEG_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD9)})


def load_image_upload(
    data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_UPLOAD_PIXELS, min_side: int = 64
) -> Image.Image:
    """Check an uploaded photo and return it as a fully loaded RGB image that no longer needs ``data``."""
    image = _decode_image(
        data, max_bytes=max_bytes, max_pixels=max_pixels, min_side=min_side, background=WHITE
    )
    return image.convert("RGB")


def load_mask_upload(data: bytes, *, size: tuple[int, int]) -> Image.Image:
    """Check an uploaded mask for a picture of ``size`` (width, height); return it as mode "L", 0 or 255.

    White means paint, black means keep; a pixel is painted when it is at least 50% white (>= 128 of 255).
    A mask that paints nothing is refused (the fitting would change nothing); one painting everything is fine.
    """
    image = _decode_image(
        data, max_bytes=MAX_IMAGE_BYTES, max_pixels=MAX_UPLOAD_PIXELS, min_side=1, background=BLACK
    )
    if image.size != tuple(size):
        raise UploadRejected(
            f"The mask is {_dims(image.size)} pixels but the picture is {_dims(size)}; "
            "draw or export the mask at the picture's size."
        )
    mask = image.convert("L").point(lambda v: 255 if v >= MASK_THRESHOLD else 0)
    if mask.getbbox() is None:
        raise UploadRejected(
            "The mask marks nothing to paint (it is all black or transparent); "
            "paint the area to change in white."
        )
    return mask


def check_document_upload(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """Check a consent evidence document (PDF, PNG or JPEG) and return its sniffed MIME type.

    Images are fully decoded with the same checks as photos, so a broken or hostile one is refused now rather
    than when someone opens the evidence. A PDF must start with its signature and end with an end-of-file
    marker, which catches a truncated upload; its contents are not interpreted.
    """
    _check_length(data, max_bytes)
    kind = _sniff(data)
    if kind not in DOCUMENT_MIME_TYPES:
        raise UploadRejected(
            f"This file is {_describe(kind)}; consent documents must be PDF, PNG or JPEG. "
            "Scan or export the signed document to one of those."
        )
    if kind == "PDF":
        if b"%%EOF" not in data[-PDF_TAIL_BYTES:]:
            raise UploadRejected(
                "The PDF is incomplete (it has no end-of-file marker); upload the whole file again."
            )
    else:
        _decode_image(data, max_bytes=max_bytes, max_pixels=MAX_UPLOAD_PIXELS, min_side=1, background=WHITE)
    return DOCUMENT_MIME_TYPES[kind]


def _decode_image(
    data: bytes, *, max_bytes: int, max_pixels: int, min_side: int, background: tuple[int, int, int]
) -> Image.Image:
    """Run every check on an uploaded picture; return it decoded, upright, flattened onto ``background``,
    without metadata and detached from ``data``."""
    _check_length(data, max_bytes)
    kind = _sniff(data)
    if kind not in IMAGE_MIME_TYPES:
        raise UploadRejected(
            f"This file is {_describe(kind)}; pictures must be PNG, JPEG or WebP. "
            "Export or save it as one of those."
        )
    declared = _declared_size(data, kind)
    _check_dimensions(declared, max_pixels=max_pixels, min_side=min_side)
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            if image.size != declared:
                raise UploadRejected(_corrupt_message(kind))
            if kind != "JPEG" and getattr(image, "is_animated", False):
                raise UploadRejected(
                    "Animated pictures are not accepted; "
                    "upload a still PNG, JPEG or WebP of the one frame to use."
                )
            image.load()
            flat = _normalise(ImageOps.exif_transpose(image), background=background)
    except UploadRejected:
        raise
    except _DECODE_ERRORS as error:
        raise UploadRejected(_corrupt_message(kind)) from error
    flat.info.clear()
    return flat


def _check_length(data: bytes, max_bytes: int) -> None:
    if not data:
        raise UploadRejected(
            "The file is empty (0 bytes); choose the file again or check that it saved properly."
        )
    if len(data) > max_bytes:
        raise UploadRejected(
            f"The file is {_megabytes(len(data))}; the limit is {_megabytes(max_bytes)}. "
            "Export it smaller (fewer pixels or stronger JPEG compression) and upload again."
        )


def _check_dimensions(size: tuple[int, int], *, max_pixels: int, min_side: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise UploadRejected(
            f"The picture declares {_dims(size)} pixels ({width * height:,}), more than the {max_pixels:,} "
            "accepted; scale it down before uploading."
        )
    if min(width, height) < min_side:
        raise UploadRejected(
            f"The picture is only {_dims(size)} pixels; each side must be at least {min_side} pixels. "
            "Upload a larger picture."
        )


def _sniff(data: bytes) -> str | None:
    """Name the file type from its signature bytes, or None when it is none that previs reads."""
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data.startswith(JPEG_SIGNATURE):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(PDF_SIGNATURE):
        return "PDF"
    return None


def _declared_size(data: bytes, kind: str) -> tuple[int, int]:
    """Read (width, height) from the header alone; refuse a header too broken to say."""
    try:
        size = _HEADER_READERS[kind](data)
    except (struct.error, IndexError) as error:
        raise UploadRejected(_corrupt_message(kind)) from error
    if size is None or min(size) < 1:
        raise UploadRejected(_corrupt_message(kind))
    return size


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the marker segments to the first start-of-frame; thumbnails inside APPn segments are skipped."""
    position = 2
    while position < len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in _JPEG_STANDALONE_MARKERS:
            position += 2
            continue
        if marker in _JPEG_SOF_MARKERS:
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        if marker == 0xDA:  # start of scan: pixel data began before any frame header
            return None
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


_HEADER_READERS = {"PNG": _png_size, "JPEG": _jpeg_size, "WEBP": _webp_size}


def _normalise(image: Image.Image, *, background: tuple[int, int, int]) -> Image.Image:
    """Bring 16-bit greyscale to 8 bits (scaled, not clipped) and composite any transparency onto
    ``background``; an opaque 8-bit picture comes back unchanged."""
    if image.mode.startswith("I"):
        image = image.point(lambda value: value / 256)
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        return image
    rgba = image.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, (*background, 255))
    return Image.alpha_composite(canvas, rgba)


def _corrupt_message(kind: str) -> str:
    return (
        f"The {_TYPE_NAMES[kind]} file is damaged or incomplete and cannot be read; "
        "open it in an image editor, save it again and re-upload."
    )


def _describe(kind: str | None) -> str:
    if kind is None:
        return "not a recognised file type"
    return "a PDF document" if kind == "PDF" else f"a {_TYPE_NAMES[kind]} picture"


def _dims(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def _megabytes(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"

"""Checks every uploaded file before anything else touches it.

Uploads arrive as bytes, or as a path the program itself chose (a front end's temporary file), never as a
user-chosen file name. The type is sniffed from the leading bytes (a file name or a browser's claimed type
proves nothing). Image dimensions are read from the file header by this module, before Pillow is handed the
bytes, so a decompression bomb (a tiny file declaring a huge picture) is refused without decoding a pixel and
without relying on, or changing, Pillow's global ``MAX_IMAGE_PIXELS``.

Every refusal is an ``UploadRejected`` whose message names the upload (``what``, e.g. "performer photo"),
the problem and the fix.

Policies, so callers and users can rely on them:

* Animated PNG and WebP files are rejected: taking one frame silently could fit a costume to a frame the
  user never looked at. A multi-picture JPEG (MPO, written by some cameras) is a still photo with extra
  views, so its primary picture is used.
* Transparent areas of a photo are flattened onto white (how a browser shows them).
* A mask with transparent pixels is read by its alpha (opaque = paint), whatever colour was painted: that is
  what a paint layer (e.g. a Gradio ImageEditor layer) holds. A mask without transparency is read by its
  brightness (white = paint). Either way a pixel counts when it is at least 50% (``MASK_THRESHOLD``).
* Pixels are taken as sRGB; embedded colour profiles and all metadata (EXIF, GPS, text chunks) are dropped.
  EXIF orientation is applied first, so the picture stands the way the camera held it.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zlib
from collections.abc import Sequence

from PIL import Image, ImageChops, ImageOps

from previs.errors import UploadRejected
from previs.media.documents import pdf_problem, text_problem

MAX_IMAGE_BYTES = 20_000_000
MAX_DOCUMENT_BYTES = 25_000_000
MAX_UPLOAD_PIXELS = 40_000_000
MIN_IMAGE_SIDE = 64
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
PDF_SIGNATURE = b"%PDF-"
WHITE = (255, 255, 255)

_TYPE_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP", "PDF": "PDF", "TEXT": "plain text"}
IMAGE_MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
DOCUMENT_MIME_TYPES = {"PDF": "application/pdf", "PNG": "image/png", "JPEG": "image/jpeg", "TEXT": "text/plain"}
# A mask pixel is painted where it is at least 50% white (or 50% opaque).
MASK_THRESHOLD = 128
MAX_PNG_TEXT_BYTES = 4_000_000  # what one compressed PNG text chunk may inflate to (a frame's record is ~10 KB)
# How far from the end of a PDF its %%EOF marker may sit (writers append a newline or a little padding).
PDF_TAIL_BYTES = 1024
# Control characters plain text may not hold (tab, line feed, form feed and carriage return are allowed).
_TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

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

Upload = bytes | os.PathLike[str]


def load_image_upload(
    data: Upload,
    *,
    what: str,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_UPLOAD_PIXELS,
    min_side: int = MIN_IMAGE_SIDE,
) -> Image.Image:
    """Check an uploaded picture (``what`` names it in messages, e.g. "performer photo") and return it as a
    fully loaded, upright RGB image that no longer needs ``data``."""
    what = _noun(what)
    content = _read(data, what, max_bytes)
    image = _decode_image(content, what, max_pixels=max_pixels, min_side=min_side)
    return _flatten(image, WHITE).convert("RGB")


def load_mask_upload(data: Upload, *, size: tuple[int, int], what: str = "mask") -> Image.Image:
    """Check an uploaded mask for a picture of ``size`` (width, height); return it as mode "L", 0 or 255.

    A mask that paints nothing is refused (the fitting would change nothing); one painting everything is fine.
    """
    what = _noun(what)
    mask = _painted(data, size, what)
    if mask.getbbox() is None:
        raise UploadRejected(
            f"The {what} marks nothing to paint (it is all black or all transparent); "
            "paint the area to change in white, or on a transparent layer."
        )
    return mask


def load_drawn_mask(layers: Sequence[Upload], *, size: tuple[int, int],
                    what: str = "drawn mask") -> Image.Image | None:
    """The paint layers of a drawing canvas (e.g. a Gradio ImageEditor) over a picture of ``size`` as one mask
    (mode "L", 0 or 255: painted on any layer), or None when no layer paints anything.

    Unlike an uploaded mask file, a blank canvas is not an error: the user drew nothing, and the caller falls
    back to its default (a named region). Each layer gets the same checks as a mask upload.
    """
    what = _noun(what)
    union: Image.Image | None = None
    for layer in layers:
        painted = _painted(layer, size, what)
        union = painted if union is None else ImageChops.lighter(union, painted)
    return union if union is not None and union.getbbox() is not None else None


def check_document_upload(data: Upload, *, what: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> tuple[bytes, str]:
    """Check a consent evidence document (PDF, PNG, JPEG or UTF-8 plain text); return its bytes, unchanged,
    and its sniffed MIME type.

    Images are fully decoded with the same checks as photos, so a broken or hostile one is refused now rather
    than when someone opens the evidence. A PDF must start with its signature and end with an end-of-file
    marker, which catches a truncated upload, and carry no active content (``media/documents.py``: no
    JavaScript, actions, embedded files, nothing appended). Text must be UTF-8 without control characters
    (other than tabs and line breaks), not blank, and neither a script nor web markup.
    """
    what = _noun(what)
    content = _read(data, what, max_bytes)
    kind = _sniff(content)
    if kind not in DOCUMENT_MIME_TYPES:
        raise UploadRejected(
            f"The {what} is {_describe(kind)}; consent documents must be PDF, PNG, JPEG or plain text "
            "(UTF-8). Scan or export the signed document to one of those."
        )
    if kind == "PDF" and b"%%EOF" not in content[-PDF_TAIL_BYTES:] and b"%%EOF" not in content:
        raise UploadRejected(
            f"The {what} is an incomplete PDF (it has no end-of-file marker); upload the whole file again."
        )
    if kind == "TEXT" and not content.decode("utf-8-sig").strip():
        raise UploadRejected(f"The {what} is blank text; upload the document's text or a scan of it.")
    problem = None
    if kind == "PDF":
        problem = pdf_problem(content)
    elif kind == "TEXT":
        problem = text_problem(content.decode("utf-8-sig"))
    if problem is not None:
        raise UploadRejected(f"The {what} {problem}.")
    if kind in IMAGE_MIME_TYPES:
        _decode_image(content, what, max_pixels=MAX_UPLOAD_PIXELS, min_side=1)
    return content, DOCUMENT_MIME_TYPES[kind]


def check_image_file(data: Upload, *, what: str, max_bytes: int = MAX_IMAGE_BYTES,
                     max_pixels: int = MAX_UPLOAD_PIXELS) -> bytes:
    """Check an uploaded picture whose bytes must stay as they are (an image to verify: its metadata is the
    evidence); return them unchanged.

    Size, type and the header's dimensions are checked (a decompression bomb is refused unread); decoding the
    pixels is left to the caller, which must do it under the same limits.
    """
    what = _noun(what)
    content = _read(data, what, max_bytes)
    kind = _image_kind(content, what)
    _check_dimensions(_declared_size(content, kind, what), what, max_pixels=max_pixels, min_side=1)
    _check_png_text(content, kind, what)
    return content


def _noun(what: str) -> str:
    """``what`` as messages use it, after "The": "the consent document" and "consent document" read the same."""
    words = what.split()
    return " ".join(words[1:] if len(words) > 1 and words[0].lower() in ("the", "a", "an") else words) or "file"


def _read(data: Upload, what: str, max_bytes: int) -> bytes:
    """The upload's bytes, size-checked; a path is measured before it is read."""
    if not isinstance(data, bytes | bytearray):
        try:
            _check_length(os.stat(data).st_size, what, max_bytes)
            with open(data, "rb") as file:
                data = file.read(max_bytes + 1)
        except OSError as error:
            raise UploadRejected(
                f"The {what} could not be read ({error.strerror or error}); upload it again."
            ) from error
    _check_length(len(data), what, max_bytes)
    return bytes(data)


def _decode_image(data: bytes, what: str, *, max_pixels: int, min_side: int) -> Image.Image:
    """Run every check on an uploaded picture; return it decoded, upright, without metadata and detached
    from ``data`` (still in its own mode: transparency is the caller's to interpret)."""
    kind = _image_kind(data, what)
    declared = _declared_size(data, kind, what)
    _check_dimensions(declared, what, max_pixels=max_pixels, min_side=min_side)
    _check_png_text(data, kind, what)
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            if image.size != declared:
                raise UploadRejected(_corrupt_message(kind, what))
            if kind != "JPEG" and getattr(image, "is_animated", False):
                raise UploadRejected(
                    f"The {what} is animated; upload a still PNG, JPEG or WebP of the one frame to use."
                )
            image.load()
            upright = _to_8_bits(ImageOps.exif_transpose(image))
    except UploadRejected:
        raise
    except _DECODE_ERRORS as error:
        raise UploadRejected(_corrupt_message(kind, what)) from error
    upright.info = {key: value for key, value in upright.info.items() if key == "transparency"}
    return upright


def _image_kind(data: bytes, what: str) -> str:
    """The picture's type from its signature bytes; anything but PNG, JPEG or WebP is refused."""
    kind = _sniff(data)
    if kind is None or kind not in IMAGE_MIME_TYPES:
        raise UploadRejected(
            f"The {what} is {_describe(kind)}; pictures must be PNG, JPEG or WebP. "
            "Export or save it as one of those."
        )
    return kind


def _painted(data: Upload, size: tuple[int, int], what: str) -> Image.Image:
    """A mask upload (or one paint layer) checked, matched to ``size`` and thresholded: mode "L", 0 or 255."""
    content = _read(data, what, MAX_IMAGE_BYTES)
    image = _decode_image(content, what, max_pixels=MAX_UPLOAD_PIXELS, min_side=1)
    if image.size != tuple(size):
        raise UploadRejected(
            f"The {what} is {_dims(image.size)} pixels but the picture it masks is {_dims(size)}; "
            "draw or export the mask at the picture's size."
        )
    return _mask_values(image).point(lambda v: 255 if v >= MASK_THRESHOLD else 0)


def _check_length(length: int, what: str, max_bytes: int) -> None:
    if not length:
        raise UploadRejected(
            f"The {what} is empty (0 bytes); choose the file again or check that it saved properly."
        )
    if length > max_bytes:
        raise UploadRejected(
            f"The {what} is {_megabytes(length)}; the limit is {_megabytes(max_bytes)}. "
            "Export it smaller (fewer pixels or stronger JPEG compression) and upload again."
        )


def _check_dimensions(size: tuple[int, int], what: str, *, max_pixels: int, min_side: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise UploadRejected(
            f"The {what} declares {_dims(size)} pixels ({width * height:,}), more than the {max_pixels:,} "
            "accepted (a file like this can be a decompression bomb); scale it down before uploading."
        )
    if min(width, height) < min_side:
        raise UploadRejected(
            f"The {what} is only {_dims(size)} pixels; each side must be at least {min_side} pixels. "
            "Upload a larger picture."
        )


def _sniff(data: bytes) -> str | None:
    """Name the file type from its signature bytes (or, failing that, as UTF-8 plain text), or None when it
    is none that previs reads."""
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data.startswith(JPEG_SIGNATURE):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(PDF_SIGNATURE):
        return "PDF"
    return "TEXT" if _is_plain_text(data) else None


def _is_plain_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return _TEXT_FORBIDDEN.search(text) is None


def _declared_size(data: bytes, kind: str, what: str) -> tuple[int, int]:
    """Read (width, height) from the header alone; refuse a header too broken to say."""
    try:
        size = _HEADER_READERS[kind](data)
    except (struct.error, IndexError) as error:
        raise UploadRejected(_corrupt_message(kind, what)) from error
    if size is None or min(size) < 1:
        raise UploadRejected(_corrupt_message(kind, what))
    return size


def _check_png_text(data: bytes, kind: str, what: str) -> None:
    """Refuse a PNG whose compressed text chunks (zTXt, compressed iTXt) inflate past ``MAX_PNG_TEXT_BYTES``:
    a text bomb, which Pillow would only meet half-way through reading, and verification reads every chunk."""
    if kind != "PNG":
        return
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, chunk = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if chunk == b"IEND":
            return
        compressed = _compressed_text(chunk, body)
        if compressed is not None:
            inflater = zlib.decompressobj()
            try:
                inflated = inflater.decompress(compressed, MAX_PNG_TEXT_BYTES + 1)
            except zlib.error:
                raise UploadRejected(_corrupt_message(kind, what)) from None
            if len(inflated) > MAX_PNG_TEXT_BYTES:
                raise UploadRejected(
                    f"The {what} has a compressed text chunk that inflates past {MAX_PNG_TEXT_BYTES // 1_000_000} "
                    "MB (a decompression bomb); export the picture again without that metadata."
                )
        position += 12 + length


def _compressed_text(chunk: bytes, body: bytes) -> bytes | None:
    """The compressed bytes of a zTXt or compressed iTXt chunk (keyword, NUL, flags, ...), or None."""
    keyword_end = body.find(b"\0")
    if keyword_end < 0:
        return None
    if chunk == b"zTXt":
        return body[keyword_end + 2:]
    if chunk == b"iTXt" and body[keyword_end + 1:keyword_end + 2] == b"\1":
        language_end = body.find(b"\0", keyword_end + 3)
        translated_end = body.find(b"\0", language_end + 1) if language_end >= 0 else -1
        return body[translated_end + 1:] if translated_end >= 0 else None
    return None


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


def _to_8_bits(image: Image.Image) -> Image.Image:
    """16- and 32-bit greyscale scaled (not clipped) to 8 bits; other modes come back unchanged."""
    if image.mode.startswith("I"):
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _flatten(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Any transparency composited onto ``background``; an opaque picture comes back unchanged."""
    if not _has_alpha(image):
        return image
    rgba = image.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, (*background, 255)), rgba)


def _mask_values(image: Image.Image) -> Image.Image:
    """The mode "L" values a mask is thresholded on: alpha where some pixel is transparent, else brightness."""
    if _has_alpha(image):
        alpha = image.convert("RGBA").getchannel("A")
        lowest = alpha.getextrema()[0]
        if not isinstance(lowest, (int, float)):  # one band gives (min, max), not one pair per band
            raise TypeError(f"expected the extrema of one band, got {lowest!r}")
        if lowest < MASK_THRESHOLD:
            return alpha
    return image.convert("L")


def _corrupt_message(kind: str, what: str) -> str:
    return (
        f"The {what} is a damaged or incomplete {_TYPE_NAMES[kind]} file and cannot be read; "
        "open it in an image editor, save it again and re-upload."
    )


def _describe(kind: str | None) -> str:
    if kind is None:
        return "not a recognised file type"
    if kind == "TEXT":
        return "plain text"
    return "a PDF document" if kind == "PDF" else f"a {_TYPE_NAMES[kind]} picture"


def _dims(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def _megabytes(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"

"""Anyone can ask whether an image is a frame this studio made: credentials and ledger, judged together.

    verified        Content Credentials signed by a certificate the studio's anchors vouch for, unaltered,
                    and the file or its pixels are in the ledger
    foreign_signer  intact credentials, but from a signer the studio's anchors do not vouch for (this
                    includes a studio leaf past its expiry: without a timestamp c2pa reports it expired)
    altered         credentials present, but the picture or the manifest changed after signing
    stripped_known  no credentials, but the pixels (or the file) match a ledger entry
    derived_known   no credentials and no ledger entry, but the picture's ISCC image code lies near a frame's
                    (``previs.provenance.soft_binding``): not this studio's file, but a re-encoded, resized,
                    cropped or slightly edited copy of that frame. A copy of a withdrawn frame says so
                    (``soft_match.withdrawn``): it is not the studio's live work.
    unknown         none of the above

A frame validly signed by this studio that the ledger does not know is ``unknown``: the credentials alone do
not prove previs made it (the key may have signed it outside previs, or its ledger row is gone), and the
ledger is the studio's own account. Its summary says so, and ``credentials.state == "valid"`` with
``ledger_match is None`` tells it apart from a stranger's picture.

The caller supplies the ledger query as ``lookup(file_sha256, pixel_sha256)`` and the soft-binding query as
``soft_lookup(codes)``, so this module stays free of
storage. Input is untrusted: only PNG, JPEG and WebP are read, and size limits are checked from the header
before any pixel is decoded.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from PIL import Image

from previs.errors import InvalidRequest, UploadRejected
from previs.media.imaging import pixel_sha256, read_png_record, sha256_bytes
from previs.provenance.credentials import CredentialsReport, read_credentials
from previs.provenance.record import FrameRecord
from previs.provenance.soft_binding import QUERY_CROPS, SoftMatch, crop_codes

MAX_IMAGE_BYTES = 64 * 1024 * 1024
MAX_IMAGE_PIXELS = 8192 * 8192

VerificationStatus = Literal["verified", "foreign_signer", "altered", "stripped_known", "derived_known", "unknown"]
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
_DECODERS = ("PNG", "JPEG", "WEBP")  # Pillow may use no other plugin on an untrusted file


@dataclass(frozen=True)
class LedgerMatch:
    """The ledger entry a lookup found, and whether the file bytes or only the pixels matched."""

    frame_id: str
    sequence: int
    matched_by: Literal["file", "pixels"]


LedgerLookup = Callable[[str, str], LedgerMatch | None]
SoftLookup = Callable[[Sequence[int]], SoftMatch | None]  # a picture's ISCC image codes → the nearest frame


@dataclass(frozen=True)
class Verification:
    status: VerificationStatus
    summary: str  # one line for a person
    mime_type: str
    file_sha256: str
    pixel_sha256: str
    record: dict[str, Any] | None  # from the manifest, else from the PNG's previs:record text chunk
    credentials: CredentialsReport
    ledger_match: LedgerMatch | None
    soft_match: SoftMatch | None = None  # only for derived_known
    # The matched entry's RFC 9162 inclusion proof against the studio's current signed checkpoint (the desk adds it)
    log_inclusion: dict[str, Any] | None = None
    # An export's own carried proof (``previs.log-inclusion``) and whether it holds (the desk checks it)
    carried_inclusion: dict[str, Any] | None = None

    @property
    def frame_record(self) -> FrameRecord | None:
        """The record as a previs frame record, or None when the file carries none (or another's, or a broken one)."""
        if self.record is None:
            return None
        try:
            return FrameRecord.from_json(self.record)
        except InvalidRequest:
            return None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types, for API responses and ``--json`` output."""
        return {
            "status": self.status,
            "summary": self.summary,
            "mime_type": self.mime_type,
            "file_sha256": self.file_sha256,
            "pixel_sha256": self.pixel_sha256,
            "record": self.record,
            "credentials": self.credentials.to_json(),
            "ledger_match": None if self.ledger_match is None else asdict(self.ledger_match),
            "soft_match": None if self.soft_match is None else asdict(self.soft_match),
            "frame_id": self.frame_id,
            "log_inclusion": self.log_inclusion,
            "carried_inclusion": self.carried_inclusion,
        }

    @property
    def frame_id(self) -> str | None:
        """The studio frame this picture is, or is a copy of (None when nothing links it to one)."""
        if self.ledger_match is not None:
            return self.ledger_match.frame_id
        return None if self.soft_match is None else str(self.soft_match.frame_id)


def verify_image(data: bytes, *, trust_anchors_pem: bytes, lookup: LedgerLookup,
                 soft_lookup: SoftLookup | None = None) -> Verification:
    """Judge ``data`` against this studio's trust anchors, ledger and soft-binding index; see the module table."""
    if len(data) > MAX_IMAGE_BYTES:
        raise UploadRejected(
            f"the image is {len(data) / 2**20:.1f} MiB; only images up to {MAX_IMAGE_BYTES // 2**20} MiB "
            "are verified"
        )
    mime_type = sniff_image_type(data)
    pixels = _pixel_digest(data, mime_type)
    file_digest = sha256_bytes(data)
    credentials = read_credentials(data, mime_type, trust_anchors_pem=trust_anchors_pem)
    match = lookup(file_digest, pixels)
    status = _status(credentials, match)
    soft = None
    if status == "unknown" and credentials.state == "absent" and soft_lookup is not None:
        soft = soft_lookup(_query_codes(data))
        status = "derived_known" if soft is not None else status
    record = credentials.record
    if record is None and mime_type == "image/png":
        record = _png_record(data)
    return Verification(
        status=status,
        summary=_summary(status, credentials, match, soft),
        mime_type=mime_type,
        file_sha256=file_digest,
        pixel_sha256=pixels,
        record=record,
        credentials=credentials,
        ledger_match=match,
        soft_match=soft,
    )


def sniff_image_type(data: bytes) -> str:
    """The MIME type from the file's magic bytes; anything but PNG, JPEG or WebP is refused."""
    for magic, mime_type in _MAGIC:
        if data.startswith(magic):
            return mime_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise UploadRejected("only PNG, JPEG and WebP images can be verified; this file is none of them")


def _pixel_digest(data: bytes, mime_type: str) -> str:
    """Decode (after checking the header's dimensions, so a decompression bomb is refused unread)."""
    try:
        with Image.open(io.BytesIO(data), formats=_DECODERS) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise UploadRejected(
                    f"the image is {width}x{height} pixels; at most {MAX_IMAGE_PIXELS // 10**6} megapixels "
                    "are verified (a larger one could be a decompression bomb)"
                )
            return pixel_sha256(image)
    except (OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise UploadRejected(f"the {mime_type} image is damaged or unreadable: {error}") from error


def _query_codes(data: bytes) -> list[int]:
    """The picture's ISCC image codes, its own and its centre crops' (its size was checked by ``_pixel_digest``)."""
    with Image.open(io.BytesIO(data), formats=_DECODERS) as image:
        return [code for _, code in crop_codes(image.convert("RGB"), QUERY_CROPS)]


def _status(credentials: CredentialsReport, match: LedgerMatch | None) -> VerificationStatus:
    if credentials.state == "valid":
        return "verified" if match is not None else "unknown"
    if credentials.state == "untrusted":
        return "foreign_signer"
    if credentials.state == "invalid":
        return "altered"
    return "stripped_known" if match is not None else "unknown"


def _summary(status: VerificationStatus, credentials: CredentialsReport, match: LedgerMatch | None,
             soft: SoftMatch | None) -> str:
    signer = credentials.signer_common_name or "an unnamed signer"
    codes = ", ".join(credentials.failure_codes) or credentials.error or "no detail"
    entry = "" if match is None else (
        f"ledger entry #{match.sequence} (frame {match.frame_id}, matched by {match.matched_by})"
    )
    if status == "verified":
        return f"Made by this studio: credentials signed by {signer} are intact and the frame is {entry}."
    if status == "foreign_signer":
        return (f"Intact credentials signed by {signer} (issuer {credentials.signer_issuer}), a signer "
                f"this studio's trust anchors do not vouch for ({codes}).")
    if status == "altered":
        return f"The image or its credentials changed after signing ({codes})."
    if status == "stripped_known":
        return f"No credentials, but this is {entry}: a studio frame whose metadata was stripped."
    if soft is not None:
        copy = (f"Not this studio's file, but a re-encoded, resized or cropped copy of frame {soft.frame_id} "
                f"(its ISCC image code differs in {soft.distance} of 64 bits)")
        return copy + (": that frame's consent was withdrawn, so this is not the studio's live work."
                       if soft.withdrawn else ".")
    if credentials.state == "valid":
        return (f"Signed by this studio ({signer}) and intact, but not in its ledger: the ledger entry is "
                "missing or the frame was signed outside previs.")
    return "No credentials and no ledger entry: nothing links this image to the studio."


def _png_record(data: bytes) -> dict[str, Any] | None:
    """The PNG's own record chunk; a malformed one (the file is untrusted) counts as no record."""
    try:
        return read_png_record(data)
    except ValueError:
        return None

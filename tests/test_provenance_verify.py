"""verify_image: each of the five outcomes from the image a visitor would actually hand in."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from previs.errors import InvalidRequest, UploadRejected
from previs.media.imaging import pixel_sha256, sha256_bytes
from previs.provenance import verify
from previs.provenance.credentials import export_jpeg, sign_image
from previs.provenance.identity import SigningIdentity, load_or_create_identity
from previs.provenance.verify import LedgerMatch, Verification, verify_image
from tests.provenance_support import noisy_png, png_header_only, reencoded, with_one_pixel_changed

RECORD = {"prompt": "a rain-soaked alley, neon, 35mm", "seed": 9, "model": "tiny"}


class FakeLedger:
    """What the storage layer's query will do: find a frame by file digest, else by pixel digest."""

    def __init__(self) -> None:
        self.by_file: dict[str, tuple[str, int]] = {}
        self.by_pixels: dict[str, tuple[str, int]] = {}

    def add(self, frame_id: str, data: bytes) -> None:
        with Image.open(io.BytesIO(data)) as image:
            pixels = pixel_sha256(image)
        entry = (frame_id, len(self.by_file) + 1)
        self.by_file[sha256_bytes(data)] = entry
        self.by_pixels[pixels] = entry

    def __call__(self, file_sha256: str, pixel_sha256: str) -> LedgerMatch | None:
        if file_sha256 in self.by_file:
            return LedgerMatch(*self.by_file[file_sha256], matched_by="file")
        if pixel_sha256 in self.by_pixels:
            return LedgerMatch(*self.by_pixels[pixel_sha256], matched_by="pixels")
        return None


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    return load_or_create_identity(tmp_path_factory.mktemp("studio"), studio="Northlight Pictures")


@pytest.fixture(scope="module")
def frame(identity: SigningIdentity) -> bytes:
    return sign_image(noisy_png(11, RECORD), "image/png", record=RECORD, identity=identity, title="alley 4")


@pytest.fixture(scope="module")
def ledger(frame: bytes) -> FakeLedger:
    ledger = FakeLedger()
    ledger.add("frame-alley-4", frame)
    return ledger


def _verify(data: bytes, identity: SigningIdentity, ledger: FakeLedger) -> Verification:
    return verify_image(data, trust_anchors_pem=identity.trust_anchors_pem, lookup=ledger)


def test_a_fresh_studio_frame_is_verified(
    frame: bytes, identity: SigningIdentity, ledger: FakeLedger
) -> None:
    result = _verify(frame, identity, ledger)

    assert result.status == "verified"
    assert result.ledger_match == LedgerMatch("frame-alley-4", 1, "file")
    assert result.record == RECORD
    assert result.mime_type == "image/png" and result.file_sha256 == sha256_bytes(frame)
    assert "#1" in result.summary and "Northlight Pictures" in result.summary
    assert json.loads(json.dumps(result.to_json()))["credentials"]["state"] == "valid"


def test_one_changed_pixel_is_altered(frame: bytes, identity: SigningIdentity, ledger: FakeLedger) -> None:
    result = _verify(with_one_pixel_changed(frame), identity, ledger)

    assert result.status == "altered"
    assert result.ledger_match is None
    assert "assertion.dataHash.mismatch" in result.summary


def test_a_resaved_copy_without_metadata_is_stripped_known(
    frame: bytes, identity: SigningIdentity, ledger: FakeLedger
) -> None:
    result = _verify(reencoded(frame), identity, ledger)

    assert result.status == "stripped_known"
    assert result.ledger_match == LedgerMatch("frame-alley-4", 1, "pixels")
    assert result.credentials.state == "absent"
    assert "frame-alley-4" in result.summary


def test_an_unsigned_ledger_frame_falls_back_to_the_png_record(
    identity: SigningIdentity, ledger: FakeLedger
) -> None:
    unsigned = noisy_png(12, {"prompt": "unsigned take"})
    ledger.add("frame-unsigned", unsigned)

    result = _verify(unsigned, identity, ledger)

    assert result.status == "stripped_known" and result.ledger_match is not None
    assert result.ledger_match.matched_by == "file"
    assert result.record == {"prompt": "unsigned take"}


def test_a_picture_from_elsewhere_is_unknown(identity: SigningIdentity, ledger: FakeLedger) -> None:
    result = _verify(reencoded(noisy_png(99), "JPEG"), identity, ledger)

    assert result.status == "unknown"
    assert result.mime_type == "image/jpeg"
    assert result.credentials.state == "absent" and result.ledger_match is None and result.record is None


def test_a_frame_signed_by_another_studio_is_a_foreign_signer(
    identity: SigningIdentity, ledger: FakeLedger, tmp_path_factory: pytest.TempPathFactory
) -> None:
    stranger = load_or_create_identity(tmp_path_factory.mktemp("elsewhere"), studio="Elsewhere Films")
    theirs = sign_image(noisy_png(13), "image/png", record={"seed": 1}, identity=stranger, title="theirs")
    ledger.add("frame-copied-in", theirs)  # even a ledger match does not make a stranger's signature ours

    result = _verify(theirs, identity, ledger)

    assert result.status == "foreign_signer"
    assert "Elsewhere Films" in result.summary and "signingCredential.untrusted" in result.summary
    assert result.record == {"seed": 1}


def test_a_studio_signed_frame_missing_from_the_ledger_is_unknown_and_says_why(
    identity: SigningIdentity, ledger: FakeLedger
) -> None:
    orphan = sign_image(noisy_png(14), "image/png", record=RECORD, identity=identity, title="orphan")

    result = _verify(orphan, identity, ledger)

    assert result.status == "unknown"
    assert result.credentials.state == "valid" and result.ledger_match is None
    assert "not in its ledger" in result.summary


def test_an_exported_jpeg_verifies(frame: bytes, identity: SigningIdentity, ledger: FakeLedger) -> None:
    jpeg = export_jpeg(frame, record=RECORD, identity=identity, title="alley 4 (jpeg)")
    ledger.add("frame-alley-4-jpeg", jpeg)

    result = _verify(jpeg, identity, ledger)

    assert result.status == "verified"
    assert result.mime_type == "image/jpeg" and result.record == RECORD


def test_webp_is_read(identity: SigningIdentity, ledger: FakeLedger) -> None:
    result = _verify(reencoded(noisy_png(15), "WEBP"), identity, ledger)

    assert (result.mime_type, result.status) == ("image/webp", "unknown")


def test_other_files_and_oversized_images_are_refused(
    identity: SigningIdentity, ledger: FakeLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidRequest, match="only PNG, JPEG and WebP"):
        _verify(reencoded(noisy_png(16), "GIF"), identity, ledger)
    with pytest.raises(UploadRejected, match="decompression bomb"):
        _verify(png_header_only(9000, 9000), identity, ledger)
    with pytest.raises(UploadRejected, match="damaged or unreadable"):
        _verify(noisy_png(17)[:400], identity, ledger)
    monkeypatch.setattr(verify, "MAX_IMAGE_BYTES", 1024)
    with pytest.raises(UploadRejected, match="MiB"):
        _verify(noisy_png(18), identity, ledger)

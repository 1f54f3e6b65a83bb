"""Content Credentials as c2pa itself reads them, and the four states read_credentials maps them to."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import c2pa
import pytest
from PIL import Image

from previs.errors import InvalidRequest
from previs.provenance.credentials import (
    COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA,
    RECORD_LABEL,
    TRAINED_ALGORITHMIC_MEDIA,
    TRAINING_MINING_LABEL,
    Ingredient,
    export_jpeg,
    read_credentials,
    sign_image,
)
from previs.provenance.identity import SigningIdentity, load_or_create_identity
from previs.version import __version__
from tests.provenance_support import build_png, noisy_png, png_chunks, reencoded, with_one_pixel_changed

RECORD = {"prompt": "a lighthouse at dusk, anamorphic", "seed": 42, "model": "tiny", "steps": 4}


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    return load_or_create_identity(tmp_path_factory.mktemp("studio"), studio="Northlight Pictures")


@pytest.fixture(scope="module")
def other_identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    return load_or_create_identity(tmp_path_factory.mktemp("elsewhere"), studio="Elsewhere Films")


@pytest.fixture(scope="module")
def signed_png(identity: SigningIdentity) -> bytes:
    return sign_image(noisy_png(1, RECORD), "image/png", record=RECORD, identity=identity, title="shot 12A")


def _c2pa_manifest(data: bytes, mime_type: str, anchors: bytes) -> tuple[dict[str, Any], str]:
    """The active manifest and validation state exactly as c2pa's own Reader reports them."""
    context = c2pa.Context.from_dict({"trust": {"trust_anchors": anchors.decode()}})
    with c2pa.Reader(mime_type, io.BytesIO(data), context=context) as reader:
        store = json.loads(reader.json())
    return store["manifests"][store["active_manifest"]], store["validation_state"]


def _assertion(manifest: dict[str, Any], label_prefix: str) -> Any:
    (data,) = [a["data"] for a in manifest["assertions"] if a["label"].startswith(label_prefix)]
    return data


def test_c2pa_reader_sees_a_trusted_ai_generated_frame(signed_png: bytes, identity: SigningIdentity) -> None:
    manifest, state = _c2pa_manifest(signed_png, "image/png", identity.trust_anchors_pem)

    assert state == "Trusted"
    (created,) = _assertion(manifest, "c2pa.actions")["actions"]
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert json.loads(_assertion(manifest, RECORD_LABEL)["record_json"]) == RECORD
    entries = _assertion(manifest, TRAINING_MINING_LABEL)["entries"]
    uses = {"cawg.ai_training", "cawg.ai_generative_training", "cawg.ai_inference", "cawg.data_mining"}
    assert set(entries) == uses
    assert {entry["use"] for entry in entries.values()} == {"notAllowed"}
    generator = manifest["claim_generator_info"][0]
    assert (generator["name"], generator["version"]) == ("previs", __version__)
    assert manifest["title"] == "shot 12A"
    assert "thumbnail" not in manifest  # claim thumbnails are off: they cost ~80 ms a frame


def test_signing_keeps_the_pixels_and_the_png_record(signed_png: bytes) -> None:
    with Image.open(io.BytesIO(signed_png)) as signed, Image.open(io.BytesIO(noisy_png(1))) as original:
        assert signed.tobytes() == original.tobytes()
        assert json.loads(signed.info["previs:record"]) == RECORD


def test_read_credentials_of_a_studio_frame_is_valid(signed_png: bytes, identity: SigningIdentity) -> None:
    report = read_credentials(signed_png, "image/png", trust_anchors_pem=identity.trust_anchors_pem)

    assert report.state == "valid"
    assert report.signer_common_name == "Northlight Pictures Content Credentials"
    assert report.signer_issuer == "Northlight Pictures"
    assert report.record == RECORD
    actions = [(a.name, a.digital_source_type) for a in report.actions]
    assert actions == [("c2pa.created", TRAINED_ALGORITHMIC_MEDIA)]
    assert report.failure_codes == ()
    assert "assertion.dataHash.match" in report.status_codes


def test_other_anchors_make_the_same_frame_untrusted(
    signed_png: bytes, other_identity: SigningIdentity
) -> None:
    report = read_credentials(signed_png, "image/png", trust_anchors_pem=other_identity.trust_anchors_pem)

    assert report.state == "untrusted"
    assert report.failure_codes == ("signingCredential.untrusted",)
    assert report.record == RECORD


def test_one_changed_pixel_makes_the_credentials_invalid(
    signed_png: bytes, identity: SigningIdentity
) -> None:
    report = read_credentials(
        with_one_pixel_changed(signed_png), "image/png", trust_anchors_pem=identity.trust_anchors_pem
    )

    assert report.state == "invalid"
    assert "assertion.dataHash.mismatch" in report.failure_codes


def test_a_damaged_manifest_is_invalid_not_absent(signed_png: bytes, identity: SigningIdentity) -> None:
    chunks = list(png_chunks(signed_png))
    damaged = [(kind, body[:100] + bytes(b ^ 0xFF for b in body[100:200]) + body[200:]) if kind == b"caBX"
               else (kind, body) for kind, body in chunks]

    report = read_credentials(build_png(damaged), "image/png", trust_anchors_pem=identity.trust_anchors_pem)

    assert report.state == "invalid"
    assert report.error


def test_an_image_without_a_manifest_is_absent(signed_png: bytes, identity: SigningIdentity) -> None:
    for unsigned in (noisy_png(2), reencoded(signed_png)):
        report = read_credentials(unsigned, "image/png", trust_anchors_pem=identity.trust_anchors_pem)
        assert report.state == "absent" and report.record is None and report.actions == ()


def test_a_remote_only_manifest_is_absent_because_nothing_is_fetched(identity: SigningIdentity) -> None:
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(identity.algorithm, identity.chain_pem, identity.private_key_pem, None)
    )
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}}, signer=signer)
    manifest = {"claim_generator_info": [{"name": "elsewhere", "version": "1"}], "assertions": [
        {"label": "c2pa.actions", "data": {"actions": [
            {"action": "c2pa.created", "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA}]}}]}
    with c2pa.Builder(manifest, context=context) as builder:
        builder.set_no_embed()
        builder.set_remote_url("https://manifests.example.invalid/frame.c2pa")
        linked = io.BytesIO()
        builder.sign("image/png", io.BytesIO(noisy_png(7)), linked)

    report = read_credentials(linked.getvalue(), "image/png", trust_anchors_pem=identity.trust_anchors_pem)

    assert report.state == "absent"
    assert report.error is not None and "remote" in report.error


def test_a_fitting_over_an_input_photo_is_a_composite_with_its_ingredients(identity: SigningIdentity) -> None:
    performer = reencoded(noisy_png(3), "JPEG")
    costume = noisy_png(4)
    signed = sign_image(
        noisy_png(5), "image/png", record=RECORD, identity=identity, title="fitting 3",
        ingredients=[
            Ingredient(performer, "image/jpeg", "performer.jpg"),
            Ingredient(costume, "image/png", "gown.png"),
        ],
    )

    manifest, state = _c2pa_manifest(signed, "image/png", identity.trust_anchors_pem)

    assert state == "Trusted"
    actions = _assertion(manifest, "c2pa.actions")["actions"]
    assert [a["action"] for a in actions] == ["c2pa.opened", "c2pa.placed", "c2pa.edited"]
    assert actions[-1]["digitalSourceType"] == COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA
    assert [(i["title"], i["relationship"]) for i in manifest["ingredients"]] == [
        ("performer.jpg", "parentOf"), ("gown.png", "componentOf")]
    report = read_credentials(signed, "image/png", trust_anchors_pem=identity.trust_anchors_pem)
    assert report.ingredient_titles == ("performer.jpg", "gown.png")
    assert report.actions[-1].digital_source_type == COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA


def test_jpeg_export_keeps_signed_credentials(signed_png: bytes, identity: SigningIdentity) -> None:
    jpeg = export_jpeg(signed_png, record=RECORD, identity=identity, title="shot 12A (jpeg)", quality=85)

    assert jpeg.startswith(b"\xff\xd8\xff")
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.format == "JPEG" and image.size == (64, 64)
    report = read_credentials(jpeg, "image/jpeg", trust_anchors_pem=identity.trust_anchors_pem)
    assert report.state == "valid" and report.record == RECORD
    # A derived manifest: the signed PNG (which says how it was made) is the parent, re-encoded (issue #18 item 6)
    assert [action.name for action in report.actions] == ["c2pa.opened", "c2pa.transcoded"]
    assert report.ingredient_titles == ("the frame as stored (PNG)",)


def test_bad_requests_are_refused_before_signing(identity: SigningIdentity, tmp_path: Path) -> None:
    frame = noisy_png(6)
    with pytest.raises(InvalidRequest, match="image/png, image/jpeg"):
        sign_image(frame, "image/gif", record=RECORD, identity=identity, title="x")
    with pytest.raises(InvalidRequest, match="JSON-serialisable"):
        sign_image(frame, "image/png", record={"path": tmp_path}, identity=identity, title="x")
    with pytest.raises(InvalidRequest, match="quality"):
        export_jpeg(frame, record=RECORD, identity=identity, title="x", quality=100)
    with pytest.raises(InvalidRequest, match="mime_type"):
        read_credentials(frame, "image/gif", trust_anchors_pem=identity.trust_anchors_pem)

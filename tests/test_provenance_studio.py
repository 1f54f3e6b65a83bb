"""Provenance through the facade: every stored frame is signed, in the ledger, verifiable and reproducible."""

from __future__ import annotations

import io
import json
from pathlib import Path

import c2pa
import pytest
from sqlalchemy import text

from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.errors import UploadRejected
from previs.provenance.credentials import TRAINED_ALGORITHMIC_MEDIA
from tests.provenance_support import noisy_png, reencoded, with_one_pixel_changed
from tests.test_cli import in_process

REQUEST = FrameRequest("abandoned observatory, dusk", seed=7, width=64, height=64, project="Nightfall")


@pytest.fixture
def frame_bytes(studio: Studio) -> bytes:
    return Path(studio.frames.generate(REQUEST, actor=studio.local_actor)[0].path).read_bytes()


def test_a_fresh_frame_verifies(studio: Studio, frame_bytes: bytes) -> None:
    result = studio.provenance.verify(frame_bytes, actor=studio.local_actor)
    assert result.status == "verified", result.summary
    record = result.record
    assert record["generation"]["seed"] == 7 and record["generation"]["seeds"] == [7]
    assert record["generation"]["model"]["licence"] and record["generation"]["model"]["revision"]
    assert record["created_by"] == "tester" and record["previs_version"] and record["consent_grants"] == []


def test_one_changed_pixel_is_altered(studio: Studio, frame_bytes: bytes) -> None:
    assert studio.provenance.verify(with_one_pixel_changed(frame_bytes), actor=studio.local_actor).status == "altered"


def test_a_copy_saved_without_metadata_is_recognised_from_the_ledger(studio: Studio, frame_bytes: bytes) -> None:
    result = studio.provenance.verify(reencoded(frame_bytes), actor=studio.local_actor)
    assert result.status == "stripped_known" and result.ledger_match.matched_by == "pixels"


def test_an_image_from_elsewhere_is_unknown(studio: Studio, frame_bytes: bytes) -> None:
    assert studio.provenance.verify(noisy_png(3), actor=studio.local_actor).status == "unknown"


def test_c2pa_s_own_reader_shows_the_created_action_and_source_type(frame_bytes: bytes) -> None:
    with c2pa.Reader("image/png", io.BytesIO(frame_bytes)) as reader:
        store = json.loads(reader.json())
    manifest = store["manifests"][store["active_manifest"]]
    actions = [action for assertion in manifest["assertions"] if assertion["label"].startswith("c2pa.actions")
               for action in assertion["data"]["actions"]]
    assert [(a["action"], a.get("digitalSourceType")) for a in actions] == [
        ("c2pa.created", TRAINED_ALGORITHMIC_MEDIA)]
    training = next(a for a in manifest["assertions"] if a["label"] == "cawg.training-mining")
    assert {entry["use"] for entry in training["data"]["entries"].values()} == {"notAllowed"}


def _ledger_sql(studio: Studio, statement: str) -> None:
    with studio.database.engine.begin() as connection:
        connection.execute(text(statement))


@pytest.mark.parametrize(("statement", "kind", "sequence"), [
    ("update ledger_entries set record_sha256 = '{}' where sequence = 2".format("f" * 64), "changed", 2),
    ("delete from ledger_entries where sequence = 2", "deleted", 2),
    ("delete from ledger_entries where sequence = 3", "deleted", 3),
])
def test_ledger_tampering_is_reported_at_the_entry(studio: Studio, statement: str, kind: str, sequence: int) -> None:
    studio.frames.generate(FrameRequest("harbour at dawn", seed=1, count=3, width=64, height=64),
                           actor=studio.local_actor)
    assert studio.provenance.verify_ledger(actor=studio.local_actor).ok
    _ledger_sql(studio, statement)
    report = studio.provenance.verify_ledger(actor=studio.local_actor)
    assert not report.ok and (report.problems[0].kind, report.problems[0].sequence) == (kind, sequence)


def test_an_inserted_ledger_row_is_reported(studio: Studio) -> None:
    studio.frames.generate(FrameRequest("harbour at dawn", seed=1, count=2, width=64, height=64),
                           actor=studio.local_actor)
    _ledger_sql(studio, "insert into ledger_entries (sequence, frame_sha256, pixel_sha256, record_sha256, created_at, "
                        "prev_hash, entry_hash) select 3, frame_sha256, pixel_sha256, record_sha256, created_at, "
                        "entry_hash, entry_hash from ledger_entries where sequence = 2")
    report = studio.provenance.verify_ledger(actor=studio.local_actor)
    assert not report.ok and report.problems[0].sequence == 3


def test_reproduce_gives_identical_pixels_for_text_and_image_to_image_frames(studio: Studio) -> None:
    frames = studio.frames.generate(FrameRequest("harbour at dawn", seed=11, count=2, width=64, height=64),
                                    actor=studio.local_actor)
    variation = studio.frames.vary(frames[1].id, count=2, strength=0.5, seed=5, actor=studio.local_actor)[1]
    assert variation.record.to_json()["parent_frame_id"] == frames[1].id
    assert [item["role"] for item in variation.record.to_json()["inputs"]] == ["parent_frame"]
    for frame in (frames[1], variation):
        result = studio.frames.reproduce(frame.id, actor=studio.local_actor)
        assert result.identical and result.reproduced_sha256 == frame.sha256


def test_a_variation_names_its_parent_as_ingredient(studio: Studio) -> None:
    parent = studio.frames.generate(REQUEST, actor=studio.local_actor)[0]
    child = studio.frames.vary(parent.id, count=1, seed=3, actor=studio.local_actor)[0]
    result = studio.provenance.verify(Path(child.path).read_bytes(), actor=studio.local_actor)
    assert result.status == "verified"
    assert [action.name for action in result.credentials.actions][-1] == "c2pa.edited"
    assert result.credentials.ingredient_titles == (f"frame {parent.id}",)


def test_jpeg_exports_are_signed_and_verify(studio: Studio) -> None:
    frame = studio.frames.generate(REQUEST, actor=studio.local_actor)[0]
    exported = studio.provenance.export(frame.id, image_format="jpeg", actor=studio.local_actor)
    assert exported.mime_type == "image/jpeg" and exported.filename == f"previs-Nightfall-frame{frame.id}.jpg"
    result = studio.provenance.verify(exported.data, actor=studio.local_actor)
    assert result.status == "verified" and result.record["frame_uid"] == frame.record.to_json()["frame_uid"]
    assert studio.provenance.verify_ledger(actor=studio.local_actor).ok


def test_cli_verify_ledger_and_reproduce_exit_codes(settings, capsys, monkeypatch, tmp_path: Path) -> None:
    code, out, _ = in_process(settings, capsys, monkeypatch, "generate", "--prompt", "harbour", "--seed", "2",
                              "--size", "64x64", "--json")
    frame = json.loads(out)[0]
    code, out, _ = in_process(settings, capsys, monkeypatch, "verify", frame["path"], "--json")
    assert code == 0 and json.loads(out)["status"] == "verified"
    stranger = tmp_path / "stranger.png"
    stranger.write_bytes(noisy_png(9))
    code, out, _ = in_process(settings, capsys, monkeypatch, "verify", str(stranger), "--json")
    assert code == 1 and json.loads(out)["status"] == "unknown"
    code, out, _ = in_process(settings, capsys, monkeypatch, "reproduce", str(frame["id"]), "--json")
    assert code == 0 and json.loads(out)["identical"] is True
    code, out, _ = in_process(settings, capsys, monkeypatch, "ledger", "verify", "--json")
    assert code == 0 and json.loads(out) == {"ok": True, "checked": 1, "problems": [], "integrity": "ok"}
    code, out, _ = in_process(settings, capsys, monkeypatch, "export", str(frame["id"]), "--format", "jpeg",
                              "--out", str(tmp_path), "--json")
    assert code == 0 and Path(json.loads(out)["path"]).parent == tmp_path
    code, _, err = in_process(settings, capsys, monkeypatch, "verify", str(tmp_path / "missing.png"))
    assert code == 1 and err.startswith("error: cannot read FILE")


def test_an_uploaded_file_is_checked_then_verified(studio: Studio, frame_bytes: bytes, tmp_path: Path) -> None:
    upload = tmp_path / "upload"
    upload.write_bytes(frame_bytes)
    assert studio.provenance.verify_upload(upload, actor=studio.local_actor).status == "verified"
    upload.write_text("not a picture")
    with pytest.raises(UploadRejected, match="The image to verify is plain text"):
        studio.provenance.verify_upload(upload, actor=studio.local_actor)


def test_the_ledger_report_reads_as_json(studio: Studio, frame_bytes: bytes) -> None:
    assert studio.provenance.verify_ledger(actor=studio.local_actor).to_json() == {"ok": True, "checked": 1,
                                                                                   "problems": [], "integrity": "ok"}

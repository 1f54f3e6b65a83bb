"""Export checks before it signs (issue #18, items 1 and 4): a laundered frame is refused, a failed export leaves
no ledger entry and no file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.errors import ProvenanceError
from tests.test_cli import in_process


def _two_frames(studio: Studio) -> list[int]:
    frames = studio.frames.generate(FrameRequest("harbour at dawn", seed=1, count=2, width=64, height=64),
                                    actor=studio.local_actor)
    return [frame.id for frame in frames]


def _entries(studio: Studio) -> int:
    with studio.database.unit_of_work() as work:
        return len(work.ledger.all())


def test_a_replaced_stored_file_is_not_exported(studio: Studio) -> None:
    first, second = (studio.frames.get(frame_id, actor=studio.local_actor) for frame_id in _two_frames(studio))
    Path(first.path).write_bytes(Path(second.path).read_bytes())  # the insider's picture in frame 1's place
    before = _entries(studio)
    with pytest.raises(ProvenanceError, match=f"frame {first.id} is not exported: its stored file does not match"):
        studio.provenance.export(first.id, image_format="jpeg", actor=studio.local_actor)
    assert _entries(studio) == before


def test_an_edited_record_is_not_exported_and_ledger_verify_names_it(studio: Studio) -> None:
    frame_id = _two_frames(studio)[0]
    with studio.database.unit_of_work() as work:
        record = dict(work.frames.get(frame_id).record)
    record["created_by"] = "someone else"
    with studio.database.engine.begin() as connection:
        connection.execute(text("update frames set record = :record where id = :id"),
                           {"record": json.dumps(record), "id": frame_id})
    before = _entries(studio)
    with pytest.raises(ProvenanceError, match="frames row's record does not match ledger entry #1"):
        studio.provenance.export(frame_id, image_format="jpeg", actor=studio.local_actor)
    assert _entries(studio) == before
    report = studio.provenance.verify_ledger(actor=studio.local_actor)
    assert not report.ok and [(p.kind, p.sequence) for p in report.problems] == [("record", 1)]
    assert "frame 1: its record no longer match" in report.problems[0].detail


def test_export_to_a_missing_folder_is_one_line_and_leaves_no_entry(settings, capsys, monkeypatch,
                                                                    tmp_path: Path) -> None:
    code, out, _ = in_process(settings, capsys, monkeypatch, "generate", "--prompt", "harbour", "--seed", "2",
                              "--size", "64x64", "--json")
    frame_id = json.loads(out)[0]["id"]
    missing = tmp_path / "no-such-folder"
    code, out, err = in_process(settings, capsys, monkeypatch, "export", str(frame_id), "--format", "jpeg",
                                "--out", str(missing))
    assert code != 0 and err.strip() == (f"error: the folder {missing} does not exist; create it or choose "
                                         "another --out")
    assert not missing.exists()
    code, out, _ = in_process(settings, capsys, monkeypatch, "ledger", "verify", "--json")
    assert code == 0 and json.loads(out)["checked"] == 1  # no phantom entry for a file never written

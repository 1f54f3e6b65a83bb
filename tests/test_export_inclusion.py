"""Issue #18: an export carries its frame's log-inclusion proof in its manifest; verify checks and reports it."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import c2pa
import pytest

from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.provenance import checkpoint
from previs.provenance.credentials import LOG_INCLUSION_LABEL, export_copy


def carried(data: bytes, mime_type: str) -> dict:
    with c2pa.Reader(mime_type, io.BytesIO(data)) as reader:
        store = json.loads(reader.json())
    manifest = store["manifests"][store["active_manifest"]]
    [claim] = [a["data"]["inclusion_json"] for a in manifest["assertions"] if a["label"] == LOG_INCLUSION_LABEL]
    return json.loads(claim)


@pytest.mark.parametrize("image_format, mime_type", [("png", "image/png"), ("jpeg", "image/jpeg")])
def test_an_export_carries_a_proof_of_its_frames_leaf_that_verify_checks(studio: Studio, image_format: str,
                                                                          mime_type: str) -> None:
    _, second = studio.frames.generate(FrameRequest("quay at night", seed=5, width=64, height=64, count=2),
                                           actor=studio.local_actor)
    exported = studio.provenance.export(second.id, image_format=image_format, actor=studio.local_actor)
    claim = carried(exported.data, mime_type)
    assert (claim["log_origin"], claim["leaf_index"], claim["tree_size"]) == (studio.provenance._recorder.log.origin,
                                                                            1, 2)
    assert len(claim["audit_path"]) == 1 and claim["checkpoint"].startswith(f"{claim['log_origin']}\n2\n")
    result = studio.provenance.verify(exported.data, actor=studio.local_actor)
    assert result.status == "verified" and result.frame_id == str(second.id)
    report = result.to_json()["carried_inclusion"]
    assert report["verified"] is True and report["leaf_index"] == 1 and report["tree_size"] == 2


def test_a_forged_carried_proof_is_named(studio: Studio) -> None:
    """Signed with the studio's key (an insider, or a bug): the c2pa signature holds, the proof does not."""
    frame = studio.frames.generate(FrameRequest("quay at night", seed=5, width=64, height=64, count=2),
                                   actor=studio.local_actor)[1]
    png = Path(frame.path).read_bytes()
    recorder = studio.provenance._recorder  # the studio's signing identity, to forge as an insider would
    claim = carried(studio.provenance.export(frame.id, image_format="jpeg", actor=studio.local_actor).data,
                    "image/jpeg")

    def forged(**changes: object) -> dict:
        copy = export_copy(png, "jpeg", record=frame.record.to_json(), identity=recorder.identity, title="forged",
                           log_inclusion={**claim, **changes})
        return studio.provenance.verify(copy, actor=studio.local_actor).to_json()

    bad_path = forged(audit_path=["00" * 32])
    assert bad_path["carried_inclusion"]["verified"] is False
    assert "audit path does not prove leaf 1" in bad_path["carried_inclusion"]["detail"]
    assert "carried log-inclusion proof does not hold" in bad_path["summary"]
    other_root = bytes.fromhex("11" * 32)
    root_line = claim["checkpoint"].split("\n")[2]
    unsigned = claim["checkpoint"].replace(root_line, base64.b64encode(other_root).decode())
    bad_note = forged(checkpoint=unsigned, root_hash=other_root.hex())
    assert "forged or damaged signature" in bad_note["carried_inclusion"]["detail"]
    resigned = checkpoint.sign(checkpoint.Checkpoint(claim["log_origin"], 2, other_root), recorder.identity)
    bad_root = forged(checkpoint=resigned)
    assert "not those of the signed checkpoint" in bad_root["carried_inclusion"]["detail"]

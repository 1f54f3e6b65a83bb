"""The ledger as a transparency log (issue #18, items 2 and 3): RFC 9162 Merkle proofs, signed checkpoints, and
the insider's attacks on the ledger (a cut tail, a deleted head, a forged append, a rewritten history) caught."""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import asdict
from pathlib import Path

import pytest
from sqlalchemy import text

from previs.app.recording import HEAD_FILE
from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.app.transparency import CHECKPOINT_FILE, ledger_entry
from previs.errors import InvalidRequest
from previs.provenance import checkpoint, merkle
from previs.provenance.checkpoint import Checkpoint
from previs.provenance.identity import load_or_create_identity
from previs.provenance.ledger import chain_head, entry_hash, make_entry
from tests.test_cli import in_process

SIZES = range(1, 21)


def _leaves(count: int) -> list[bytes]:
    return [merkle.leaf_hash(f"leaf {index}".encode()) for index in range(count)]


def _reference_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 §2.1.1, recursively, to check the frontier against."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _reference_root(leaves[:k]) + _reference_root(leaves[k:])).digest()


def _flipped(node: bytes) -> bytes:
    return bytes([node[0] ^ 1]) + node[1:]


def test_hashes_are_domain_separated_as_rfc_9162_defines() -> None:
    assert merkle.leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert merkle.node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()
    assert merkle.root([]) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("size", SIZES)
def test_every_inclusion_proof_verifies_and_tampered_ones_fail(size: int) -> None:
    leaves = _leaves(size)
    tree = merkle.tree_of(leaves)
    root = merkle.root(leaves)
    assert root == _reference_root(leaves) == tree.root()
    sizes = range(1, size + 1)
    assert [tree.root(old) for old in sizes] == [_reference_root(leaves[:old]) for old in sizes]
    for index in range(size):
        proof = merkle.inclusion_proof(index, size, tree.subtree)
        assert merkle.verify_inclusion(index, size, leaves[index], proof, root)
        assert not merkle.verify_inclusion(index, size, _flipped(leaves[index]), proof, root)
        if size > 1:
            assert not merkle.verify_inclusion((index + 1) % size, size, leaves[index], proof, root)
            for position in range(len(proof)):
                tampered = [*proof[:position], _flipped(proof[position]), *proof[position + 1:]]
                assert not merkle.verify_inclusion(index, size, leaves[index], tampered, root)
            assert not merkle.verify_inclusion(index, size, leaves[index], proof[:-1], root)


@pytest.mark.parametrize("size", SIZES)
def test_every_consistency_proof_verifies_and_tampered_ones_fail(size: int) -> None:
    leaves = _leaves(size)
    new_root, tree = merkle.root(leaves), merkle.tree_of(leaves)
    for old in range(1, size + 1):
        old_root = merkle.root(leaves[:old])
        proof = merkle.consistency_proof(old, size, tree.subtree)
        assert merkle.verify_consistency(old, size, old_root, new_root, proof)
        assert not merkle.verify_consistency(old, size, _flipped(old_root), new_root, proof)
        if old < size:
            assert not merkle.verify_consistency(old, size, old_root, _flipped(new_root), proof)
            for position in range(len(proof)):
                tampered = [*proof[:position], _flipped(proof[position]), *proof[position + 1:]]
                assert not merkle.verify_consistency(old, size, old_root, new_root, tampered)
            rewritten = [*leaves[:old - 1], _flipped(leaves[old - 1]), *leaves[old:]]
            assert not merkle.verify_consistency(old, size, old_root, merkle.root(rewritten),
                                                 merkle.consistency_proof(old, size, merkle.tree_of(rewritten).subtree))


def test_a_checkpoint_is_a_signed_note_and_forgeries_are_named(tmp_path: Path) -> None:
    identity = load_or_create_identity(tmp_path / "signing")
    stranger = load_or_create_identity(tmp_path / "stranger")
    kept = Checkpoint("previs/abc", 3, hashlib.sha256(b"root").digest())
    note = checkpoint.sign(kept, identity)
    origin, size, root, blank, signature, end = note.split("\n")
    assert (origin, size, root, blank, end) == ("previs/abc", "3", base64.b64encode(kept.root).decode(), "", "")
    assert signature.startswith("\u2014 previs/abc ")
    assert checkpoint.parse(note, identity) == kept
    with pytest.raises(InvalidRequest, match="forged or damaged"):
        checkpoint.parse(note.replace("\n3\n", "\n4\n", 1), identity)
    with pytest.raises(InvalidRequest, match="not signed by this studio's key"):
        checkpoint.parse(checkpoint.sign(kept, stranger), identity)
    with pytest.raises(InvalidRequest, match="not a signed checkpoint"):
        checkpoint.parse("previs/abc\n3\n", identity)


def _three_frames(studio: Studio) -> None:
    studio.frames.generate(FrameRequest("harbour at dawn", seed=1, count=3, width=64, height=64),
                           actor=studio.local_actor)


def _sql(studio: Studio, statement: str, **values: object) -> None:
    with studio.database.engine.begin() as connection:
        connection.execute(text(statement), values)


def _kinds(studio: Studio) -> list[str]:
    report = studio.provenance.verify_ledger(actor=studio.local_actor)
    assert not report.ok
    return [problem.kind for problem in report.problems]


def test_a_deleted_head_is_caught_and_named(studio: Studio) -> None:
    _three_frames(studio)
    (studio.data_directory / HEAD_FILE).unlink()
    report = studio.provenance.verify_ledger(actor=studio.local_actor)
    assert not report.ok and any("ledger.head is missing" in problem.detail for problem in report.problems)


def test_a_cut_tail_with_both_heads_deleted_is_caught(studio: Studio) -> None:
    _three_frames(studio)
    (studio.data_directory / HEAD_FILE).unlink()
    (studio.data_directory / CHECKPOINT_FILE).unlink()
    _sql(studio, "delete from ledger_entries where sequence = 3")
    details = [p.detail for p in studio.provenance.verify_ledger(actor=studio.local_actor).problems]
    assert any("ledger.checkpoint is missing" in detail for detail in details)


def test_a_cut_tail_with_the_head_rewritten_is_caught_by_the_signed_checkpoint(studio: Studio) -> None:
    _three_frames(studio)
    with studio.database.unit_of_work() as work:
        second = ledger_entry(work.ledger.all()[1])
    _sql(studio, "delete from ledger_entries where sequence = 3")
    (studio.data_directory / HEAD_FILE).write_text(chain_head(second) + "\n")
    report = studio.provenance.verify_ledger(actor=studio.local_actor)
    assert not report.ok and report.problems[0].kind == "checkpoint" and "tail" in report.problems[0].detail


def _forge_append(studio: Studio) -> None:
    """Item 3a with the real hash scheme: a stranger's picture appended as entry 4, the head rewritten."""
    with studio.database.unit_of_work() as work:
        last = ledger_entry(work.ledger.all()[-1])
    forged = make_entry(last, frame_sha256="a" * 64, pixel_sha256="b" * 64, record_sha256="c" * 64,
                        created_at=last.created_at)
    _sql(studio, "insert into ledger_entries (sequence, frame_sha256, pixel_sha256, record_sha256, created_at, "
                 "prev_hash, entry_hash) values (:sequence, :frame_sha256, :pixel_sha256, :record_sha256, "
                 ":created_at, :prev_hash, :entry_hash)", **asdict(forged))
    (studio.data_directory / HEAD_FILE).write_text(chain_head(forged) + "\n")


def test_a_forged_append_with_a_rewritten_head_is_caught(studio: Studio) -> None:
    _three_frames(studio)
    _forge_append(studio)
    assert _kinds(studio) == ["checkpoint"]


def test_a_rewritten_history_is_caught_against_a_checkpoint_kept_outside(studio: Studio) -> None:
    """Item 3b: row 2 rewritten, every later row re-hashed, the head rewritten and even the kept checkpoint
    re-signed with the studio's own key (the insider has it): only the outside checkpoint still tells."""
    _three_frames(studio)
    outside = studio.provenance.checkpoint(actor=studio.local_actor)
    with studio.database.unit_of_work() as work:
        rows = [ledger_entry(row) for row in work.ledger.all()]
    previous = rows[0]
    for row in rows[1:]:
        digest = "e" * 64 if row.sequence == 2 else row.frame_sha256
        fields = {**asdict(row), "frame_sha256": digest, "prev_hash": previous.entry_hash}
        del fields["entry_hash"]
        previous = type(row)(**fields, entry_hash=entry_hash(**fields))
        _sql(studio, "update ledger_entries set frame_sha256 = :f, prev_hash = :p, entry_hash = :e "
                     "where sequence = :s", f=digest, p=previous.prev_hash, e=previous.entry_hash, s=row.sequence)
    (studio.data_directory / HEAD_FILE).write_text(chain_head(previous) + "\n")
    recorder = studio.provenance._recorder
    recorder.log = type(recorder.log)(studio.database, recorder.identity, recorder.log.origin)  # no cached edge
    (studio.data_directory / CHECKPOINT_FILE).write_text(recorder.log.signed_current())
    assert studio.provenance.extends_checkpoint(outside, actor=studio.local_actor).ok is False
    extension = studio.provenance.extends_checkpoint(outside, actor=studio.local_actor)
    assert "no longer hash to the checkpoint's root" in extension.detail


def test_the_cli_writes_a_checkpoint_and_checks_the_log_extends_it(settings, capsys, monkeypatch,
                                                                    tmp_path: Path) -> None:
    in_process(settings, capsys, monkeypatch, "generate", "--prompt", "harbour", "--seed", "2", "--size", "64x64")
    kept = tmp_path / "kept.checkpoint"
    code, out, _ = in_process(settings, capsys, monkeypatch, "ledger", "checkpoint", "--out", str(kept))
    assert code == 0 and kept.read_text().split("\n")[1] == "1"
    in_process(settings, capsys, monkeypatch, "generate", "--prompt", "harbour", "--seed", "3", "--size", "64x64")
    code, out, _ = in_process(settings, capsys, monkeypatch, "ledger", "verify", "--checkpoint", str(kept))
    assert code == 0 and "checkpoint: consistent: the log (2 entries) extends the checkpoint of 1" in out
    kept.write_text(kept.read_text().replace("\n1\n", "\n3\n", 1))
    code, out, err = in_process(settings, capsys, monkeypatch, "ledger", "verify", "--checkpoint", str(kept))
    assert code == 1 and "forged or damaged signature" in err and "Traceback" not in err


def test_the_kept_checkpoint_keeps_pace_with_every_store(studio: Studio) -> None:
    for seed in range(3):
        studio.frames.generate(FrameRequest("harbour", seed=seed, width=64, height=64), actor=studio.local_actor)
        note = (studio.data_directory / CHECKPOINT_FILE).read_text()
        assert studio.provenance._recorder.log.parse(note, what="kept").size == seed + 1
    assert studio.provenance.verify_ledger(actor=studio.local_actor).ok
    assert list(itertools.islice(studio.provenance.checkpoint(actor=studio.local_actor).split("\n"), 2))[1] == "3"


def test_verify_json_carries_the_frames_inclusion_proof_and_it_checks(studio: Studio) -> None:
    _three_frames(studio)
    with studio.database.unit_of_work() as work:
        row = work.ledger.all()[1]
        path = studio.data_directory / work.frames.get(row.frame_id).path
    result = studio.provenance.verify(path.read_bytes(), actor=studio.local_actor).to_json()
    proof = result["log_inclusion"]
    assert result["status"] == "verified" and proof["verified"] is True
    assert (proof["leaf_index"], proof["tree_size"]) == (1, 3)
    kept = studio.provenance._recorder.log.parse(proof["checkpoint"], what="the proof's checkpoint")
    path_nodes = [bytes.fromhex(node) for node in proof["audit_path"]]
    assert merkle.verify_inclusion(1, 3, bytes.fromhex(proof["leaf_hash"]), path_nodes, kept.root)
    assert not merkle.verify_inclusion(0, 3, bytes.fromhex(proof["leaf_hash"]), path_nodes, kept.root)

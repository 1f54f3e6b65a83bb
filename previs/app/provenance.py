"""The provenance desk: verify any image, walk the ledger, export a frame with its credentials."""

from __future__ import annotations

import fcntl
import io
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

from PIL import Image

from previs.access.permissions import Action, Actor
from previs.app.frames import FrameDesk
from previs.app.recording import FrameRecorder
from previs.app.requests import Export
from previs.app.transparency import Extension, check_kept, extends, leaves, ledger_entry
from previs.errors import InvalidRequest, ProvenanceError, StorageDamaged
from previs.media.imaging import pixel_sha256, sha256_bytes
from previs.media.uploads import Upload, check_image_file
from previs.provenance.credentials import export_copy
from previs.provenance.ledger import (
    ChainProblem,
    ChainReport,
    record_sha256,
    runs_past_head,
    verify_chain,
)
from previs.provenance.soft_binding import SoftMatch, band_keys, joined, nearest
from previs.provenance.verify import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, LedgerMatch, Verification, verify_image
from previs.storage import Database, UnitOfWork

PUBLISH_GRACE_S = 2.0  # how long a head may lag its committed rows before they count as inserted


class ProvenanceDesk:
    """What anyone may ask about where a picture came from, and the one way frames leave the studio."""

    def __init__(self, database: Database, frames: FrameDesk, recorder: FrameRecorder):
        self._database = database
        self._frames = frames
        self._recorder = recorder

    def verify(self, data: bytes, *, actor: Actor) -> Verification:
        """Judge any image: signed here and unaltered, signed elsewhere, altered, stripped, or unknown."""
        actor.require(Action.VERIFY)
        result = verify_image(data, trust_anchors_pem=self._recorder.identity.trust_anchors_pem,
                              lookup=self._ledger_lookup, soft_lookup=self._soft_lookup)
        if result.credentials.log_inclusion is not None:
            carried = self._recorder.log.check_carried(result.credentials.log_inclusion)
            summary = result.summary if carried["verified"] else (
                f"{result.summary} Its carried log-inclusion proof does not hold: {carried['detail']}.")
            result = replace(result, carried_inclusion=carried, summary=summary)
        if result.ledger_match is None:
            return result
        return replace(result, log_inclusion=self._recorder.log.inclusion(result.ledger_match.sequence))

    def verify_upload(self, upload: Upload, *, actor: Actor) -> Verification:
        """``verify`` for an uploaded file (bytes, or a front end's temporary file), checked as every upload is."""
        actor.require(Action.VERIFY)
        return self.verify(check_image_file(upload, what="image to verify", max_bytes=MAX_IMAGE_BYTES,
                                            max_pixels=MAX_IMAGE_PIXELS), actor=actor)

    def _ledger_lookup(self, file_sha256: str, pixel_sha256: str) -> LedgerMatch | None:
        with self._database.unit_of_work() as work:
            row = work.ledger.by_frame_sha256(file_sha256)
            matched_by: Literal["file", "pixels"] = "file"
            if row is None:
                row, matched_by = work.ledger.by_pixel_sha256(pixel_sha256), "pixels"
            if row is None:
                return None
            return LedgerMatch(frame_id=str(row.frame_id), sequence=row.sequence, matched_by=matched_by)

    def _soft_lookup(self, codes: Sequence[int]) -> SoftMatch | None:
        """The indexed frame nearest to a picture's codes, read through the band indexes (withdrawn ones too: a
        copy of a withdrawn frame is named as such, not passed off as unknown)."""
        with self._database.unit_of_work() as work:
            rows = work.soft_bindings.candidates(band_keys(codes))
        return nearest(codes, [(frame_id, joined(found), status != "active")
                               for frame_id, *found, status in rows])

    def verify_ledger(self, *, actor: Actor) -> ChainReport:
        """Walk the hash chain against the head kept beside the database, and check the database file.

        The head is read first, under the lock its writer holds while publishing, then the rows in one
        snapshot: rows only ever grow past a head read earlier. Rows past a head that matches its row are a
        writer between its commit and its head; they are read again until the head catches up, and reported
        as inserted only when it does not within ``PUBLISH_GRACE_S``.
        """
        actor.require(Action.VERIFY)
        deadline = time.monotonic() + PUBLISH_GRACE_S
        while True:
            head, note = self._kept_head()
            with self._database.unit_of_work() as work:
                rows = work.ledger.all()
                entries = [ledger_entry(row) for row in rows]
                extra = check_kept(note, _sequence_of(head), rows, self._recorder.log)
            extra += self._frames_against_leaves()
            if head is None and entries:
                extra.append(ChainProblem(entries[-1].sequence, "checkpoint", f"the kept head "
                                          f"{self._recorder.head_file.name} is missing while the ledger holds "
                                          f"{len(entries)} entries: it was deleted"))
            report = verify_chain(entries, expected_head=head)
            report = _with_problems(report, extra)
            if report.ok or head is None or not runs_past_head(entries, head) or time.monotonic() > deadline:
                return report.with_integrity(self._database.integrity_problems())
            time.sleep(0.02)

    def _frames_against_leaves(self) -> list[ChainProblem]:
        """In its own read: a damaged frames table is one more problem, and the integrity check still runs."""
        try:
            with self._database.unit_of_work() as work:
                return _frames_against_leaves(work)
        except StorageDamaged as error:
            return [ChainProblem(0, "record", f"the frames rows could not be read to check them against the log: "
                                              f"{error}")]

    def checkpoint(self, *, actor: Actor) -> str:
        """The signed checkpoint of today's log, for anyone to keep outside the studio."""
        actor.require(Action.VERIFY)
        return self._recorder.log.signed_current()

    def extends_checkpoint(self, note: str, *, actor: Actor) -> Extension:
        """Whether today's log extends a checkpoint kept elsewhere (a consistency proof, RFC 9162 §2.1.4)."""
        actor.require(Action.VERIFY)
        kept = self._recorder.log.parse(note, what="the checkpoint")
        with self._database.unit_of_work() as work:
            return extends(kept, leaves(work.ledger.all()))

    def _kept_head(self) -> tuple[str | None, str | None]:
        """The kept head and signed checkpoint, read under ``<head>.lock`` (``FrameRecorder._publish_head``
        writes them under that lock); a read-only data directory has no writer, so there they are read as
        they are."""
        lock_file = self._recorder.head_file.with_name(self._recorder.head_file.name + ".lock")
        try:
            descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return self._recorder.kept_head(), self._recorder.kept_checkpoint()
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # shared locks back to back would starve the writer
            return self._recorder.kept_head(), self._recorder.kept_checkpoint()
        finally:
            os.close(descriptor)

    def export(self, frame_id: int, *, image_format: str = "png", actor: Actor) -> Export:
        """A signed copy of the frame (PNG: the same pixels; JPEG: entered in the ledger in its own right) whose
        manifest has the stored PNG as parent and carries the frame's log-inclusion proof."""
        if image_format not in ("png", "jpeg", "jpg"):
            raise InvalidRequest(f"unknown export format {image_format!r}: use png or jpeg")
        frame = self._frames.get(frame_id, actor=actor)
        data = Path(frame.path).read_bytes()
        sequence = self._check_before_export(frame_id, data)
        proof = {key: value for key, value in self._recorder.log.inclusion(sequence).items() if key != "verified"}
        png = image_format == "png"
        stem = f"previs-{frame.project.replace(' ', '_')}-frame{frame.id}"
        copy = export_copy(data, "png" if png else "jpeg", record=frame.record.to_json(),
                           identity=self._recorder.identity, log_inclusion=proof,
                           title=f"previs frame {frame.id} ({frame.project}), {'PNG' if png else 'JPEG'} export")
        if png:  # the frame's pixels: it verifies by them, no entry of its own
            return Export(frame.id, f"{stem}.png", "image/png", copy)
        self._recorder.enter_copy(frame.id, copy, frame.record)
        return Export(frame.id, f"{stem}.jpg", "image/jpeg", copy)

    def _check_before_export(self, frame_id: int, data: bytes) -> int:
        """The stored file, its frames row and its log leaf must agree before anything is signed or entered:
        else a replaced file or an edited record would leave the studio as a verified frame. Returns the
        sequence of the stored file's ledger entry (the leaf the export proves)."""
        with self._database.unit_of_work() as work:
            row = work.frames.get(frame_id)
            stored = (row.file_sha256, row.sha256, record_sha256(row.record))
            leaf = next((entry for entry in work.ledger.for_frame(frame_id)
                         if entry.frame_sha256 == row.file_sha256), None)
        with Image.open(io.BytesIO(data)) as picture:
            pixels = pixel_sha256(picture)
        refuse = f"frame {frame_id} is not exported:"
        if sha256_bytes(data) != stored[0]:
            raise ProvenanceError(f"{refuse} its stored file does not match the file digest its frames row and "
                                  "ledger entry recorded (the file was replaced or edited); restore it from a backup")
        if pixels != stored[1]:
            raise ProvenanceError(f"{refuse} its stored pixels do not match the pixel digest its frames row "
                                  "recorded; restore the file or the database from a backup")
        if leaf is None:
            raise ProvenanceError(f"{refuse} the ledger has no entry for its stored file; run `previs ledger "
                                  "verify` and restore the database from a backup")
        if leaf.pixel_sha256 != stored[1]:
            raise ProvenanceError(f"{refuse} its pixel digest does not match its ledger entry #{leaf.sequence}")
        if leaf.record_sha256 != stored[2]:
            raise ProvenanceError(f"{refuse} its frames row's record does not match ledger entry "
                                  f"#{leaf.sequence} (the record was edited); restore the database from a backup")
        return leaf.sequence


def _frames_against_leaves(work: UnitOfWork) -> list[ChainProblem]:
    """Each frames row (id, file digest, pixel digest, record) against the ledger entry for its file."""
    entries = {row.frame_sha256: row for row in work.ledger.all()}
    problems = []
    for frame_id, file_sha256, pixels, record in work.frames.fingerprints():
        leaf = entries.get(file_sha256)
        if leaf is None:
            problems.append(ChainProblem(0, "record", f"frame {frame_id}: no ledger entry has its file digest "
                                                      "(the frames row's file digest was edited)"))
            continue
        what = [name for name, ok in (("frame id", leaf.frame_id == frame_id), ("pixel digest", leaf.pixel_sha256
                == pixels), ("record", leaf.record_sha256 == record_sha256(record))) if not ok]
        if what:
            problems.append(ChainProblem(leaf.sequence, "record", f"frame {frame_id}: its {' and '.join(what)} "
                                                                  f"no longer match ledger entry #{leaf.sequence}"))
    return problems


def _sequence_of(head: str | None) -> int:
    sequence = (head or "0").partition(":")[0]
    return int(sequence) if sequence.isdigit() else 0


def _with_problems(report: ChainReport, extra: list[ChainProblem]) -> ChainReport:
    """The chain's own problems first (they name the first bad row), then the log's and the frames rows'."""
    if not extra:
        return report
    problems = (*report.problems, *extra)
    return ChainReport(ok=False, checked=report.checked, problems=problems, integrity=report.integrity)

"""The provenance desk: verify any image, walk the ledger, export a frame with its credentials."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from previs.access.permissions import Action, Actor
from previs.app.frames import FrameDesk
from previs.app.recording import FrameRecorder, ledger_entry
from previs.app.requests import Export
from previs.errors import InvalidRequest
from previs.media.uploads import Upload, check_image_file
from previs.provenance.credentials import export_jpeg
from previs.provenance.ledger import ChainReport, runs_past_head, verify_chain
from previs.provenance.soft_binding import SoftMatch, band_keys, joined, nearest
from previs.provenance.verify import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, LedgerMatch, Verification, verify_image
from previs.storage import Database

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
        return verify_image(data, trust_anchors_pem=self._recorder.identity.trust_anchors_pem,
                            lookup=self._ledger_lookup, soft_lookup=self._soft_lookup)

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
            head = self._kept_head()
            with self._database.unit_of_work() as work:
                entries = [ledger_entry(row) for row in work.ledger.all()]
            report = verify_chain(entries, expected_head=head)
            if report.ok or head is None or not runs_past_head(entries, head) or time.monotonic() > deadline:
                return report.with_integrity(self._database.integrity_problems())
            time.sleep(0.02)

    def _kept_head(self) -> str | None:
        """The kept head, read under ``<head>.lock`` (``FrameRecorder._publish_head`` writes it under that lock);
        a read-only data directory has no writer, so there it is read as it is."""
        lock_file = self._recorder.head_file.with_name(self._recorder.head_file.name + ".lock")
        try:
            descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return self._recorder.kept_head()
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # shared locks back to back would starve the writer
            return self._recorder.kept_head()
        finally:
            os.close(descriptor)

    def export(self, frame_id: int, *, image_format: str = "png", actor: Actor) -> Export:
        """The frame as stored (PNG), or a JPEG signed in its own right and entered in the ledger."""
        frame = self._frames.get(frame_id, actor=actor)
        data = Path(frame.path).read_bytes()
        stem = f"previs-{frame.project.replace(' ', '_')}-frame{frame.id}"
        if image_format == "png":
            return Export(frame.id, f"{stem}.png", "image/png", data)
        if image_format not in ("jpeg", "jpg"):
            raise InvalidRequest(f"unknown export format {image_format!r}: use png or jpeg")
        jpeg = export_jpeg(data, record=frame.record.to_json(), identity=self._recorder.identity,
                           title=f"previs frame {frame.id} ({frame.project}), JPEG export")
        self._recorder.enter_copy(frame.id, jpeg, frame.record)
        return Export(frame.id, f"{stem}.jpg", "image/jpeg", jpeg)

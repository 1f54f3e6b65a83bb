"""The provenance desk: verify any image, walk the ledger, export a frame with its credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from previs.access.permissions import Action, Actor
from previs.app.frames import FrameDesk
from previs.app.recording import FrameRecorder, ledger_entry
from previs.app.requests import Export
from previs.errors import InvalidRequest
from previs.media.uploads import Upload, check_image_file
from previs.provenance.credentials import export_jpeg
from previs.provenance.ledger import ChainReport, verify_chain
from previs.provenance.verify import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, LedgerMatch, Verification, verify_image
from previs.storage import Database


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
                            lookup=self._ledger_lookup)

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

    def verify_ledger(self, *, actor: Actor) -> ChainReport:
        """Walk the hash chain against the head kept beside the database."""
        actor.require(Action.VERIFY)
        with self._database.unit_of_work() as work:
            entries = [ledger_entry(row) for row in work.ledger.all()]
        return verify_chain(entries, expected_head=self._recorder.kept_head())

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

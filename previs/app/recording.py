"""Writing frames with their provenance: record, PNG, signed Content Credentials, file, row, ledger entry.

Every front end's frames pass through ``FrameRecorder.store``; what it writes lands together or not at all:
files are placed first and removed again if the transaction holding the frame rows, the consent links and
the ledger entries does not commit. The ledger's head is then kept in a file beside the database, so rows
cut off the end or rewritten wholesale are still caught by ``previs ledger verify``.
"""

from __future__ import annotations

import fcntl
import io
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from previs.generation.limits import GeneratedImage
from previs.media.imaging import encode_png, pixel_sha256, sha256_bytes
from previs.provenance.credentials import Ingredient, sign_image
from previs.provenance.identity import SigningIdentity
from previs.provenance.ledger import LedgerEntry, chain_head, make_entry, record_sha256
from previs.provenance.record import FrameDetails, FrameRecord, InputRecord
from previs.storage import Database, FileStore, PlacedFile, UnitOfWork
from previs.storage.tables import Frame, LedgerRow
from previs.version import __version__

HEAD_FILE = "ledger.head"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InputImage:
    """A picture a frame was made from: kept by sha256 for ``reproduce``, named in the record and manifest."""

    role: str  # figure | performer_photo | parent_frame | mask
    title: str
    png: bytes = field(repr=False)
    feeds: str | None = None  # the generator argument it was given as: init_image | mask_image | None
    ingredient: bool = True  # masks are recorded but are not C2PA ingredients

    @property
    def sha256(self) -> str:
        return sha256_bytes(self.png)


@dataclass(frozen=True)
class FrameContext:
    """What the frames are for and what they relied on, beyond how the generator made them."""

    project: str
    kind: str
    user: str
    parent_id: int | None = None
    scene_id: int | None = None
    shot_id: int | None = None
    grant_ids: Sequence[int] = ()
    inputs: Sequence[InputImage] = ()
    details: FrameDetails = field(default_factory=FrameDetails)  # prompt template, scene, shot, fitting, ...


@dataclass(frozen=True)
class _Prepared:
    generated: GeneratedImage
    record: FrameRecord
    data: bytes
    file_sha256: str


def ledger_entry(row: LedgerRow) -> LedgerEntry:
    return LedgerEntry(sequence=row.sequence, frame_sha256=row.frame_sha256, pixel_sha256=row.pixel_sha256,
                       record_sha256=row.record_sha256, created_at=row.created_at, prev_hash=row.prev_hash,
                       entry_hash=row.entry_hash)


class FrameRecorder:
    """Signs and stores frames; one per studio, so ledger sequence numbers are handed out one at a time."""

    def __init__(self, database: Database, frames: FileStore, inputs: FileStore, identity: SigningIdentity,
                 head_file: Path):
        self.database = database
        self.frames = frames
        self.inputs = inputs
        self.identity = identity
        self.head_file = head_file
        self._lock = threading.Lock()

    def store(self, groups: Sequence[tuple[Sequence[GeneratedImage], FrameContext]],
              before_commit: Callable[[UnitOfWork], None] | None = None) -> list[Frame]:
        """Store every image of every group (e.g. fitting variants and their board), or none.

        ``before_commit`` runs inside the transaction (the consent re-check).
        """
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        prepared = [(self._prepare(generated, context, created_at), context)
                    for images, context in groups for generated in images]
        inputs = {item.sha256: item for _, context in groups for item in context.inputs}
        placed: list[PlacedFile] = []
        with self._lock:
            try:
                for item in inputs.values():
                    placed.append(self.inputs.place(item.sha256, item.png))
                frame_files = [self.frames.place(item.file_sha256, item.data) for item, _ in prepared]
                placed.extend(frame_files)
                with self.database.unit_of_work(appends_to_ledger=True) as work:
                    if before_commit is not None:
                        before_commit(work)
                    rows = self._add_rows(work, prepared, frame_files, created_at)
            except BaseException:
                for file in placed:
                    file.undo()
                raise
            self._publish_head()  # after the commit: the stored frames stand whatever happens to the head
        return rows

    def _prepare(self, generated: GeneratedImage, context: FrameContext, created_at: str) -> _Prepared:
        record = FrameRecord(
            frame_uid=uuid.uuid4().hex, previs_version=__version__, kind=context.kind, project=context.project,
            created_by=context.user, created_at=created_at, parent_frame_id=context.parent_id,
            consent_grants=tuple(context.grant_ids),
            inputs=tuple(InputRecord(item.role, item.title, item.sha256, item.feeds) for item in context.inputs),
            sha256=pixel_sha256(generated.image), generation=generated.generation, details=context.details,
        )
        written = record.to_json()
        png = encode_png(generated.image, written)
        ingredients = [Ingredient(item.png, "image/png", item.title) for item in context.inputs if item.ingredient]
        title = f"previs {context.kind} frame {record.frame_uid[:12]} ({context.project})"
        signed = sign_image(png, "image/png", record=written, identity=self.identity, title=title,
                            ingredients=ingredients)
        return _Prepared(generated, record, signed, sha256_bytes(signed))

    def _add_rows(self, work: UnitOfWork, prepared: list[tuple[_Prepared, FrameContext]],
                  placed: list[PlacedFile], created_at: str) -> list[Frame]:
        last_row = work.ledger.last()
        last = None if last_row is None else ledger_entry(last_row)
        rows = []
        for (item, context), file in zip(prepared, placed, strict=True):
            row = work.frames.add(
                project=work.projects.get_or_create(context.project), kind=context.kind,
                sha256=item.record.sha256, file_sha256=item.file_sha256, path=file.relative_path,
                width=item.generated.image.width, height=item.generated.image.height, seed=item.generated.seed,
                model=item.generated.generation.model.name, record=item.record.to_json(), parent_id=context.parent_id,
                created_by=context.user, scene_id=context.scene_id, shot_id=context.shot_id,
            )
            for grant_id in context.grant_ids:
                work.consent.link_frame(row.id, grant_id)
            last = self._append(work, last, row.id, item.file_sha256, item.record.sha256, item.record,
                                created_at)
            rows.append(row)
        return rows

    def enter_copy(self, frame_id: int, data: bytes, record: FrameRecord) -> None:
        """Enter an exported copy of a frame (a signed JPEG: other bytes, other pixels) in the ledger."""
        with Image.open(io.BytesIO(data)) as decoded:
            pixels = pixel_sha256(decoded)
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            with self.database.unit_of_work(appends_to_ledger=True) as work:
                last_row = work.ledger.last()
                self._append(work, None if last_row is None else ledger_entry(last_row), frame_id,
                             sha256_bytes(data), pixels, record, created_at)
            self._publish_head()

    @staticmethod
    def _append(work: UnitOfWork, previous: LedgerEntry | None, frame_id: int, file_sha256: str, pixels: str,
                record: FrameRecord, created_at: str) -> LedgerEntry:
        entry = make_entry(previous, frame_sha256=file_sha256, pixel_sha256=pixels,
                           record_sha256=record_sha256(record.to_json()), created_at=created_at)
        work.ledger.add(frame_id=frame_id, **asdict(entry))
        return entry

    def _publish_head(self) -> None:
        """Keep the head of the committed ledger beside the database.

        Any number of processes may append: under a lock on ``ledger.head.lock`` the newest committed entry is
        read and written, so the last writer leaves the true head whatever order the commits came in. A failure
        (a full disk) must not undo frames already committed: it is logged, ``ledger verify`` reports the stale
        head meanwhile, and the next stored frame writes the head again.
        """
        try:
            with open(self.head_file.with_name(self.head_file.name + ".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                with self.database.unit_of_work() as work:
                    newest = work.ledger.last()
                    last = None if newest is None else ledger_entry(newest)
                self._keep_head(last)
        except OSError as error:
            log.error("frames were stored, but the ledger head %s could not be written (%s); the next stored "
                      "frame writes it again", self.head_file, error.strerror or error)

    def _keep_head(self, last: LedgerEntry | None) -> None:
        """Write the head atomically; the ledger rows are committed already, so a failure here is reported."""
        handle, temporary = tempfile.mkstemp(dir=self.head_file.parent, prefix=".head-")
        with os.fdopen(handle, "w") as stream:
            stream.write(chain_head(last) + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, self.head_file)

    def kept_head(self) -> str | None:
        try:
            return self.head_file.read_text().strip() or None
        except FileNotFoundError:
            return None

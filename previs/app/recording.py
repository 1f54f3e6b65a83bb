"""Writing frames with their provenance: record, PNG, signed Content Credentials, file, row, ledger entry.

Every front end's frames pass through ``FrameRecorder.store``; what it writes lands together or not at all,
whichever instruction a crash interrupts: the files are staged out of sight (``previs.storage.staging``), the
frame rows, consent links and ledger entries are committed in one transaction, and only then are the files
published into ``frames/`` and ``inputs/``. Recovery on the next open (``previs.app.recovery``) publishes or
deletes what a dead process left staged. The ledger's head is then kept in a file beside the database, so
rows cut off the end or rewritten wholesale are still caught by ``previs ledger verify``.
"""

from __future__ import annotations

import fcntl
import io
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from previs.app.transparency import CHECKPOINT_FILE, LogKeeper, ledger_entry
from previs.generation.limits import GeneratedImage
from previs.media.imaging import encode_png, pixel_sha256, sha256_bytes
from previs.provenance.credentials import Ingredient, sign_image
from previs.provenance.identity import SigningIdentity
from previs.provenance.ledger import LedgerEntry, chain_head, make_entry, record_sha256
from previs.provenance.record import FrameDetails, FrameRecord, InputRecord
from previs.provenance.soft_binding import INDEXED_CROPS, assertion, bands, crop_codes
from previs.storage import Database, FileStore, UnitOfWork
from previs.storage.files import write_durably
from previs.storage.moves import carry_out_moves
from previs.storage.staging import Batch, StagedFile, Staging
from previs.storage.tables import Frame
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
    frame: int | None = None  # an earlier frame of the same store (its index there): ``png`` becomes its signed file

    @classmethod
    def stored_frame(cls, role: str, title: str, index: int) -> InputImage:
        """An input that is another frame of the same store (a board's variant): its signed file, with its manifest,
        is only known once that frame is signed, so the bytes are filled in by ``FrameRecorder.store``."""
        return cls(role, title, b"", frame=index)

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
    codes: list[tuple[int, int]]  # (crop, ISCC image code) the frame is indexed under


def _head_sequence(head: str) -> int:
    return int(head.split(":", 1)[0])


class FrameRecorder:
    """Signs and stores frames; one per studio, so ledger sequence numbers are handed out one at a time."""

    def __init__(self, database: Database, frames: FileStore, inputs: FileStore, identity: SigningIdentity,
                 head_file: Path, origin: str = "previs/studio"):
        self.database = database
        self.log = LogKeeper(database, identity, origin)  # signs the checkpoint kept beside the head
        self.checkpoint_file = head_file.with_name(CHECKPOINT_FILE)
        self.frames = frames
        self.inputs = inputs
        self.identity = identity
        self.head_file = head_file
        self._staging = Staging(frames.home)
        self._unfinished: list[tuple[Batch, list[int]]] = []  # committed, not yet published: retried next store
        self._lock = threading.Lock()

    def store(self, groups: Sequence[tuple[Sequence[GeneratedImage], FrameContext]],
              before_commit: Callable[[UnitOfWork], None] | None = None) -> list[Frame]:
        """Store every image of every group (e.g. fitting variants and their board), or none.

        ``before_commit`` runs inside the transaction (the consent re-check).
        """
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        prepared: list[tuple[_Prepared, FrameContext]] = []
        for images, context in groups:
            context = replace(context, inputs=[item if item.frame is None else
                                               replace(item, png=prepared[item.frame][0].data, frame=None)
                                               for item in context.inputs])
            prepared += [(self._prepare(generated, context, created_at), context) for generated in images]
        inputs = {item.sha256: item for _, context in prepared for item in context.inputs}
        with self._lock:
            self._finish_left()
            batch = self._staging.batch()
            try:
                for item in inputs.values():
                    batch.stage(self.inputs, item.sha256, item.png)
                frame_files = [batch.stage(self.frames, item.file_sha256, item.data) for item, _ in prepared]
                with self.database.unit_of_work(serialised=True) as work:
                    if before_commit is not None:
                        before_commit(work)
                    rows, last = self._add_rows(work, prepared, frame_files, created_at)
                    batch.note(chain_head(last))  # recovery's proof that this transaction committed
            except BaseException:
                batch.discard()
                raise
            self._after_commit(batch, [row.id for row in rows])
        return rows

    def _after_commit(self, batch: Batch, frame_ids: list[int]) -> None:
        """Publish the files, the withdrawals they raced with, the head. The rows are committed: nothing here
        may undo them, and what fails is finished later (the next store, or recovery once this process ends)."""
        try:
            batch.publish()
        except OSError as error:
            self._unfinished.append((batch, frame_ids))
            log.error("frames were stored, but their files could not be moved into place (%s); retried at the "
                      "next stored frame and on the next start", error.strerror or error)
            return
        if frame_ids:  # a withdrawal committed between this commit and the publishing left these moves to us
            carry_out_moves(self.database, self.frames.home, frame_ids)
        if self._publish_head():
            batch.discard()  # else its note lets recovery keep the head once this process is gone

    def _finish_left(self) -> None:
        left, self._unfinished = self._unfinished, []
        for batch, frame_ids in left:
            self._after_commit(batch, frame_ids)

    def _prepare(self, generated: GeneratedImage, context: FrameContext, created_at: str) -> _Prepared:
        record = FrameRecord(
            frame_uid=uuid.uuid4().hex, previs_version=__version__, kind=context.kind, project=context.project,
            created_by=context.user, created_at=created_at, parent_frame_id=context.parent_id,
            consent_grants=tuple(context.grant_ids),
            inputs=tuple(InputRecord(item.role, item.title, item.sha256, item.feeds) for item in context.inputs),
            sha256=pixel_sha256(generated.image), generation=generated.generation, details=context.details,
            worker=generated.worker,
        )
        written = record.to_json()
        png = encode_png(generated.image, written)
        ingredients = [Ingredient(item.png, "image/png", item.title) for item in context.inputs if item.ingredient]
        title = f"previs {context.kind} frame {record.frame_uid[:12]} ({context.project})"
        codes = crop_codes(generated.image, INDEXED_CROPS)
        signed = sign_image(png, "image/png", record=written, identity=self.identity, title=title,
                            ingredients=ingredients, soft_binding=assertion(codes[0][1]))
        return _Prepared(generated, record, signed, sha256_bytes(signed), codes)

    def _add_rows(self, work: UnitOfWork, prepared: list[tuple[_Prepared, FrameContext]],
                  placed: list[StagedFile], created_at: str) -> tuple[list[Frame], LedgerEntry]:
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
            work.soft_bindings.add_many([{"frame_id": row.id, "crop": crop,
                                          **{f"band{i}": band for i, band in enumerate(bands(code))}}
                                         for crop, code in item.codes])
            last = self._append(work, last, row.id, item.file_sha256, item.record.sha256, item.record,
                                created_at)
            self.log.record(work, last, row.id)
            rows.append(row)
        assert last is not None  # every store has at least one frame
        return rows, last

    def enter_copy(self, frame_id: int, data: bytes, record: FrameRecord) -> None:
        """Enter an exported copy of a frame (a signed JPEG: other bytes, other pixels) in the ledger."""
        with Image.open(io.BytesIO(data)) as decoded:
            pixels = pixel_sha256(decoded)
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            batch = self._staging.batch()
            try:
                with self.database.unit_of_work(serialised=True) as work:
                    last_row = work.ledger.last()
                    entry = self._append(work, None if last_row is None else ledger_entry(last_row), frame_id,
                                         sha256_bytes(data), pixels, record, created_at)
                    self.log.record(work, entry, frame_id)
                    batch.note(chain_head(entry))
            except BaseException:
                batch.discard()
                raise
            self._after_commit(batch, [])

    @staticmethod
    def _append(work: UnitOfWork, previous: LedgerEntry | None, frame_id: int, file_sha256: str, pixels: str,
                record: FrameRecord, created_at: str) -> LedgerEntry:
        entry = make_entry(previous, frame_sha256=file_sha256, pixel_sha256=pixels,
                           record_sha256=record_sha256(record.to_json()), created_at=created_at)
        work.ledger.add(frame_id=frame_id, **asdict(entry))
        return entry

    def _publish_head(self) -> bool:
        """Keep the head of the committed ledger beside the database; False when it could not be written.

        Any number of processes may append: under a lock on ``ledger.head.lock`` the newest committed entry is
        read and written, so the last writer leaves the true head whatever order the commits came in. A failure
        (a full disk) must not undo frames already committed: it is logged, ``ledger verify`` reports the stale
        head meanwhile, and the next stored frame (or recovery, from the batch's note) writes the head again.
        """
        try:
            with self._head_lock():
                with self.database.unit_of_work() as work:
                    newest = work.ledger.last()
                    last = None if newest is None else ledger_entry(newest)
                self._keep_head(last)
        except OSError as error:
            log.error("frames were stored, but the ledger head %s could not be written (%s); the next stored "
                      "frame writes it again", self.head_file, error.strerror or error)
            return False
        return True

    def adopt_heads(self, heads: Sequence[str]) -> None:
        """Recovery: dead processes committed these heads (their batches' notes) but may have died before
        keeping them. The furthest is kept if it is past the kept head; rows past it stay unexplained, so a
        tail appended behind previs's back is still reported."""
        if not heads:
            return
        with self._head_lock():
            kept = self.kept_head()
            furthest = max(heads, key=_head_sequence)
            if kept is None or _head_sequence(furthest) > _head_sequence(kept):
                write_durably(self.checkpoint_file, self.log.signed_at(_head_sequence(furthest)).encode())
                write_durably(self.head_file, (furthest + "\n").encode())

    @contextmanager
    def _head_lock(self) -> Iterator[None]:
        with open(self.head_file.with_name(self.head_file.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _keep_head(self, last: LedgerEntry | None) -> None:
        """Write the signed checkpoint, then the head, atomically; the ledger rows are committed already, so a
        failure here is reported. The checkpoint covers every committed row, so it is never behind the head."""
        write_durably(self.checkpoint_file, self.log.signed_current().encode())
        write_durably(self.head_file, (chain_head(last) + "\n").encode())

    def kept_checkpoint(self) -> str | None:
        try:
            return self.checkpoint_file.read_text() or None
        except FileNotFoundError:
            return None

    def kept_head(self) -> str | None:
        try:
            return self.head_file.read_text().strip() or None
        except FileNotFoundError:
            return None

"""Recovery on open: finish or undo what a process that died (kill -9, power cut, full disk) left behind.

Run by ``open_studio`` every time, and cheap when there is nothing to do (a folder listing and one query):

1. staging folders of dead processes: a batch whose note names a ledger entry that was committed is
   published, any other deleted (``previs.storage.staging``), and the furthest such note becomes the kept
   ledger head if the process died before writing it; live processes' folders are locked and left alone;
2. withdrawals whose file moves were journalled but not all done are finished (``previs.storage.moves``);
3. once per data directory (until ``files.checked`` exists, e.g. after an upgrade from older previs, which
   placed files before committing), the stores are swept: files in ``frames/`` that no row names, and files
   in ``inputs/`` that no frame's record names, are deleted. Files reach those folders only after their rows
   commit, so listing the folders before reading the rows never deletes another live process's new file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from previs.app.recording import FrameRecorder
from previs.storage import Database, FileStore
from previs.storage.files import FRAMES, INPUTS
from previs.storage.moves import carry_out_moves
from previs.storage.staging import recover_dead

SWEPT_MARKER = "files.checked"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recovery:
    published: int  # dead processes' staged batches whose rows were committed, now in place (others: deleted)
    moved: int  # withdrawn frames' files taken out of reach
    swept: int  # files no row needed, deleted by the one-time sweep


def recover(database: Database, home: Path, recorder: FrameRecorder) -> Recovery:
    heads = recover_dead(home, lambda note: _committed(database, note))
    recorder.adopt_heads([head.strip() for head in heads])
    moved = carry_out_moves(database, home)
    swept = 0
    if not (home / SWEPT_MARKER).exists():
        try:
            swept = _sweep(database, home)
        except OSError as error:  # a full disk, say: the sweep is tried again on the next open
            log.error("could not check the stores of %s for stray files (%s)", home, error.strerror or error)
    result = Recovery(len(heads), moved, swept)
    if result != Recovery(0, 0, 0):
        log.warning("recovered the data directory %s after an interrupted run: %s", home, result)
    return result


def _committed(database: Database, head: str) -> bool:
    """Whether the ledger holds the entry a batch's note names (the last one its transaction appended)."""
    sequence, _, entry_hash = head.strip().partition(":")
    with database.unit_of_work() as work:
        return work.ledger.has_entry(int(sequence), entry_hash)


def _sweep(database: Database, home: Path) -> int:
    """Delete the files of ``frames/`` and ``inputs/`` that nothing needs, then leave the marker."""
    on_disk = {folder: [path for path in (home / folder).glob("*/*") if path.is_file()] for folder in (FRAMES, INPUTS)}
    with database.unit_of_work() as work:  # after the listing: a file listed has its row committed already
        needed = work.frames.paths() | {move.source for move in work.file_moves.pending()}
        inputs = FileStore(home, INPUTS)  # a record names its input pictures by sha256 (InputRecord)
        needed |= {inputs.relative_path(item["sha256"]) for record in work.frames.records()
                   for item in record.get("inputs", ())}
    swept = 0
    for paths in on_disk.values():
        for path in paths:
            if path.relative_to(home).as_posix() not in needed:
                path.unlink(missing_ok=True)
                swept += 1
    (home / SWEPT_MARKER).write_text("frames/ and inputs/ hold only files that rows need\n")
    return swept

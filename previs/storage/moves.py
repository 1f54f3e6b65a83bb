"""Withdrawn frames' files: the moves are journalled in the transaction that withdraws, and done after it.

The transaction that marks frames withdrawn also records, per file, where it goes (``file_moves``: a target
in ``withdrawn/``, or none to delete it), so a rollback leaves the files untouched and a commit cannot be
followed by a crash that forgets them. After the commit, the withdrawing process (or recovery on the next
open, if it died) carries each move out and clears its entry. Every step may be repeated: a move is a
rename within the data directory (atomic, and needing no free space), a deletion ignores a file already
gone. A move whose source a live writer still holds staged (a frame committed just before the withdrawal,
not yet published) waits for that writer, which carries out its frames' moves right after publishing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection
from pathlib import Path

from previs.storage.database import Database
from previs.storage.files import sync_directory
from previs.storage.staging import staged_anywhere

log = logging.getLogger(__name__)


def carry_out_moves(database: Database, home: Path, frame_ids: Collection[int] | None = None) -> int:
    """Carry out the pending moves (of these frames, or all); those that fail stay pending. Returns how many
    were done."""
    with database.unit_of_work() as work:
        pending = [(move.id, move.source, move.target) for move in work.file_moves.pending(frame_ids)]
    done = [move_id for move_id, source, target in pending if _carry_out(home, source, target)]
    if done:
        with database.unit_of_work() as work:
            work.file_moves.clear(done)
    return len(done)


def _carry_out(home: Path, source: str, target: str | None) -> bool:
    """Take ``source`` out of its folder: renamed to ``target``, or deleted when there is none."""
    if staged_anywhere(home, source):
        return False  # not published yet: its writer (or recovery) publishes it, then moves it
    path = home / source
    try:
        if target is None:
            path.unlink(missing_ok=True)
        else:
            destination = home / target
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(path, destination)
            except FileNotFoundError:
                pass  # moved already (an earlier attempt, or another process)
            else:
                sync_directory(destination.parent)
        if path.parent.is_dir():
            sync_directory(path.parent)
    except OSError as error:
        log.error("could not take %s out of reach (%s); it is retried on the next open", path,
                  error.strerror or error)
        return False
    return True

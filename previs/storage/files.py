"""Content-addressed file stores (``frames/ab/abcdef....png`` under the data directory) and durable writes.

Every file previs writes goes through ``write_durably``: a temporary name, flushed to disk, renamed into
place, so no reader ever sees half a file. Frames and their inputs are not placed directly: they are staged
(``previs.storage.staging``) and published once the rows naming them are committed. ``place`` serves the
stores written outside a frame transaction (consent evidence).
"""

from __future__ import annotations

import errno
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from previs.errors import StorageError, StorageFull

FRAMES, INPUTS, WITHDRAWN = "frames", "inputs", "withdrawn"  # the stores' folders under the data directory
_FULL = (errno.ENOSPC, errno.EDQUOT)


def disk_full(home: Path) -> StorageError:
    """The one message for a full disk (or quota): users can act on it, and it promises nothing half-written."""
    return StorageFull(f"the disk holding {home} is full: nothing was stored; free space and retry")


def storage_failure(home: Path, error: OSError) -> StorageError:
    """An OSError as a user reads it: the full-disk line, or what failed where."""
    if error.errno in _FULL:
        return disk_full(home)
    return StorageError(f"cannot write files under {home}: {error.strerror or error}; nothing was stored")


def write_durably(target: Path, data: bytes) -> None:
    """Write ``target`` whole or not at all (temporary name, fsync, rename); OSError is the caller's to name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sync_directory(directory: Path) -> None:
    """Make the names just created or removed in ``directory`` survive a power cut, not only a killed process."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


@dataclass(frozen=True)
class PlacedFile:
    relative_path: str
    absolute_path: Path
    created: bool  # False when an identical file was already stored (then undo leaves it alone)

    def undo(self) -> None:
        if self.created:
            self.absolute_path.unlink(missing_ok=True)


class FileStore:
    """Stores and finds files by sha256 in one folder (frames, evidence, inputs, ...); names never come from
    user input."""

    def __init__(self, home: Path, folder: str = FRAMES):
        self.home = home
        self.folder = folder

    @property
    def directory(self) -> Path:
        return self.home / self.folder

    def relative_path(self, sha256: str, suffix: str = ".png") -> str:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise StorageError(f"not a sha256 digest: {sha256!r}")
        return f"{self.folder}/{sha256[:2]}/{sha256}{suffix}"

    def absolute(self, relative_path: str) -> Path:
        return self.home / relative_path

    def place(self, sha256: str, data: bytes, suffix: str = ".png") -> PlacedFile:
        relative = self.relative_path(sha256, suffix)
        target = self.absolute(relative)
        if target.is_file():
            return PlacedFile(relative, target, created=False)
        try:
            write_durably(target, data)
        except OSError as error:
            raise storage_failure(self.home, error) from error
        return PlacedFile(relative, target, created=True)

    def read(self, relative_path: str) -> bytes:
        return self.absolute(relative_path).read_bytes()

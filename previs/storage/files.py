"""Frame files, content-addressed: ``frames/ab/abcdef....png`` under the data directory.

A file is written to a temporary name, flushed to disk and renamed into place, so no reader sees half a file.
``place`` returns an undo for the caller's transaction to run if the matching database row is not committed.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from previs.errors import StorageError


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

    def __init__(self, home: Path, folder: str = "frames"):
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
        except OSError as error:
            raise StorageError(f"cannot write frame file under {self.home}: {error.strerror or error}") from error
        return PlacedFile(relative, target, created=True)

    def read(self, relative_path: str) -> bytes:
        return self.absolute(relative_path).read_bytes()

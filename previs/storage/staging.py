"""Staging: new frame files wait out of sight until the rows naming them are committed, then are published.

A crash at any instruction leaves each batch (the files of one transaction) whole or absent:

1. stage: every new file is written durably into ``staging/<process>/<batch>/``, a folder no front end serves,
   and the final folders are made, so that publishing needs no space;
2. commit: inside its transaction, the caller leaves a note in the batch (durably) saying how to tell that
   the transaction committed (the ledger head it appends), then commits the rows, which name the final paths;
3. publish: each staged file is renamed to its final path (same filesystem, so atomic), the folders synced;
   once the caller has done all it does after the commit, the batch folder is removed.

Each process stages in its own folder and holds an flock on its ``lock`` file for as long as it lives, so
``recover_dead`` (run on every open) only ever touches the folders of processes that are gone: a batch whose
note shows a commit is published, any other (no note: it never reached its commit) is deleted.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from previs.storage.files import FileStore, storage_failure, sync_directory, write_durably

STAGING, LOCK, NOTE = "staging", "lock", "note"
_SEPARATOR = "~"  # a staged file's name is its final relative path with this for "/": one flat folder per batch


def _staged_name(relative_path: str) -> str:
    return relative_path.replace("/", _SEPARATOR)


@dataclass(frozen=True)
class StagedFile:
    relative_path: str  # the final path, relative to the data directory: what the rows name
    staged: Path | None  # None when an identical file is already in place (nothing to publish)


class Batch:
    """The files of one transaction: staged together, then published together or discarded together."""

    def __init__(self, owner: Staging, directory: Path):
        self.home = owner.home
        self.directory = directory
        self.files: list[StagedFile] = []
        self._owner = owner  # its lock must outlive the batch: a released lock lets recovery delete the files

    def stage(self, store: FileStore, sha256: str, data: bytes) -> StagedFile:
        relative = store.relative_path(sha256)
        final = self.home / relative
        if final.is_file():  # content-addressed: the same bytes are already published
            staged = StagedFile(relative, None)
        else:
            path = self.directory / _staged_name(relative)
            try:
                final.parent.mkdir(parents=True, exist_ok=True)
                self.directory.mkdir(exist_ok=True)
                write_durably(path, data)
            except OSError as error:
                raise storage_failure(self.home, error) from error
            staged = StagedFile(relative, path)
        self.files.append(staged)
        return staged

    def note(self, text: str) -> None:
        """Leave, before the commit, what recovery needs to tell whether it happened; syncs the staged names."""
        try:
            write_durably(self.directory / NOTE, text.encode())
            sync_directory(self.directory)
        except OSError as error:
            raise storage_failure(self.home, error) from error

    def publish(self) -> None:
        """Move the staged files to their final paths; safe to call again after a failure part-way."""
        folders = set()
        for file in self.files:
            if file.staged is not None and file.staged.exists():
                final = self.home / file.relative_path
                os.replace(file.staged, final)
                folders.add(final.parent)
        for folder in folders:
            sync_directory(folder)

    def discard(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class Staging:
    """This process's staging folder, claimed on first use and locked until the process ends."""

    def __init__(self, home: Path):
        self.home = home
        self._directory: Path | None = None
        self._lock: IO[str] | None = None
        self._claiming = threading.Lock()

    def batch(self) -> Batch:
        with self._claiming:
            if self._directory is None:
                try:
                    self._directory, self._lock = _claim(self.home / STAGING)
                except OSError as error:
                    raise storage_failure(self.home, error) from error
            return Batch(self, self._directory / uuid.uuid4().hex)


def _claim(root: Path) -> tuple[Path, IO[str]]:
    """A new folder under ``root`` with its lock held. Recovery elsewhere may take a folder's lock in the
    instant between making it and locking it, and delete it: then the lock file is no longer the one held,
    and another folder is claimed."""
    while True:
        directory = root / uuid.uuid4().hex
        directory.mkdir(parents=True)
        try:
            lock = open(directory / LOCK, "a")  # noqa: SIM115 - held for the life of the process
        except FileNotFoundError:
            continue
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if os.stat(directory / LOCK).st_ino == os.fstat(lock.fileno()).st_ino:
                return directory, lock
        except FileNotFoundError:
            pass
        lock.close()


def staged_anywhere(home: Path, relative_path: str) -> bool:
    """Whether some process (live, or dead and not yet recovered) still holds this file staged."""
    return any((home / STAGING).glob(f"*/*/{_staged_name(relative_path)}"))


def recover_dead(home: Path, committed: Callable[[str], bool]) -> list[str]:
    """Publish or delete what dead processes left staged (live ones' folders are left alone); returns the
    notes of the batches found committed. ``committed`` answers, from a batch's note, whether it committed."""
    root = home / STAGING
    notes = []
    for directory in sorted(root.iterdir()) if root.is_dir() else ():
        try:
            lock = open(directory / LOCK, "a")  # noqa: SIM115 - closed below
        except (FileNotFoundError, NotADirectoryError):
            continue  # removed meanwhile by another recovery, or a stray file
        with lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive
            for batch in sorted(path for path in directory.iterdir() if path.is_dir()):
                note = _settle(home, batch, committed)
                if note is not None:
                    notes.append(note)
            (directory / LOCK).unlink(missing_ok=True)
            shutil.rmtree(directory, ignore_errors=True)
    return notes


def _settle(home: Path, batch: Path, committed: Callable[[str], bool]) -> str | None:
    """Publish the batch if its note shows its transaction committed, else delete it; the note if it did."""
    try:
        note: str | None = (batch / NOTE).read_text()
    except FileNotFoundError:
        note = None  # it never reached its commit
    if note is not None and committed(note):
        for path in batch.iterdir():
            if path.name != NOTE and not path.name.startswith("."):  # "." names: temporaries of cut-off writes
                final = home / path.name.replace(_SEPARATOR, "/")
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, final)
                sync_directory(final.parent)
    else:
        note = None
    shutil.rmtree(batch, ignore_errors=True)
    return note

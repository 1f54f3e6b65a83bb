"""The data directory and its database belong together: one studio id in ``studio.json`` and in the database.

Opening is done under the data directory's lock (``.previs.lock``), so simultaneous first opens create one
studio. A data directory with evidence of use (its studio.json, a ledger head, frame files) whose database is
missing or empty is refused, as is a database holding another studio's id: carrying on would start a new
ledger at entry 1 and wipe the tamper evidence. ``set_aside`` is the explicit way to start over; it moves the
old state into ``set-aside-<time>/`` and deletes nothing. A data directory previs cannot write is opened
read-only, without lock, migrations or any write.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from previs.errors import DataDirectoryRefused, InvalidRequest
from previs.storage.database import Database, sqlite_file
from previs.storage.failures import describe

STUDIO_FILE = "studio.json"
LOCK_FILE = ".previs.lock"
# What a fresh start moves aside besides the ledger head: everything that belongs to the old database. The
# signing identity, the users file and the models stay: they are the studio's, not the database's.
_DATABASE_STATE = (STUDIO_FILE, "frames", "withdrawn", "inputs", "evidence")
_READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)


def keep_private() -> None:
    """Everything this process creates from now on is its user's alone (files 0600, folders 0700), whatever
    umask it was started with: SQLite, Alembic, the stores and the signing keys all create files."""
    os.umask(os.umask(0o077) | 0o077)


@dataclass(frozen=True)
class OpenedStudio:
    database: Database
    studio_id: str
    created: bool  # this open made the studio: the one time a local signing identity may be made


class DataDirectory:
    """A studio's folder: its lock, its studio.json, and the checks that pair it with its database."""

    def __init__(self, home: Path, *, head_file: str):
        self.home = home
        self.head_file = head_file  # the ledger head the frame recorder keeps here: evidence of a studio

    @property
    def studio_file(self) -> Path:
        return self.home / STUDIO_FILE

    def read_only(self) -> str | None:
        """Why previs may only read here (an audit snapshot, a read-only mount), or None when it may write."""
        if not self.home.exists() or os.access(self.home, os.W_OK | os.X_OK):
            try:
                os.close(os.open(self.home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644))
                return None
            except FileNotFoundError:
                return None  # the folder is made on open
            except OSError as error:
                if error.errno not in _READ_ONLY_ERRNOS:
                    raise
        return f"the data directory {self.home} is read-only"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the data directory's lock: checks, migrations and first creation happen one process at a time."""
        keep_private()
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InvalidRequest(f"cannot use {self.home} as the data directory ({error.strerror}): set "
                                 "PREVIS_HOME to a writable folder") from error
        self._make_private()
        descriptor = os.open(self.home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    def _make_private(self) -> None:
        """The data directory 0700 and its top-level files 0600, however older previs or a umask left them.

        Performers, grants and the audit are in the database: no other local user may read it. Deeper files
        need no visit: with the folder closed to them, nothing inside can be reached.
        """
        if self.home.stat().st_uid != os.getuid():
            return  # a folder someone else owns (a shared mount): its owner sets its modes
        self.home.chmod(0o700)
        for entry in self.home.iterdir():
            if entry.is_symlink():
                continue
            entry.chmod(0o700 if entry.is_dir() else 0o600)

    def open(self, url: str, *, read_only: str | None) -> OpenedStudio:
        """Open the database that belongs here, making the studio on first use; refuse a lost or wrong one.

        Call it under ``locked()`` unless ``read_only``.
        """
        recorded = self._recorded_id()
        path = sqlite_file(url)
        if path is not None and not path.exists():
            self._refuse_if_used(url, "is missing")
            if read_only:
                raise DataDirectoryRefused(f"{read_only} and holds no database {path}: nothing to read")
        database = Database(url, read_only=read_only)
        try:
            opened = self._pair(database, recorded, url, read_only)
        except BaseException:
            database.close()
            raise
        if not read_only and recorded != opened.studio_id:
            self._write_studio_file(opened.studio_id)
        return opened

    def _pair(self, database: Database, recorded: str | None, url: str, read_only: str | None) -> OpenedStudio:
        with database.unit_of_work() as work:
            stored, used = work.studio.get("studio_id"), work.studio.holds_frames()
        if stored is not None and recorded is not None and stored != recorded:
            raise DataDirectoryRefused(
                f"the database {describe(url)} belongs to studio {stored}, but {self.home} is studio {recorded}: "
                "point PREVIS_DATABASE_URL (or PREVIS_HOME) at the pair that belongs together"
            )
        if stored is not None or read_only:
            return OpenedStudio(database, stored or recorded or "", created=False)
        if not used:
            self._refuse_if_used(url, "is empty")
        studio_id = recorded or uuid.uuid4().hex
        with database.unit_of_work() as work:
            work.studio.put("studio_id", studio_id)
            # A database with frames but no id was made by a previs from before studio ids: it is adopted.
            work.studio.record("adopted" if used else "created", f"studio {studio_id} in {self.home}")
        return OpenedStudio(database, studio_id, created=not used)

    def _recorded_id(self) -> str | None:
        try:
            text = self.studio_file.read_text()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise DataDirectoryRefused(f"cannot read {self.studio_file}: {error.strerror}") from error
        try:
            studio_id = json.loads(text)["studio_id"]
        except (ValueError, KeyError, TypeError) as error:
            raise DataDirectoryRefused(
                f"{self.studio_file} is damaged (no studio_id): restore it from a backup, or delete it to let "
                "the database name the studio again"
            ) from error
        return str(studio_id)

    def _write_studio_file(self, studio_id: str) -> None:
        """Written after the database holds the id, so a crash in between leaves a studio that opens again."""
        temporary = self.studio_file.with_name(f".{STUDIO_FILE}.tmp")
        with open(temporary, "w") as stream:
            json.dump({"studio_id": studio_id, "written_at": datetime.now(UTC).isoformat(timespec="seconds")},
                      stream)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, self.studio_file)

    def evidence(self) -> list[str]:
        """What shows that a studio lived here: its studio.json, its ledger head, its frame files."""
        found = []
        recorded = self._recorded_id()
        if recorded is not None:
            found.append(f"studio {recorded}")
        frames = self.home / "frames"
        count = sum(1 for _ in frames.rglob("*.png")) if frames.is_dir() else 0
        if count:
            found.append(f"{count} frame file{'s' if count != 1 else ''}")
        try:
            head = (self.home / self.head_file).read_text().strip()
        except OSError:
            head = ""
        if head:
            found.append(f"ledger head at entry {head.partition(':')[0]}")
        return found

    def _refuse_if_used(self, url: str, state: str) -> None:
        found = self.evidence()
        if not found:
            return
        restore = "restore previs.db from a backup" if sqlite_file(url) else "restore the database from a backup"
        raise DataDirectoryRefused(
            f"the database {describe(url)} {state} but {self.home} holds a studio ({', '.join(found)}): {restore}, "
            "or start over explicitly with `previs init --new-database` (the old files are kept aside)",
            remedy="--new-database",
        )

    def aside_folder(self) -> Path:
        """A new ``set-aside-<time>/`` folder: where starting over keeps what it replaced."""
        folder = self.home / f"set-aside-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"
        folder.mkdir()
        return folder

    def set_aside(self, url: str) -> Path:
        """Move the old database's state (and a SQLite file, if any) into a new ``aside_folder``."""
        folder = self.aside_folder()
        path = sqlite_file(url)
        names = [*_DATABASE_STATE, self.head_file, f"{self.head_file}.lock"]
        if path is not None and path.parent == self.home:
            names += [path.name, f"{path.name}-wal", f"{path.name}-shm"]
        for name in names:
            if (self.home / name).exists():
                os.replace(self.home / name, folder / name)
        return folder

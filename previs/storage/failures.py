"""Database driver errors as one-line ``StorageError`` kinds a user can act on.

What failed and what to do: locked past the busy timeout, disk full, read-only, damaged, or anything else.
The message never carries SQL, parameters or a password; the raw error goes to the log (``logging`` at INFO,
logger ``previs.storage.failures``), where an operator who configured logging finds it.
"""

from __future__ import annotations

import errno
import logging

from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from previs.errors import StorageBusy, StorageDamaged, StorageError, StorageFull, StorageReadOnly

log = logging.getLogger(__name__)

# SQLite result codes (sqlite3.Error.sqlite_errorname) and PostgreSQL SQLSTATEs, by what they mean to a user.
_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED", "55P03", "40P01", "57014"}
_FULL = {"SQLITE_FULL", "53100"}
_READ_ONLY = {"SQLITE_READONLY", "25006"}
_DAMAGED = {"SQLITE_CORRUPT", "SQLITE_NOTADB", "XX001", "XX002"}
_READS = ("SELECT", "PRAGMA", "WITH")


def describe(url: str) -> str:
    """How messages name a database: the SQLite file, or the URL without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


def storage_error(error: SQLAlchemyError, *, where: str, read_only: str | None = None,
                  opening: bool = False) -> StorageError:
    """The user's one line for ``error``; ``read_only`` is why the database was opened read-only, if it was."""
    log.info("database error on %s", where, exc_info=error)
    code = _code(error)
    if code in _BUSY:
        return StorageBusy(f"the database {where} stayed locked by another process: try again; if it persists, "
                           "look for a stuck previs process")
    if code in _FULL:
        return StorageFull(f"the disk holding the database {where} is full: nothing was stored; free space and "
                           "retry")
    if code in _READ_ONLY:
        reason = read_only or f"the database {where} is read-only (check its file permissions)"
        return StorageReadOnly(f"{reason}: this command writes, so run it on a writable copy")
    if code in _DAMAGED:
        return StorageDamaged(f"the database file {where} is damaged ({_reason(error)}): restore it from a "
                              "backup; `previs ledger verify` runs an integrity check")
    if opening:
        return StorageError(f"cannot open the database {where} ({_reason(error)}): check the path or "
                            "PREVIS_DATABASE_URL; details are in the log")
    doing = "reading from" if _was_reading(error) else "writing to"
    saved = "" if _was_reading(error) else "; nothing was saved"
    return StorageError(f"{doing} the database {where} failed ({_reason(error)}){saved}; details are in the log")


def _code(error: SQLAlchemyError) -> str | None:
    """SQLite's primary result code (SQLITE_CORRUPT for SQLITE_CORRUPT_INDEX), or PostgreSQL's SQLSTATE."""
    original = getattr(error, "orig", None)
    if isinstance(original, OSError) and original.errno == errno.ENOSPC:
        return "SQLITE_FULL"
    name = getattr(original, "sqlite_errorname", None)
    if isinstance(name, str):
        return "_".join(name.split("_")[:2])
    for attribute in ("sqlstate", "pgcode"):  # psycopg 3, psycopg2
        value = getattr(original, attribute, None)
        if isinstance(value, str):
            return value
    return None


def _reason(error: SQLAlchemyError) -> str:
    """What went wrong without the statement or its values.

    SQLite's own words are short phrases ("file is not a database"); PostgreSQL's can quote values, so only
    the error's class is named. A value previs refused before the driver saw it (a naive datetime) says why.
    """
    original = getattr(error, "orig", None)
    if original is None:
        return error.__class__.__name__
    if not isinstance(error, DBAPIError):
        return str(original).splitlines()[0][:200]
    if getattr(original, "sqlite_errorname", None) is None:
        return str(type(original).__name__)
    return str(original).splitlines()[0][:120]


def _was_reading(error: SQLAlchemyError) -> bool:
    statement = error.statement if isinstance(error, DBAPIError) else None
    return statement is not None and statement.lstrip().upper().startswith(_READS)

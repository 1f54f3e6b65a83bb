"""The database: engine set-up, migrations on open, and the one transaction boundary (``unit_of_work``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from previs.errors import StorageError
from previs.storage.repositories import UnitOfWork

MIGRATIONS = Path(__file__).with_name("migrations")
_LEDGER_APPEND = "previs_ledger_append"  # execution option marking a transaction that appends to the ledger
_LEDGER_LOCK_KEY = 0x70726576  # PostgreSQL advisory lock key of ledger appends ("prev")
_DISK_FULL = ("database or disk is full", "No space left on device")  # SQLite's words, PostgreSQL's (errno)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
            connection.isolation_level = None  # previs, not the driver, says when a transaction begins (below)
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            # A ledger append takes the database's write lock before it reads the last entry, so processes
            # sharing the file append one after another instead of colliding on the next sequence number.
            immediate = connection.get_execution_options().get(_LEDGER_APPEND, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (creates it from empty)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """One engine and session factory for the process; every write goes through ``unit_of_work``."""

    def __init__(self, url: str):
        self.url = url
        try:
            self.engine = _make_engine(url)
            migrate(self.engine)
        except SQLAlchemyError as error:
            raise StorageError(f"cannot open the database at {url}: {error.__class__.__name__}: {error}") from error
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_rules: list[Callable[[], object]] = []
        self._applying = threading.local()

    def add_read_rule(self, rule: Callable[[], object]) -> None:
        """Run ``rule`` before every unit of work, so no read path can see state a rule would change.

        The consent registry's expiry sweep is the rule: a grant past its end date is recorded expired and its
        frames withdrawn before anything reads them. A rule's own units of work do not run the rules again.
        """
        self._read_rules.append(rule)

    def _apply_read_rules(self) -> None:
        if getattr(self._applying, "active", False):
            return
        self._applying.active = True
        try:
            for rule in self._read_rules:
                rule()
        finally:
            self._applying.active = False

    @contextmanager
    def unit_of_work(self, *, appends_to_ledger: bool = False) -> Iterator[UnitOfWork]:
        """A transaction with repositories bound to it: all of it is committed, or none of it.

        The read rules (``add_read_rule``) run first, outside this transaction. ``appends_to_ledger``
        serialises the transaction with every other ledger append on this database, in any process: SQLite
        begins it with the write lock (``BEGIN IMMEDIATE``), PostgreSQL takes a transaction advisory lock.
        """
        self._apply_read_rules()
        session: Session = self._sessions()
        try:
            if appends_to_ledger:
                connection = session.connection(execution_options={_LEDGER_APPEND: True})
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LEDGER_LOCK_KEY})
            yield UnitOfWork(session)
            session.commit()
        except SQLAlchemyError as error:
            session.rollback()
            if any(sign in str(error.orig if isinstance(error, DBAPIError) else error) for sign in _DISK_FULL):
                raise StorageError(f"the disk holding the database {self.url} is full: nothing was stored; free "
                                   "space and retry") from error
            raise StorageError(f"database write failed, nothing was saved: {error}") from error
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"

"""The database: engine set-up, migrations on open under a lock, and the one transaction boundary
(``unit_of_work``), whose driver errors become one-line ``StorageError`` kinds (``storage/failures.py``)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, make_url, pool, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from previs.errors import StorageError, StorageReadOnly
from previs.storage.failures import describe, storage_error
from previs.storage.repositories import UnitOfWork

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_S = 30
_WRITE_LOCK = "previs_write_lock"  # execution option: this transaction takes the database's write lock first
_LEDGER_LOCK_KEY = 0x70726576  # PostgreSQL advisory lock key of serialised transactions ("prev")
_MIGRATION_LOCK_KEY = 0x70726D67  # PostgreSQL advisory lock key of schema upgrades ("prmg")
log = logging.getLogger(__name__)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other back ends and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _read_only_sqlite(path: Path) -> Callable[[], sqlite3.Connection]:
    """Open a SQLite file in a folder previs cannot write: ``immutable`` when the file is all there is.

    A write-ahead log with committed pages can only be read through its ``-shm`` index, which SQLite cannot
    create in a read-only folder; without it the copy is incomplete and previs says so rather than reading the
    database as it was before those commits.
    """
    wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
    has_log = wal.exists() and wal.stat().st_size > 0
    if has_log and not shm.exists():
        raise StorageReadOnly(
            f"the read-only copy {path} has unfinished writes in {wal.name} but no {shm.name}: copy the data "
            "directory somewhere writable and open that copy"
        )
    mode = "mode=ro" if has_log else "immutable=1"
    uri = f"{path.absolute().as_uri()}?{mode}"
    return lambda: sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=BUSY_TIMEOUT_S)


def _make_engine(url: str, *, read_only: bool) -> Engine:
    path = sqlite_file(url)
    if path is not None and read_only:
        engine = create_engine("sqlite://", creator=_read_only_sqlite(path), poolclass=pool.QueuePool)
        _sqlite_transactions(engine)
        return engine
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        _sqlite_transactions(engine)
        return engine
    options = {"options": "-c default_transaction_read_only=on"} if read_only else {}
    return create_engine(url, pool_pre_ping=True, connect_args=options)


def _sqlite_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _previs_begins(connection, _record) -> None:  # type: ignore[no-untyped-def]
        connection.isolation_level = None  # previs, not the driver, says when a transaction begins (below)

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Connection) -> None:
        # A ledger append or a migration takes the database's write lock before it reads, so processes sharing
        # the file take turns instead of colliding on the next sequence number or both creating the schema.
        immediate = connection.get_execution_options().get(_WRITE_LOCK, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def _locked(engine: Engine, key: int) -> Iterator[Connection]:
    """A transaction holding the database-wide write lock: BEGIN IMMEDIATE, or a PostgreSQL advisory lock."""
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE_LOCK: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            yield connection


def _alembic() -> tuple[Config, str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "the migrations folder has no head revision"
    return config, head


def schema_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (creates it from empty), one process at a time.

    The revision is checked again under the write lock, so simultaneous first opens of one database create
    the schema once and the others find it made.
    """
    config, head = _alembic()
    with engine.connect() as connection:
        if schema_revision(connection) == head:
            return
    with _locked(engine, _MIGRATION_LOCK_KEY) as connection:
        if schema_revision(connection) != head:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")


def _require_current(engine: Engine, where: str) -> None:
    """A read-only database is never upgraded: an older schema is named instead of half-read."""
    _, head = _alembic()
    with engine.connect() as connection:
        found = schema_revision(connection)
    if found != head:
        raise StorageReadOnly(
            f"the database {where} has schema {found or 'none'} but this previs needs {head}, and it is "
            "read-only: copy the data directory somewhere writable, open it once there to upgrade it"
        )


class Database:
    """One engine and session factory for the process; every write goes through ``unit_of_work``.

    ``read_only`` says why this database may only be read (a read-only data directory): it is opened without
    migrations, and a write fails with that reason.
    """

    def __init__(self, url: str, *, read_only: str | None = None):
        self.url = url
        self.read_only = read_only
        self.where = describe(url)
        try:
            self.engine = _make_engine(url, read_only=read_only is not None)
            if read_only is None:
                migrate(self.engine)
            else:
                _require_current(self.engine, self.where)
        except SQLAlchemyError as error:
            raise storage_error(error, where=self.where, read_only=read_only, opening=True) from error
        except ImportError as error:  # the URL names a driver this environment lacks
            raise StorageError(
                f"cannot open the database {self.where}: its driver {error.name!r} is not installed; for "
                "PostgreSQL use postgresql+psycopg://... and `pip install 'previs[postgres]'`"
            ) from error
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
    def unit_of_work(self, *, serialised: bool = False) -> Iterator[UnitOfWork]:
        """A transaction with repositories bound to it: all of it is committed, or none of it.

        Every read inside it sees one snapshot (SQLite in WAL mode holds the snapshot of its first read until
        the end; each PostgreSQL listing is one statement). The read rules (``add_read_rule``) run first,
        outside this transaction. ``serialised`` runs the transaction one after another with every other
        serialised one on this database, in any process: SQLite begins it with the write lock (``BEGIN
        IMMEDIATE``), PostgreSQL takes a transaction advisory lock. Ledger appends (with the consent re-check
        inside them) and consent revocations and expiries are serialised, so a revocation withdraws every frame
        committed before it and no frame relying on the grant can commit after it.
        """
        self._apply_read_rules()
        session: Session = self._sessions()
        try:
            if serialised:
                connection = session.connection(execution_options={_WRITE_LOCK: True})
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LEDGER_LOCK_KEY})
            yield UnitOfWork(session)
            session.commit()
        except SQLAlchemyError as error:
            _rollback(session)
            raise storage_error(error, where=self.where, read_only=self.read_only) from error
        except BaseException:
            _rollback(session)
            raise
        finally:
            session.close()

    def integrity_problems(self) -> list[str] | None:
        """SQLite's ``PRAGMA integrity_check``: [] when the file is sound; None where there is none to run.

        The ledger's hash chain only covers the rows it can read; a damaged page elsewhere (an index, another
        table) is found here.
        """
        if self.engine.dialect.name != "sqlite":
            return None
        try:
            with self.engine.connect() as connection:
                found = [str(row[0]) for row in connection.exec_driver_sql("PRAGMA integrity_check")]
        except SQLAlchemyError as error:
            log.info("integrity check of %s failed", self.where, exc_info=error)
            return [str(getattr(error, "orig", None) or error.__class__.__name__)]
        return [] if found == ["ok"] else found

    def require_writable(self) -> None:
        """Refuse up front what would write to a read-only database, before any expensive work."""
        if self.read_only is not None:
            raise StorageReadOnly(f"{self.read_only}: this command writes, so run it on a writable copy")

    def close(self) -> None:
        self.engine.dispose()


def _rollback(session: Session) -> None:
    """Roll back, keeping the error that caused it: a failing disk can fail the rollback too."""
    try:
        session.rollback()
    except SQLAlchemyError as error:
        log.info("rollback failed", exc_info=error)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"

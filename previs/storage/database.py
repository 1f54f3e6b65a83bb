"""The database: engine set-up, migrations on open, and the one transaction boundary (``unit_of_work``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from previs.errors import StorageError
from previs.storage.repositories import UnitOfWork

MIGRATIONS = Path(__file__).with_name("migrations")


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

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

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """A transaction with repositories bound to it: all of it is committed, or none of it."""
        session: Session = self._sessions()
        try:
            yield UnitOfWork(session)
            session.commit()
        except SQLAlchemyError as error:
            session.rollback()
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

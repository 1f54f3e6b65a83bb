"""Schema from migrations, content-addressed files, and frames stored whole or not at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from previs.access.permissions import Actor, Role
from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.errors import InvalidRequest, StorageError
from previs.storage import Database, FileStore, Frame
from previs.storage.database import MIGRATIONS
from previs.storage.repositories import FrameRepository
from previs.storage.tables import Base

pytestmark = pytest.mark.both_backends  # the schema, the transaction boundary and UTC on SQLite and PostgreSQL

def _migration_heads() -> list[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return list(ScriptDirectory.from_config(config).get_heads())


def test_migrations_create_the_schema_from_empty(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    with database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert {"projects", "frames", "alembic_version"} <= set(inspect(connection).get_table_names())
        head = connection.execute(text("select version_num from alembic_version")).scalar_one()
    assert [head] == _migration_heads()  # one line of migrations, and the database is at its end
    Database(database.url).close()  # opening again finds it migrated and changes nothing
    database.close()


def test_foreign_keys_are_enforced(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    with pytest.raises(StorageError, match="nothing was saved"), database.unit_of_work() as work:
        work.frames.add(project_id=999, kind="set", sha256="a" * 64, file_sha256="b" * 64, path="x", width=1,
                        height=1, seed=0, model="m", record={}, created_by="t")
    database.close()


def test_text_longer_than_its_column_is_refused_alike_on_every_back_end(studio: Studio) -> None:
    """PostgreSQL enforces column lengths (quoting SQL in its error), SQLite stored anything: both refuse, by name."""
    producer = Actor("priya", Role.PRODUCER)
    with pytest.raises(InvalidRequest, match=r"^performer contact is 301 characters long, at most 300 fit"):
        studio.consent.add_performer("Ann Lee", contact="x" * 301, actor=producer)
    with pytest.raises(InvalidRequest, match=r"^scene number is 25 characters long, at most 20 fit"):
        studio.scenes.add_description("A cliff at dusk.", number="1" * 25, project="Cliffs", actor=producer)
    assert studio.consent.add_performer("Ann Lee", contact="x" * 300, actor=producer).contact == "x" * 300
    assert studio.consent.performers(actor=producer)[0].contact == "x" * 300, "the refused rows left nothing"


def test_files_are_content_addressed_and_names_are_never_user_input(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    digest = "ab" + "0" * 62
    placed = files.place(digest, b"png bytes")
    assert placed.relative_path == f"frames/ab/{digest}.png" and placed.created
    assert files.place(digest, b"png bytes").created is False  # already there: kept, not rewritten
    with pytest.raises(StorageError, match="not a sha256"):
        files.place("../../etc/passwd", b"x")


def _everything_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_a_failure_between_file_and_row_leaves_nothing(studio: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail_after_file_written(self, **fields):
        assert _everything_under(studio.data_directory / "staging"), "the file should have been staged by now"
        assert not _everything_under(studio.served_directory), "nothing is served before its row is committed"
        raise StorageError("disk full (injected)")

    monkeypatch.setattr(FrameRepository, "add", fail_after_file_written)
    with pytest.raises(StorageError, match="injected"):
        studio.frames.generate(FrameRequest("quiet harbour at dawn", seed=1, count=2, width=64, height=64),
                               actor=studio.local_actor)
    monkeypatch.undo()
    assert _everything_under(studio.served_directory) == []
    assert studio.frames.list(actor=studio.local_actor) == []


def test_a_failed_commit_removes_the_files(studio: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    real_commit = Session.commit

    def broken_commit(self):
        if any(isinstance(row, Frame) for row in self.identity_map.values()):
            raise OperationalError("COMMIT", {}, Exception("database is locked (injected)"))
        real_commit(self)

    monkeypatch.setattr(Session, "commit", broken_commit)
    with pytest.raises(StorageError, match="nothing was saved"):
        studio.frames.generate(FrameRequest("quiet harbour at dawn", seed=1, width=64, height=64),
                               actor=studio.local_actor)
    monkeypatch.undo()
    assert _everything_under(studio.served_directory) == []
    assert studio.frames.list(actor=studio.local_actor) == []


def test_timestamps_are_written_and_read_back_in_utc(empty_database_url: str) -> None:
    database = Database(empty_database_url)  # the test cluster's own zone is Europe/Berlin (tests/postgres_support.py)
    summer_in_berlin = datetime(2026, 7, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    with database.unit_of_work() as work:
        project = work.projects.get_or_create("Clocks")
        project.created_at = summer_in_berlin
    with database.unit_of_work() as work:
        read = work.projects.get("Clocks").created_at
    assert read == summer_in_berlin and read.tzinfo is UTC and read.hour == 12, "one moment, read back as UTC"
    with pytest.raises(StorageError, match="naive datetime"), database.unit_of_work() as work:
        work.projects.get("Clocks").created_at = datetime(2026, 7, 1, 14, 30)
    database.close()


def test_read_rules_run_before_every_unit_of_work_but_not_inside_their_own(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    runs: list[int] = []

    def rule() -> None:
        runs.append(1)
        with database.unit_of_work() as work:  # a rule's own reads do not run the rules again
            work.projects.all()

    database.add_read_rule(rule)
    for _ in range(3):
        with database.unit_of_work() as work:
            work.projects.all()
    assert len(runs) == 3
    database.close()


def test_a_database_url_whose_driver_is_missing_is_one_line_naming_the_install() -> None:
    with pytest.raises(StorageError, match=r"driver 'pg8000' is not installed.*previs\[postgres\]") as refused:
        Database("postgresql+pg8000://studio:secret@127.0.0.1:9/previs")
    assert "secret" not in str(refused.value) and "\n" not in str(refused.value)

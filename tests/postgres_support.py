"""Running tests on PostgreSQL as well as SQLite: one throw-away cluster per test session, a fresh database per test.

A module (or a test) opts in with ``pytestmark = pytest.mark.both_backends``: each of its tests that uses the
``settings``/``studio`` fixtures (through ``database_url``) or ``backend`` then runs twice, ``[sqlite]`` and
``[postgresql]``. Everything else stays on SQLite only.

The cluster is made with the server's own ``initdb`` and ``pg_ctl`` (Debian's ``postgresql`` package; setup.sh
installs it), in a temporary folder, listening on a free loopback port with its socket in that folder, durability
off (a test database is thrown away). Started as root, the server runs as the unprivileged ``postgres`` user,
because PostgreSQL refuses to run as root. Each pytest-xdist worker is its own session, so its own cluster.

Missing binaries (or psycopg) skip the PostgreSQL half with the reason, except under CI (``CI`` set), where they
fail: CI must never go green by skipping a back end.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ui_support import free_port

BACKENDS = ("sqlite", "postgresql")
_PREFIX = "previs-pg-"  # the clusters' temporary folders
_SERVER_OPTIONS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB "
                   "-c max_connections=60 -c timezone=Europe/Berlin")  # a zone other than UTC: UTC must not be luck


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_backends: run the test on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("both_backends") and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


def _unavailable(reason: str) -> None:
    """Skip the PostgreSQL half of a test, or fail it under CI, where every back end must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the PostgreSQL tests may not be skipped)", pytrace=False)
    pytest.skip(reason)


def _server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3])
                      if path.parts[-3].isdigit() else 0)
    return versions[-1].parent if versions else None


@dataclass
class Cluster:
    """A running throw-away PostgreSQL server and the folder it lives in."""

    binaries: Path
    folder: Path
    port: int
    owner: str | None  # the user the server runs as when we are root
    _databases: itertools.count[int]

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.owner, "--"] if self.owner else []
        return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=60, check=False,
                              cwd=self.folder)

    def start(self) -> None:
        data = self.folder / "data"
        made = self._run(str(self.binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                         "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions")
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stderr.strip()}")
        for _ in range(3):  # the free port may be taken between choosing it and listening on it
            self.port = free_port()
            started = self._run(str(self.binaries / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "log"),
                                "-w", "-s", "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} "
                                f"-k {self.folder} {_SERVER_OPTIONS}", "start")
            if started.returncode == 0:
                return
        log = (self.folder / "log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the PostgreSQL server did not start: {started.stderr.strip()} {log}")

    def stop(self) -> None:
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-s", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as connection:
            connection.execute(statement)

    def create_database(self) -> str:
        """A new empty database (from template0: nothing a previous test left can leak in)."""
        name = f"previs_test_{next(self._databases)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _stop_orphans(binaries: Path, owner: str | None) -> None:
    """Stop the clusters of test sessions that were killed before they could stop their own."""
    for marker in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*/session.pid"):
        try:
            os.kill(int(marker.read_text()), 0)
        except ProcessLookupError:
            Cluster(binaries, marker.parent, 0, owner, itertools.count()).stop()
        except (OSError, ValueError):
            continue


def _server_user() -> str | None:
    """Who the server runs as: ourselves, or ``postgres`` when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        _unavailable("running as root and there is no `postgres` user to run the PostgreSQL server as")
    return "postgres"


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One server for the session (per xdist worker), started on first use, stopped and removed at the end."""
    binaries = _server_binaries()
    if binaries is None:
        _unavailable("PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's `postgresql` package "
                     "(scripts/setup.sh test does when it can)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed: pip install -e .[postgres]")
    assert binaries is not None
    owner = _server_user()
    _stop_orphans(binaries, owner)
    folder = Path(tempfile.mkdtemp(prefix=_PREFIX))
    (folder / "session.pid").write_text(str(os.getpid()))
    if owner:
        shutil.chown(folder, owner)
    cluster = Cluster(binaries, folder, 0, owner, itertools.count(1))
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> Iterator[str]:
    """The URL of a fresh, empty database for this test, dropped afterwards."""
    name = postgres_cluster.create_database()
    yield postgres_cluster.url(name)
    postgres_cluster.drop_database(name)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database back end this test runs on: sqlite, unless the test is marked ``both_backends``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    """The ``Settings.database_url`` of this test: None (previs.db in the data directory) or a fresh PostgreSQL
    database."""
    return str(request.getfixturevalue("postgres_url")) if backend == "postgresql" else None


@pytest.fixture
def empty_database_url(database_url: str | None, tmp_path: Path) -> str:
    """The URL of an empty database of this test's back end, for tests that open ``Database`` themselves."""
    return database_url or f"sqlite:///{tmp_path / 'empty.db'}"

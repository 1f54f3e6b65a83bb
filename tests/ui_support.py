"""What the UI test modules share: a studio for the app, a users file, the app served with login on, a signed-in
client per role, free ports, throw-away project names.

Its fixtures are registered for every test module by conftest (``pytest_plugins``); being module-scoped, each
module gets its own studio and app, so modules can run on different workers.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client

from previs.access.users import UserDirectory, add_user
from previs.app.studio import Studio, open_studio
from previs.generation.generator import Generator
from previs.settings import Settings
from previs.ui import serve

PASSWORD = "correct horse battery"
# Who the shared users file holds: one user per role.
USERS = {"alice": "art_director", "pat": "producer", "cole": "costume_designer", "root": "admin"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def project() -> str:
    return f"p-{uuid.uuid4().hex[:8]}"


def client(url: str, name: str) -> Client:
    return Client(url, auth=(name, PASSWORD), verbose=False)


def module_studio(tmp_path_factory: pytest.TempPathFactory, models_dir: Path, tiny_generator: Generator,
                  folder: str) -> Iterator[Studio]:
    """A studio of its own for a test module, in a fresh data directory named after ``folder``."""
    settings = Settings(home=tmp_path_factory.mktemp(folder), device="cpu", user="localuser",
                        models_path=models_dir)
    studio = open_studio(settings, generator=tiny_generator)
    yield studio
    studio.close()


@pytest.fixture(scope="module")
def ui_studio(tmp_path_factory: pytest.TempPathFactory, models_dir: Path,
              tiny_generator: Generator) -> Iterator[Studio]:
    yield from module_studio(tmp_path_factory, models_dir, tiny_generator, "ui-home")


@pytest.fixture(scope="module")
def users_file(ui_studio: Studio) -> Path:
    path = ui_studio.data_directory / "users.toml"
    for name, role in USERS.items():
        add_user(path, name, PASSWORD, role)
    return path


@pytest.fixture(scope="module")
def app_url(ui_studio: Studio, users_file: Path) -> Iterator[str]:
    """The studio's page with every tab, login on for the users file; a module may serve its own instead."""
    page = serve(ui_studio, users=UserDirectory(users_file), port=free_port(), block=False, quiet=True)
    yield page.local_url
    page.close()


@pytest.fixture(scope="module")
def alice(app_url: str) -> Client:
    return client(app_url, "alice")  # art director


@pytest.fixture(scope="module")
def pat(app_url: str) -> Client:
    return client(app_url, "pat")  # producer


@pytest.fixture(scope="module")
def cole(app_url: str) -> Client:
    return client(app_url, "cole")  # costume designer

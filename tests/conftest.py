"""Shared fixtures: a fresh data directory per test, one offline model built once per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# No test may touch the network: the hub client fails fast instead of retrying.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
# Nor a developer's own database: a test names its back end (tests/postgres_support.py).
os.environ.pop("PREVIS_DATABASE_URL", None)

from previs.app.studio import Studio, open_studio
from previs.generation.generator import Generator
from previs.generation.limits import TINY_MODEL
from previs.settings import Settings

# The UI modules' fixtures (a studio for the app, a users file); the back ends (`database_url`, `backend`, a
# throw-away PostgreSQL cluster for modules marked both_backends).
pytest_plugins = ["tests.ui_support", "tests.postgres_support"]


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def tiny_generator(models_dir: Path) -> Generator:
    generator = Generator(TINY_MODEL, models_dir, device="cpu")
    generator.load()
    return generator


@pytest.fixture
def settings(tmp_path: Path, models_dir: Path, database_url: str | None) -> Settings:
    return Settings(home=tmp_path / "home", model=TINY_MODEL, device="cpu", user="tester", models_path=models_dir,
                    database_url=database_url)


@pytest.fixture
def studio(settings: Settings, tiny_generator: Generator) -> Iterator[Studio]:
    studio = open_studio(settings, generator=tiny_generator)
    yield studio
    studio.close()

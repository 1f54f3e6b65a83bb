"""The studio as a person uses it: the real app in a subprocess, Debian's Chromium driven by Playwright.

One journey, step by step (tests/e2e/steps.py): an art director makes and varies set concepts, then a
producer approves one in Review and verifies its file in Provenance. Skipped, with the reason, only where no
browser can run (scripts/setup.sh test installs one).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from previs.access.users import add_user
from previs.generation.generator import Generator
from tests.e2e import steps
from tests.e2e.harness import RunningApp, browser_unavailable, chromium_page, running_app

UNAVAILABLE = browser_unavailable()
pytestmark = pytest.mark.skipif(bool(UNAVAILABLE), reason=UNAVAILABLE)

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, models_dir: Path, tiny_generator: Generator) -> Iterator[RunningApp]:
    # tiny_generator has saved the offline model into models_dir: the app loads it instead of building it
    with running_app(tmp_path_factory.mktemp("e2e-home"),
                     users={"ada": (PASSWORD, "art_director"), "pat": (PASSWORD, "producer")},
                     models_dir=models_dir) as running:
        yield running


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium_page() as opened:
        yield opened


def test_set_concepts_are_made_varied_approved_and_verified(app: RunningApp, page: Any) -> None:
    steps.sign_in(page, app.url, "ada", PASSWORD)
    assert "placeholders" in page.inner_text("#status-line")
    steps.generate_set_concept(page, "moonlit greenhouse, broken panes", seed=7)
    frame = steps.choose_frame(page)
    steps.vary_frame(page, frame)
    steps.sign_out(page)
    steps.sign_in(page, app.url, "pat", PASSWORD)
    steps.approve(page, frame)
    steps.verify(page, frame)


def test_login_turns_on_when_a_user_is_added_and_stop_ends_a_run(tmp_path: Path, models_dir: Path,
                                                                   page: Any) -> None:
    """Started without users: the page works for the local admin; a user added while it runs turns login on
    (no restart); Ctrl+Enter generates, and that user's Stop ends a long run at the next step, with nothing stored."""
    with running_app(tmp_path / "home", users={}, models_dir=models_dir) as bare:
        page.goto(bare.url)
        page.locator("#status-line").get_by_text("No login", exact=False).wait_for()
        add_user(bare.home / "users.toml", "ada", PASSWORD, "art_director")
        steps.sign_in(page, bare.url, "ada", PASSWORD)
        steps.open_tab(page, "concepts")
        page.fill("#concept-prompt textarea", "a slow harbour at night")
        page.fill("#concept-steps textarea, #concept-steps input", "150")
        page.press("#concept-prompt textarea", "Control+Enter")  # Ctrl+Enter generates
        page.get_by_text("Step ", exact=False).first.wait_for()
        page.click("#concept-stop")
        page.get_by_text("nothing was stored", exact=False).first.wait_for()
        assert not list((bare.home / "frames").glob("**/*.png"))

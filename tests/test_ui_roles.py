"""Role-aware pages: each user sees the tabs their role may use once the page loads; the API still refuses the
rest. One app with login for the module (tests/ui_support.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from previs.ui.tabs import TABS
from tests.ui_support import PASSWORD

EVERYONE = {"concepts", "library", "provenance"}
SEES = {
    "alice": EVERYONE | {"storyboard"},  # art director
    "cole": EVERYONE | {"fitting"},  # costume designer
    "pat": EVERYONE | {"storyboard", "review", "consent"},  # producer
    "root": {spec.key for spec in TABS},  # admin
}


@contextmanager
def signed_in(url: str, name: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=60) as browser:
        assert browser.post("login", data={"username": name, "password": PASSWORD}).status_code == 200
        yield browser


def call(browser: httpx.Client, endpoint: str) -> list[object]:
    """What a page-load event sends the page (Gradio's REST route, as the browser's session)."""
    started = browser.post(f"gradio_api/call/{endpoint}", json={"data": []})
    started.raise_for_status()
    stream = browser.get(f"gradio_api/call/{endpoint}/{started.json()['event_id']}").text
    data = [line[5:].strip() for line in stream.splitlines() if line.startswith("data:")]
    return json.loads(data[-1])


def config_tabs(browser: httpx.Client) -> dict[str, bool]:
    """Each tab's visibility in the page's config, as the browser gets it before any event ran."""
    config = browser.get("config").json()
    return {item["props"]["elem_id"].removeprefix("tab-"): item["props"].get("visible", True)
            for item in config["components"] if item.get("type") == "tabitem"}


@pytest.mark.parametrize("name", sorted(SEES))
def test_each_role_sees_the_tabs_it_may_use_after_load(app_url: str, name: str) -> None:
    with signed_in(app_url, name) as browser:
        before = config_tabs(browser)
        updates = call(browser, "page_tabs")
    assert {key for key, visible in before.items() if visible} == EVERYONE, "restricted tabs start hidden"
    assert len(updates) == len(TABS)
    seen = {spec.key for spec, update in zip(TABS, updates, strict=True) if update["visible"]}  # type: ignore[index]
    assert seen == SEES[name]


def test_the_art_director_never_sees_consent_and_its_api_still_refuses(app_url: str, alice: Client) -> None:
    with signed_in(app_url, "alice") as browser:
        updates = dict(zip((spec.key for spec in TABS), call(browser, "page_tabs"), strict=True))
    assert updates["consent"] == {"__type__": "update", "visible": False}
    with pytest.raises(AppError, match=r"alice \(art_director\) may not manage consent"):
        alice.predict(api_name="/consent_performers")
    with pytest.raises(AppError, match=r"alice \(art_director\) may not review frames"):
        alice.predict("1", "approved", "", "", 0, api_name="/review_frame")

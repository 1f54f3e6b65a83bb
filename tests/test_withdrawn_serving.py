"""A withdrawn frame stops answering at every URL the page was given, and its cached copy leaves the disk."""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest

from previs.access.permissions import Actor, Role
from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.ui import serve
from tests.ui_support import free_port

PRODUCER = Actor("priya", Role.PRODUCER)


@pytest.fixture
def served_url(studio: Studio) -> Iterator[str]:
    page = serve(studio, users=None, port=free_port(), block=False, quiet=True)
    yield page.local_url
    page.close()


def queue_urls(url: str, project: str) -> list[str]:
    """The file URLs the Review tab's queue hands the page, through Gradio's REST route."""
    with httpx.Client(base_url=url, timeout=60) as http:
        started = http.post("gradio_api/call/pending_reviews", json={"data": [project]})
        started.raise_for_status()
        stream = http.get(f"gradio_api/call/pending_reviews/{started.json()['event_id']}").text
    data = [json.loads(line[5:]) for line in stream.splitlines() if line.startswith("data:") and "[" in line]
    return [item["image"]["url"] for item in data[-1][0]]


def test_a_revoked_frame_is_refused_at_once_and_its_cached_copy_is_gone_within_seconds(
        studio: Studio, served_url: str) -> None:
    studio.consent.add_performer("Ann Lee", actor=PRODUCER)
    grant = studio.consent.grant("Ann Lee", project="Nightfall", uses=["likeness_reference"],
                                 description="reference likeness for rooftop concept frames, previs only",
                                 valid_until=date.today() + timedelta(days=9), actor=PRODUCER)
    frame = studio.frames.generate(FrameRequest("Ann Lee on the roof", seed=1, steps=1, width=64, height=64,
                                                project="Nightfall"), actor=studio.local_actor)[0]
    [url] = queue_urls(served_url, "Nightfall")
    cache = studio.data_directory / "ui-cache"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700, "Gradio's cache is this studio's, inside its home"
    assert httpx.get(url).status_code == 200
    assert list(cache.glob(f"*/{frame.file_sha256}.png")), "the page was given Gradio's cached copy"

    studio.consent.revoke(grant.id, reason="performer withdrew consent", actor=PRODUCER)  # as the CLI would
    assert httpx.get(url).status_code == 404, "the next request is refused"
    assert httpx.get(f"{served_url}gradio_api/file={frame.path}").status_code in (403, 404)
    deadline = time.monotonic() + 10
    while list(cache.glob(f"*/{frame.file_sha256}.*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not list(cache.glob(f"*/{frame.file_sha256}.*")), "the cached copy left the disk"
    assert queue_urls(served_url, "Nightfall") == [], "the page's next refresh drops it"

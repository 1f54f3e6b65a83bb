"""The Gradio page over the studio, driven through its HTTP API with gradio_client."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from gradio_client import Client

from previs.studio import Studio
from previs.ui import build_ui


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def client(studio: Studio) -> Iterator[Client]:
    page = build_ui(studio)
    page.queue(default_concurrency_limit=1)
    page.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True,
                allowed_paths=[str(studio.files.directory)])
    try:
        yield Client(page.local_url, verbose=False)
    finally:
        page.close()


def test_generate_endpoint_stores_and_returns_frames(client: Client, studio: Studio) -> None:
    gallery, details = client.predict("foggy pier at dawn", "", 11, 2, "256x256", 2, "Harbour",
                                      api_name="/generate")
    assert len(gallery) == 2 and all(item["image"] for item in gallery)
    assert [d["seed"] for d in details] == [11, 12] and details[0]["prompt"] == "foggy pier at dawn"
    stored = studio.list_frames(project="Harbour")
    assert sorted(frame.id for frame in stored) == sorted(d["frame"] for d in details)


def test_errors_reach_the_page_as_messages_not_tracebacks(client: Client, studio: Studio) -> None:
    with pytest.raises(Exception, match="prompt is empty") as caught:
        client.predict("   ", "", None, None, "256x256", 1, "default", api_name="/generate")
    assert "Traceback" not in str(caught.value)
    assert studio.list_frames() == []


def test_page_says_when_frames_are_placeholders(studio: Studio) -> None:
    page = build_ui(studio)
    texts = [block.value for block in page.blocks.values() if type(block).__name__ == "Markdown"]
    assert any("placeholders" in text for text in texts)

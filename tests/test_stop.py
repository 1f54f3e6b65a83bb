"""Progress per step and Stop (#22 item 4): a stopped generation stores nothing, not a frame, not a ledger entry."""

from __future__ import annotations

import time

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.errors import GenerationStopped, NotFound
from tests.ui_support import project


def _ledger_entries(studio: Studio) -> int:
    return studio.provenance.verify_ledger(actor=studio.local_actor).checked


def test_every_step_is_reported(studio: Studio) -> None:
    seen: list[tuple[int, int]] = []
    studio.frames.generate(FrameRequest(prompt="a quiet harbour", steps=3, width=64, height=64, seed=1,
                                        on_step=lambda done, total: seen.append((done, total)) is None),
                           actor=studio.local_actor)
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_stop_after_the_first_step_stores_nothing(studio: Studio) -> None:
    actor = studio.local_actor
    studio.frames.generate(FrameRequest(prompt="a quiet harbour", steps=2, width=64, height=64, seed=1,
                                        project="harbour"), actor=actor)
    before = _ledger_entries(studio)
    steps: list[int] = []

    def stop_after_one(done: int, total: int) -> bool:
        steps.append(done)
        return done < 1

    with pytest.raises(GenerationStopped, match="nothing was stored"):
        studio.frames.generate(FrameRequest(prompt="a stormy harbour", steps=6, width=64, height=64, seed=2,
                                            count=2, project="harbour", on_step=stop_after_one), actor=actor)
    assert steps == [1], "interrupted at the next step, not run to the end"
    assert len(studio.frames.list(project="harbour", actor=actor)) == 1
    assert _ledger_entries(studio) == before


def test_the_stop_button_ends_a_run_from_the_page(alice: Client, ui_studio: Studio) -> None:
    name = project()
    job = alice.submit("a slow harbour", "", name, "1", "100", "512x512", 4, api_name="/generate_set")
    while not job.done() and not any(unit.desc and unit.desc.startswith("Step ")
                                     for unit in job.status().progress_data or []):
        time.sleep(0.02)
    alice.predict(api_name="/stop_generation")
    with pytest.raises(AppError, match="stopped: the generation was stopped"):
        job.result()
    with pytest.raises(NotFound):
        ui_studio.frames.list(project=name, actor=ui_studio.local_actor)  # not even the project was made

"""The Library tab driven through its Gradio API: every frame newest first, filters, paging, lineage, vary,
withdrawn frames gone, and refusals. One app with login for the module (tests/ui_support.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from previs.access.permissions import Actor, Role
from previs.app.requests import FrameRequest, LibraryFilters
from previs.app.studio import Studio
from previs.errors import InvalidRequest
from tests.ui_support import project

ANY = ["", "", "", "", ""]  # project, kind, scene, review status, made by: all blank


def generate(who: Client, project_name: str, count: int = 1, seed: str = "5", steps: str = "1") -> list[int]:
    _, details = who.predict("foggy pier at night", "", project_name, seed, steps, "256x256", count,
                             api_name="/generate_set")
    return [item["frame"] for item in details]


def shown(result: tuple[list[dict[str, Any]], str]) -> tuple[list[str], list[int], str]:
    """A page's captions, the frame ids they name and the line above them."""
    items, line = result
    captions = [item["caption"] for item in items]
    return captions, [int(caption.split(" · ")[0].removeprefix("#")) for caption in captions], line


def library(who: Client, *filters: str) -> tuple[list[str], list[int], str]:
    """The newest page (the client's session remembers it, for *Older* and *Newer*)."""
    return shown(who.predict(*filters, api_name="/library"))


def test_the_library_lists_frames_newest_first_with_id_seed_and_status(alice: Client, pat: Client) -> None:
    name = project()
    first = generate(alice, name, count=2, seed="11")
    later = generate(alice, name, seed="12")
    pat.predict(str(first[0]), "approved", "", name, 0, api_name="/review_frame")
    captions, ids, _ = library(pat, name, "", "", "", "")
    assert ids == [*later, first[1], first[0]]
    assert captions == [f"#{later[0]} · seed 12 · pending", f"#{first[1]} · seed 12 · pending",
                        f"#{first[0]} · seed 11 · approved"]


def test_filters_by_kind_status_maker_and_scene(ui_studio: Studio, alice: Client, pat: Client) -> None:
    name = project()
    [made_by_alice] = generate(alice, name)
    [made_by_pat] = generate(pat, name)
    pat.predict(str(made_by_pat), "rejected", "too dark", name, 0, api_name="/review_frame")
    assert library(pat, name, "", "", "", "alice")[1] == [made_by_alice]
    assert library(pat, name, "", "", "rejected", "")[1] == [made_by_pat]
    assert library(pat, name, "", "", "pending", "")[1] == [made_by_alice]
    assert library(pat, name, "costume", "", "", "")[1] == []
    assert library(pat, name, "set", "", "", "")[1] == [made_by_pat, made_by_alice]
    assert library(pat, name, "", "1", "", "")[1] == [], "no frame drawn for scene 1"
    assert library(pat, name, "", "", "", "")[2] == f"Frames {made_by_pat} to {made_by_alice}, newest first."


def test_paging_older_and_newer_24_a_page(ui_studio: Studio, alice: Client) -> None:
    name = project()
    request = FrameRequest("a quiet harbour", project=name, seed=3, steps=1, width=64, height=64, count=4)
    made = sorted(f.id for _ in range(7) for f in ui_studio.frames.generate(request, actor=ui_studio.local_actor))
    filters = [name, "", "", "", ""]
    _, newest, line = library(alice, *filters)
    assert newest == made[::-1][:24] and line.endswith("*Older* has more.")
    _, older, line = shown(alice.predict(*filters, api_name="/library_older"))
    assert older == made[::-1][24:] and "*Newer* has more" in line and "Older" not in line
    _, back, _ = shown(alice.predict(*filters, api_name="/library_newer"))
    assert back == newest


def test_a_variation_from_the_library_keeps_its_parent_listed(alice: Client) -> None:
    name = project()
    [parent] = generate(alice, name, steps="2")
    _, ids, _ = shown(alice.predict(str(parent), 0.9, 1, name, "", "", "", "", api_name="/library_vary"))
    assert len(ids) == 2 and ids[1] == parent, "the variation first, its parent still there"
    _, record = alice.predict(str(ids[0]), api_name="/library_frame")
    assert f"Variation of frame {parent} (seed 5, pending)" in record
    _, record = alice.predict(str(parent), api_name="/library_frame")
    assert f"Variations: frame {ids[0]} (seed" in record and "Prompt given to the model: foggy pier" in record
    assert "{" not in record, "readable, not raw JSON"


def test_export_and_verify_from_the_library(alice: Client) -> None:
    name = project()
    [frame] = generate(alice, name, seed="7")
    exported = alice.predict(str(frame), "png", api_name="/library_export")
    assert exported.endswith(f"{name}-frame{frame}-seed7.png")
    assert alice.predict(str(frame), api_name="/library_verify").startswith(f"Frame {frame}: verified")


def test_a_withdrawn_frame_leaves_the_library(ui_studio: Studio, pat: Client) -> None:
    name, producer = project(), Actor("pat", Role.PRODUCER)
    performer = f"Ivo Q{name[2:].translate(str.maketrans('0123456789', 'abcdefghij'))}"
    ui_studio.consent.add_performer(performer, actor=producer)
    grant = ui_studio.consent.grant(performer, project=name, uses=["likeness_reference"],
                                    description="reference likeness for pier concept frames, previs only",
                                    valid_until=date.today() + timedelta(days=9), actor=producer)
    request = FrameRequest(f"{performer} on the pier", project=name, seed=1, steps=1, width=64, height=64)
    [frame] = ui_studio.frames.generate(request, actor=producer)
    assert library(pat, name, "", "", "", "")[1] == [frame.id]
    ui_studio.consent.revoke(grant.id, reason="performer withdrew consent", actor=producer)
    assert library(pat, name, "", "", "", "")[1] == []
    with pytest.raises(AppError, match=f"frame {frame.id} is withdrawn"):
        pat.predict(str(frame.id), api_name="/library_frame")


@pytest.mark.parametrize(("filters", "message"), [
    (["", "", "3", "", ""], r"scene 3 of which project\? choose the project too"),
    (["no-such-project-x", "", "", "", ""], r"no project named 'no-such-project-x'"),
])
def test_bad_filters_get_one_clear_line(alice: Client, filters: list[str], message: str) -> None:
    with pytest.raises(AppError, match=message):
        library(alice, *filters)


def test_a_seed_typo_says_what_to_type(alice: Client) -> None:
    with pytest.raises(AppError, match=r"^seed '7x' is not a whole number: type one, e.g. 7"):
        generate(alice, project(), seed="7x")


def test_the_api_refuses_anyone_not_signed_in(app_url: str) -> None:
    for endpoint in ("library", "library_older", "library_frame"):
        response = httpx.post(f"{app_url}gradio_api/call/{endpoint}", json={"data": ANY}, timeout=30)
        assert response.status_code == 401, endpoint


def test_the_desk_checks_the_page_size(ui_studio: Studio) -> None:
    with pytest.raises(InvalidRequest, match="limit 500 is out of range: use 1 to 200"):
        ui_studio.frames.library(LibraryFilters(), limit=500, actor=ui_studio.local_actor)

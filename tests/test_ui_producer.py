"""The producer's tabs driven through their Gradio API: Review, Consent and Provenance, with their refusals.

One app with login runs for the module (``app_url``, ``alice`` the art director and ``pat`` the producer come
from tests/ui_support.py); each test makes its own project (and performer) names.
"""

from __future__ import annotations

import inspect
import uuid
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from previs.access.permissions import Actor, Role
from previs.access.users import UserDirectory
from previs.app.recording import HEAD_FILE
from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.ui import build_ui
from tests.provenance_support import png_header_only, with_one_pixel_changed
from tests.ui_support import project

DESCRIPTION = "set concepts for the pier scene at night, previs only, not for release"
UNTIL = "2030-12-31"


def generate(who: Client, project_name: str, prompt: str = "foggy pier", count: int = 1) -> list[dict[str, Any]]:
    """Set concepts through the Set concepts tab's endpoint; the details of each frame made."""
    _, details = who.predict(prompt, "", project_name, "5", "2", "256x256", count, api_name="/generate_set")
    return details


def queue(who: Client, project_name: str) -> list[dict[str, Any]]:
    return who.predict(project_name, api_name="/pending_reviews")


def queued_ids(who: Client, project_name: str) -> list[int]:
    return [int(item["caption"].split(" · ")[0].removeprefix("frame ")) for item in queue(who, project_name)]


def performer() -> str:
    """A performer name no other test uses, that prompts can name: a distinctive surname of its own (letters:
    digits separate words, so names told apart by digits would share every word)."""
    surname = "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:8])
    return f"Zoë Q{surname}"


def grant(who: Client, name: str, project_name: str, *, uses: list[str] | None = None,
          evidence: Any = None, until: str = UNTIL) -> str:
    uses = ["likeness_reference"] if uses is None else uses
    result, _ = who.predict(name, project_name, uses, DESCRIPTION, until, evidence,
                            api_name="/grant_consent")
    return result


def grant_id(result: str) -> str:
    return result.removeprefix("Grant ").split(":")[0]


# -- review ---------------------------------------------------------------------------------------------


def test_the_queue_shows_pending_frames_oldest_first_with_captions(alice: Client, pat: Client) -> None:
    name = project()
    made = [d["frame"] for d in generate(alice, name, count=2)]
    items = queue(pat, name)
    assert [item["caption"] for item in items] == [f"frame {frame} · {name} · set" for frame in sorted(made)]
    assert all(Path(item["image"]).is_file() for item in items)
    assert queue(pat, project()) == []


def test_storyboard_frames_are_captioned_with_their_scene_and_shot(ui_studio: Studio, pat: Client) -> None:
    name = project()
    producer = Actor("pat", Role.PRODUCER)
    ui_studio.scenes.add_description("INT. LAMP ROOM - NIGHT. The keeper lights a storm lantern.", project=name,
                                     number="4", actor=producer)
    frame = ui_studio.frames.generate(FrameRequest(scene="4", kind="storyboard", project=name, width=64, height=64),
                               actor=producer)[0]
    assert [item["caption"] for item in queue(pat, name)] == [f"frame {frame.id} · {name} · storyboard · scene 4, "
                                                              "shot 1"]


def test_a_producer_opens_a_frame_and_approves_it(alice: Client, pat: Client, ui_studio: Studio) -> None:
    name = project()
    first, second = (d["frame"] for d in generate(alice, name, count=2))
    picture, details, history = pat.predict(str(first), api_name="/review_details")
    assert Path(picture).is_file() and history == []
    assert details["frame"] == first and details["kind"] == "set" and details["review"] == "pending"
    assert details["prompt"] == "foggy pier" and details["created_by"] == "alice"
    result, history, items = pat.predict(str(first), "approved", "", name, api_name="/review_frame")
    assert result == f"Frame {first}: approved by pat"
    assert [(h["status"], h["author"]) for h in history] == [("approved", "pat")]
    assert [item["caption"] for item in items] == [f"frame {second} · {name} · set"]
    assert ui_studio.frames.get(first, actor=ui_studio.local_actor).review == "approved"


def test_requests_for_changes_and_comments_are_kept_in_the_history(alice: Client, pat: Client) -> None:
    name = project()
    frame = generate(alice, name)[0]["frame"]
    pat.predict(str(frame), "pending", "looks promising", name, api_name="/review_frame")
    assert queued_ids(pat, name) == [frame]  # a comment alone leaves it waiting
    result, history, items = pat.predict(str(frame), "changes_requested", "warmer light", name,
                                         api_name="/review_frame")
    assert result == f"Frame {frame}: changes requested by pat: warmer light"
    assert [(h["status"], h["comment"]) for h in history] == [("pending", "looks promising"),
                                                              ("changes_requested", "warmer light")]
    assert items == []


@pytest.mark.parametrize(("frame", "status", "comment", "message"), [
    ("", "approved", "", "no frame chosen: click a frame in the queue"),
    ("twelve", "approved", "", "frame 'twelve' is not a whole number"),
    ("999999", "approved", "", "no frame with id 999999"),
    (None, "rejected", " ", "rejected needs a comment saying what should change"),
    (None, None, "", "unknown review status ''"),
])
def test_bad_decisions_are_refused_with_a_message(alice: Client, pat: Client, frame: str | None,
                                                  status: str | None, comment: str, message: str) -> None:
    name = project()
    made = str(generate(alice, name)[0]["frame"])
    with pytest.raises(AppError, match=message) as caught:
        pat.predict(made if frame is None else frame, status, comment, name, api_name="/review_frame")
    assert "Traceback" not in str(caught.value)
    assert pat.predict(made, api_name="/review_details")[2] == []


def test_an_art_director_may_not_approve(alice: Client, pat: Client) -> None:
    name = project()
    frame = generate(alice, name)[0]["frame"]
    with pytest.raises(AppError, match=r"alice \(art_director\) may not review frames: that needs admin, producer"):
        alice.predict(str(frame), "approved", "", name, api_name="/review_frame")
    assert queued_ids(alice, name) == [frame]  # she may still see the queue
    assert pat.predict(str(frame), api_name="/review_details")[2] == []


# -- consent --------------------------------------------------------------------------------------------


def test_the_consent_gate_holds_on_the_set_concept_endpoint_until_a_grant(alice: Client, pat: Client,
                                                                         ui_studio: Studio) -> None:
    name, person = project(), performer()
    added, performers = pat.predict(person, "Zoe O\n", "", api_name="/add_performer")
    assert added.endswith(f": {person} (also known as Zoe O)")
    assert any(p["name"] == person and p["grants"] == [] for p in performers)
    prompt = f"{person} on the foggy pier"
    # alice (art director) may not read the registry: told what is missing and what to do, not whom it names
    with pytest.raises(AppError, match=r"^refused: the prompt names a registered performer who has no active consent "
                                       f"grant for likeness_reference on project '{name}'; ask a producer") as refused:
        generate(alice, name, prompt)
    assert "Zo" not in str(refused.value) and person.split()[1] not in str(refused.value)
    assert name not in {f.project for f in ui_studio.frames.list(limit=10_000, actor=ui_studio.local_actor)}
    granted = grant(pat, person, name)
    assert granted.startswith("Grant ") and f"{person} → {name} for likeness_reference until {UNTIL} (active)" \
        in granted
    frame = generate(alice, name, prompt)[0]["frame"]
    record = ui_studio.frames.get(frame, actor=ui_studio.local_actor).record
    assert record.to_json()["consent_grants"] == [int(grant_id(granted))]


def test_disguised_names_and_identifying_words_are_refused_on_the_set_concept_endpoint(alice: Client,
                                                                                        pat: Client) -> None:
    name, person = project(), performer()
    surname = person.split()[1]
    added, _ = pat.predict(person, "", f"{surname}Stage\n", api_name="/add_performer")
    assert added.endswith(f"(also known as {surname}Stage)")
    disguised = [f"Zo\u200bë {surname[:3]}\u200b{surname[3:]}", f"{surname}Zoe", " ".join(surname),
                 f"{surname}'s coat", f"{surname.lower()}stage waves"]
    for prompt in disguised:
        with pytest.raises(AppError, match=r"^refused: the prompt names a registered performer"):
            generate(alice, name, f"{prompt} on the foggy pier")
    assert generate(alice, name, "a zoetrope on the foggy pier")[0]["frame"]


def test_revoking_through_the_ui_withdraws_the_frame(alice: Client, pat: Client) -> None:
    name, person = project(), performer()
    pat.predict(person, "", "", api_name="/add_performer")
    number = grant_id(grant(pat, person, name))
    frame = generate(alice, name, f"{person} at the end of the pier")[0]["frame"]
    kept = generate(alice, name)[0]["frame"]
    assert queued_ids(pat, name) == [frame, kept]
    result, performers = pat.predict(number, "performer withdrew consent", api_name="/revoke_grant")
    assert result == f"Grant {number} revoked; 1 frame(s) withdrawn (keep policy): {frame}"
    assert [g["state"] for p in performers if p["name"] == person for g in p["grants"]] == ["revoked"]
    assert queued_ids(pat, name) == [kept]
    with pytest.raises(AppError, match=f"frame {frame} is withdrawn"):
        pat.predict(str(frame), api_name="/review_details")
    with pytest.raises(AppError, match="already ended"):
        pat.predict(number, "performer withdrew consent", api_name="/revoke_grant")


def test_the_audit_log_lists_refusals_grants_and_revocations(alice: Client, pat: Client) -> None:
    name, person = project(), performer()
    pat.predict(person, "", "", api_name="/add_performer")
    with pytest.raises(AppError, match="refused"):
        generate(alice, name, f"{person} waves")
    number = grant_id(grant(pat, person, name))
    pat.predict(number, "the production was cancelled", api_name="/revoke_grant")
    table = pat.predict(api_name="/consent_audit")
    rows = [dict(zip(table["headers"], row, strict=True)) for row in table["data"]]
    mine = [(row["kind"], row["by"]) for row in rows if row["performer"] == person]
    assert mine == [("generation_refused", "alice"), ("granted", "pat"), ("revoked", "pat")]
    assert [row["reason"] for row in rows if row["performer"] == person][2] == "the production was cancelled"


def test_evidence_is_checked_and_kept(pat: Client, tmp_path: Path) -> None:
    name, person = project(), performer()
    pat.predict(person, "", "", api_name="/add_performer")
    release = tmp_path / "release.txt"
    release.write_text("I agree to previs concepts of the pier scene. Signed, Z. O.")
    assert grant(pat, person, name, evidence=handle_file(str(release))).endswith("evidence kept (text/plain)")
    junk, bomb = tmp_path / "release.pdf", tmp_path / "scan.png"
    junk.write_bytes(b"\x00\x01binary junk\xff")
    bomb.write_bytes(png_header_only(60_000, 60_000))
    with pytest.raises(AppError, match="consent evidence document is not a recognised file type"):
        grant(pat, person, name, evidence=handle_file(str(junk)))
    with pytest.raises(AppError, match="decompression bomb"):
        grant(pat, person, name, evidence=handle_file(str(bomb)))
    performers = pat.predict(api_name="/consent_performers")
    assert [len(p["grants"]) for p in performers if p["name"] == person] == [1]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("until", "soon", "valid until 'soon' is not a date: use YYYY-MM-DD"),
    ("until", "2001-01-01", "valid until 2001-01-01 is before valid from"),
    ("uses", [], "a grant needs at least one use"),
])
def test_bad_grants_are_refused_with_a_message(pat: Client, field: str, value: Any, message: str) -> None:
    person = performer()
    pat.predict(person, "", "", api_name="/add_performer")
    with pytest.raises(AppError, match=message):
        grant(pat, person, project(), **{field: value})


CONSENT_ENDPOINTS = {
    "/consent_performers": (), "/consent_audit": (), "/add_performer": ("Ivo Brandt", "", ""),
    "/grant_consent": ("Ivo Brandt", "default", ["likeness_reference"], DESCRIPTION, UNTIL, None),
    "/revoke_grant": ("1", "performer withdrew consent"),
}


@pytest.mark.parametrize("endpoint", CONSENT_ENDPOINTS)
def test_an_art_director_may_not_manage_or_view_consent(alice: Client, endpoint: str) -> None:
    with pytest.raises(AppError, match=r"alice \(art_director\) may not manage consent: that needs admin, producer"):
        alice.predict(*CONSENT_ENDPOINTS[endpoint], api_name=endpoint)


# -- provenance -----------------------------------------------------------------------------------------


def verify(who: Client, path: Path | str) -> tuple[str, dict[str, Any]]:
    return who.predict(handle_file(str(path)), api_name="/verify_image")


def frame_file(who: Client, project_name: str) -> Path:
    """A fresh frame as the studio served it to the browser."""
    gallery, _ = who.predict("quiet harbour", "", project_name, "3", "2", "256x256", 1, api_name="/generate_set")
    return Path(gallery[0]["image"])


def test_a_fresh_frame_verifies_and_a_changed_pixel_is_altered(alice: Client, tmp_path: Path) -> None:
    served = frame_file(alice, project())
    verdict, report = verify(alice, served)
    assert verdict.startswith("verified: made by this studio") and "Made by this studio" in verdict
    assert report["status"] == "verified" and report["record"]["generation"]["prompt"] == "quiet harbour"
    assert report["ledger_match"]["matched_by"] == "file"
    changed = tmp_path / "changed.png"
    changed.write_bytes(with_one_pixel_changed(served.read_bytes()))
    verdict, report = verify(alice, changed)
    assert verdict.startswith("altered: changed after it was signed") and report["status"] == "altered"


@pytest.mark.parametrize(("content", "message"), [
    (b"just some notes, not a picture", "The image to verify is plain text; pictures must be PNG, JPEG or WebP"),
    (b"\x00\x01\x02 binary", "The image to verify is not a recognised file type"),
    (png_header_only(60_000, 60_000), "decompression bomb"),
    (b"\x89PNG\r\n\x1a\n broken", "The image to verify is a damaged or incomplete PNG file"),
])
def test_what_is_not_a_verifiable_image_is_refused_with_a_message(alice: Client, tmp_path: Path,
                                                                  content: bytes, message: str) -> None:
    upload = tmp_path / "upload.png"
    upload.write_bytes(content)
    with pytest.raises(AppError, match=message) as caught:
        verify(alice, upload)
    assert "Traceback" not in str(caught.value)


def test_the_ledger_check_reports_an_intact_chain(alice: Client, ui_studio: Studio) -> None:
    frame_file(alice, project())
    verdict, report = alice.predict(api_name="/verify_ledger")
    entries = ui_studio.provenance.verify_ledger(actor=ui_studio.local_actor).checked
    assert entries > 0 and verdict == f"ledger intact: {entries} entries checked"
    assert report == {"ok": True, "checked": entries, "problems": [], "integrity": "ok"}


def test_the_ledger_check_names_the_first_bad_entry(alice: Client, ui_studio: Studio) -> None:
    frame_file(alice, project())
    head = ui_studio.data_directory / HEAD_FILE
    kept = head.read_text()
    head.write_text("1:" + "0" * 64)  # a head that no longer matches the newest entry
    try:
        verdict, report = alice.predict(api_name="/verify_ledger")
    finally:
        head.write_text(kept)
    assert verdict.startswith("ledger broken:") and "first at entry" in verdict
    assert report["ok"] is False and report["problems"]


# -- every endpoint ---------------------------------------------------------------------------------------

OUR_ENDPOINTS = ("pending_reviews", "review_details", "review_frame", "add_performer", "grant_consent",
                 "revoke_grant", "consent_performers", "consent_audit", "verify_image", "verify_ledger")


def test_the_endpoints_are_named(pat: Client) -> None:
    named = pat.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {f"/{name}" for name in OUR_ENDPOINTS} <= set(named)


@pytest.mark.parametrize("name", OUR_ENDPOINTS)
def test_nobody_signed_out_reaches_them(app_url: str, name: str) -> None:
    response = httpx.post(f"{app_url}gradio_api/call/{name}", json={"data": []})
    assert response.status_code == 401


def test_every_handler_refuses_a_call_without_a_signed_in_user(ui_studio: Studio, users_file: Path) -> None:
    """Behind the login gate, the handlers check again: a call that bypasses it acts as nobody."""
    page = build_ui(ui_studio, users=UserDirectory(users_file))
    handlers = {fn.api_name: fn.fn for fn in page.fns.values() if fn.api_name in OUR_ENDPOINTS}
    assert set(handlers) == set(OUR_ENDPOINTS)
    for handler in handlers.values():
        inputs = [None] * (len(inspect.signature(handler).parameters) - 1)  # all but the request
        with pytest.raises(gr.Error, match="sign in first: this studio requires a login"):
            handler(*inputs)

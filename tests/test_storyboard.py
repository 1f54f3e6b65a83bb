"""Storyboards: every shot drawn in order with a shared seed, sheets read back, selects, resume, withdrawal."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from previs.access.permissions import Actor, Role
from previs.app.storyboards import ShotProgress, StoryboardRequest
from previs.app.studio import Studio, open_studio
from previs.errors import ConsentRefused, InvalidRequest, NotFound, PermissionDenied
from previs.generation.generator import Generator
from previs.settings import Settings
from tests.test_cli import in_process
from tests.test_scene_desk import THREE_SCENES

PRODUCER = Actor("priya", Role.PRODUCER)
ALL = ("1", "2", "3")


def request(**changes) -> StoryboardRequest:
    return StoryboardRequest(**({"project": "Lighthouse", "scenes": ALL, "width": 64, "height": 64} | changes))


@pytest.fixture
def scripted(studio: Studio) -> Studio:
    studio.scenes.import_script(THREE_SCENES, project="Lighthouse", actor=PRODUCER)
    return studio


def labels(studio: Studio) -> list[str]:
    return [f"{scene.number}.{shot.order}" for scene in studio.scenes.scenes("Lighthouse", actor=PRODUCER)
            for shot in scene.shots]


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_a_three_scene_script_becomes_a_sheet_with_every_shot_in_order(scripted: Studio) -> None:
    steps: list[ShotProgress] = []
    result = scripted.storyboards.build(request(), progress=steps.append, actor=PRODUCER)
    expected = labels(scripted)
    assert [step.label for step in steps] == expected and steps[-1].done == steps[-1].total == len(expected)
    assert len(result.drawn) == len(expected) and len(set(result.seeds.values())) == 3
    frames = [scripted.frames.get(frame_id, actor=scripted.local_actor) for frame_id in result.drawn]
    records = [frame.record.to_json() for frame in frames]
    assert {record["generation"]["seed"] for record in records if record["scene"]["number"] == "1"} == {
        result.seeds["1"]}, "the shots of a scene share one base seed"
    sheet = scripted.storyboards.sheet("Lighthouse", ALL, columns=3, rows=1, actor=PRODUCER)
    pages, text = pdf_text(sheet.pdf)
    assert pages == len(sheet.pages) >= 2 and sheet.missing == []
    positions = [text.index(label) for label in expected]
    assert positions == sorted(positions), "shots appear in script order"
    for slug in ("EXT. LIGHTHOUSE CLIFF - DUSK", "INT. LAMP ROOM - NIGHT", "EXT. HARBOUR - DAWN"):
        assert slug in text
    assert "AI-generated previs" in text and "Page 1 of" in text
    assert all(data.startswith(b"\x89PNG") for data in sheet.png_pages())


def test_letter_pages_and_more_columns_change_the_layout(scripted: Studio) -> None:
    scripted.storyboards.build(request(), actor=PRODUCER)
    a4 = scripted.storyboards.sheet("Lighthouse", ALL, columns=2, page_size="A4", actor=PRODUCER)
    letter = scripted.storyboards.sheet("Lighthouse", ALL, columns=5, page_size="Letter", actor=PRODUCER)
    width, height = PdfReader(io.BytesIO(letter.pdf)).pages[0].mediabox.upper_right
    assert (round(float(width)), round(float(height))) == (612, 792)  # square frames: a portrait page
    assert len(letter.pages) < len(a4.pages)


def test_an_interrupted_job_resumes_with_only_the_missing_shots(scripted: Studio) -> None:
    class Killed(Exception):
        pass

    def die_after_three(step: ShotProgress) -> None:
        if step.done == 3:
            raise Killed

    with pytest.raises(Killed):
        scripted.storyboards.build(request(), progress=die_after_three, actor=PRODUCER)
    first_seeds = {frame.record.to_json()["scene"]["number"]: frame.seed
                   for frame in scripted.frames.list(actor=scripted.local_actor)}
    result = scripted.storyboards.build(request(), actor=PRODUCER)
    expected = labels(scripted)
    assert result.skipped == expected[:3] and len(result.drawn) == len(expected) - 3
    assert result.seeds["1"] == first_seeds["1"], "a resumed scene keeps its seed"
    again = scripted.storyboards.build(request(), actor=PRODUCER)
    assert again.drawn == [] and len(again.skipped) == len(expected)


def test_approving_a_redrawn_frame_replaces_the_select_and_the_sheet_uses_it(scripted: Studio) -> None:
    result = scripted.storyboards.build(request(scenes=("2",)), actor=PRODUCER)
    first = result.drawn[0]
    scripted.reviews.review(first, "approved", actor=PRODUCER)
    assert scripted.storyboards.sheet("Lighthouse", ["2"], actor=PRODUCER).frame_ids[0] == first
    scripted.reviews.review(first, "changes_requested", comment="lower angle, more glass", actor=PRODUCER)
    redrawn = scripted.frames.vary(first, count=1, seed=9, changes="lower angle, more glass", actor=PRODUCER)[0]
    assert redrawn.record.to_json()["parent_frame_id"] == first
    assert redrawn.shot_id == scripted.frames.get(first, actor=scripted.local_actor).shot_id
    assert redrawn.record.to_json()["generation"]["prompt"].startswith("lower angle, more glass")
    scripted.reviews.review(redrawn.id, "approved", actor=PRODUCER)
    sheet = scripted.storyboards.sheet("Lighthouse", ["2"], actor=PRODUCER)
    assert sheet.frame_ids[0] == redrawn.id
    assert str(redrawn.id) in pdf_text(sheet.pdf)[1]


def test_frames_whose_consent_was_withdrawn_never_reach_a_sheet(scripted: Studio) -> None:
    scripted.consent.add_performer("Keeper", actor=PRODUCER)  # the script's KEEPER is a registered performer
    with pytest.raises(ConsentRefused, match="Keeper"):
        scripted.storyboards.build(request(scenes=("1",)), actor=PRODUCER)  # stops at the first shot naming him
    grant = scripted.consent.grant("Keeper", project="Lighthouse", uses=["likeness_reference"],
                                   description="storyboard frames of the cliff scene for the producers",
                                   valid_until=date.today() + timedelta(days=9), actor=PRODUCER)
    result = scripted.storyboards.build(request(scenes=("1",)), actor=PRODUCER)
    keeper_frames = [frame_id for frame_id in result.drawn
                     if scripted.frames.get(frame_id, actor=PRODUCER).record.to_json()["consent_grants"] == [grant.id]]
    assert keeper_frames
    scripted.consent.revoke(grant.id, reason="performer withdrew consent", actor=PRODUCER)
    sheet = scripted.storyboards.sheet("Lighthouse", ["1"], actor=PRODUCER)
    assert sheet.frame_ids and not set(keeper_frames) & set(sheet.frame_ids)
    assert len(sheet.missing) == len(keeper_frames)


def test_unknown_styles_and_roles_are_refused_before_drawing(scripted: Studio) -> None:
    with pytest.raises(InvalidRequest, match="style"):
        scripted.storyboards.build(request(style="watercolour-ish"), actor=PRODUCER)
    with pytest.raises(PermissionDenied, match="build storyboards"):
        scripted.storyboards.build(request(), actor=Actor("c", Role.COSTUME_DESIGNER))
    assert scripted.frames.list(actor=scripted.local_actor) == []


def test_cli_storyboard_writes_pdf_and_png(settings, capsys, monkeypatch, tmp_path: Path) -> None:
    script = tmp_path / "lighthouse.fountain"
    script.write_bytes(THREE_SCENES)
    in_process(settings, capsys, monkeypatch, "import-script", str(script), "--project", "L")
    code, out, err = in_process(settings, capsys, monkeypatch, "storyboard", "--project", "L", "--scene", "1",
                                "--scene", "3", "--size", "64x64", "--pdf", str(tmp_path / "board.pdf"),
                                "--png", str(tmp_path / "board.png"), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["pages"] >= 1 and len(report["sheet_frame_ids"]) == len(report["drawn"])
    assert (tmp_path / "board.pdf").read_bytes().startswith(b"%PDF") and (tmp_path / "board.png").exists()
    code, _, err = in_process(settings, capsys, monkeypatch, "storyboard", "--project", "L", "--scene", "7")
    assert code == 1 and "no scene '7'" in err


class MovableClock:
    """The studio's clock, which a test can move to tomorrow."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_the_day_after_a_grant_lapses_its_shots_are_redrawn_under_the_gate_not_skipped(
        settings: Settings, tiny_generator: Generator) -> None:
    """Regression: with a grant that ended yesterday, a re-run reported every shot as skipped (the resume check
    ran before the expiry sweep) and then failed with 'frame N is withdrawn' when the frames were shown."""
    clock = MovableClock()
    studio = open_studio(settings, generator=tiny_generator, clock=clock)
    try:
        studio.scenes.import_script(THREE_SCENES, project="Lighthouse", actor=PRODUCER)
        studio.consent.add_performer("Keeper", actor=PRODUCER)
        grant = studio.consent.grant("Keeper", project="Lighthouse", uses=["likeness_reference"],
                                     description="storyboard frames of the cliff scene for the producers",
                                     valid_until=clock.now.date(), actor=PRODUCER)
        first = studio.storyboards.build(request(scenes=("1",)), actor=PRODUCER)
        lapsing = {frame_id for frame_id in first.drawn
                   if studio.frames.get(frame_id, actor=PRODUCER).record.consent_grants == (grant.id,)}
        others = set(first.drawn) - lapsing
        assert lapsing and others, "the scene needs shots with and without the performer"

        clock.now += timedelta(days=1)  # midnight has passed: the grant has lapsed
        reported: list[ShotProgress] = []
        with pytest.raises(ConsentRefused, match="Keeper"):
            studio.storyboards.build(request(scenes=("1",)), actor=PRODUCER, progress=reported.append)
        assert {step.frame_id for step in reported if step.skipped} <= others, "no withdrawn frame is 'skipped'"
        for step in reported:  # every frame the job reported can be shown
            assert studio.frames.get(step.frame_id, actor=PRODUCER).status == "active"
        for frame_id in lapsing:
            with pytest.raises(NotFound, match="withdrawn"):
                studio.frames.get(frame_id, actor=PRODUCER)
        expired = [event for event in studio.consent.audit(actor=PRODUCER) if event.kind == "expired"]
        assert [event.grant_id for event in expired] == [grant.id]
    finally:
        studio.close()

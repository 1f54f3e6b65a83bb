"""The consent gate: refusals, grants that cover exactly one use, revocation and expiry acting on the past."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text

from benchmarks.harness import spelled
from previs.access.permissions import Actor, Role
from previs.app.requests import FrameRequest
from previs.app.storyboards import StoryboardRequest
from previs.app.studio import Studio, open_studio
from previs.consent.canonical import refers_to
from previs.consent.registry import check_description, parse_date
from previs.errors import ConsentRefused, InvalidRequest, NotFound, PermissionDenied
from previs.generation.generator import Generator
from previs.settings import Settings
from previs.storage.database import MIGRATIONS
from tests.test_cli import in_process

SPECIFIC = "previs frames of the observatory scene for internal review, not for release"
PRODUCER = Actor("priya", Role.PRODUCER)
NEXT_MONTH = date.today() + timedelta(days=30)

pytestmark = pytest.mark.both_backends  # the gate reads the registry from the database: SQLite and PostgreSQL


def ask(prompt: str, project: str = "Nightfall", seed: int = 1) -> FrameRequest:
    return FrameRequest(prompt, seed=seed, width=64, height=64, project=project)


@pytest.fixture
def registered(studio: Studio) -> Studio:
    studio.consent.add_performer("Ann Lee", aliases=["Annie"], actor=PRODUCER)
    studio.consent.add_performer("Zoë Okafor", actor=PRODUCER)
    return studio


def grant(studio: Studio, performer: str = "Ann Lee", *, project: str = "Nightfall",
          uses: tuple[str, ...] = ("likeness_reference",), until: date = NEXT_MONTH) -> int:
    return studio.consent.grant(performer, project=project, uses=uses, description=SPECIFIC, valid_until=until,
                                actor=PRODUCER).id


@pytest.mark.parametrize(("text", "name", "expected"), [
    ("Ann at the window", "Ann", True),
    ("the Annex at night", "Ann", False),
    ("ANN's coat in the rain", "Ann", True),
    ("Ann\u2019s coat in the rain", "Ann", True),
    ("zoe okafor walks in", "Zoë Okafor", True),
    ("ZOË OKAFOR walks in", "Zoe Okafor", True),
    ("Zoë walks past Okafor's car", "Zoë Okafor", True),  # a distinctive surname names her alone
    ("a banner for Joanne", "Ann", False),
    ("Mary-Kate on the stairs", "Mary Kate", True),
    ("", "Ann", False),
])
def test_names_match_whole_words_ignoring_case_accents_and_possessives(text: str, name: str, expected: bool) -> None:
    assert (refers_to(text, name) is not None) is expected


def test_a_prompt_naming_a_performer_is_refused_without_a_grant_before_the_model_runs(
    registered: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(*_args, **_kwargs):
        raise AssertionError("the model ran although consent was missing")

    monkeypatch.setattr(registered.models.generator, "generate", must_not_run)
    with pytest.raises(ConsentRefused, match=r"Ann Lee .*'Annie'.* likeness_reference on project 'Nightfall'"):
        registered.frames.generate(ask("annie's silhouette at the observatory door"), actor=registered.local_actor)
    assert registered.frames.list(actor=registered.local_actor) == []
    refused = [event for event in registered.consent.audit(actor=PRODUCER) if event.kind == "generation_refused"]
    assert [(event.performer, event.detail["use"]) for event in refused] == [("Ann Lee", "likeness_reference")]


def test_a_studio_with_performers_keeps_working_on_every_back_end(studio: Studio) -> None:
    """Once one performer exists, every path that consults the registry still works: generate, grant, reproduce,
    a storyboard, another performer, revocation (on PostgreSQL each of these once failed on the aliases column)."""
    studio.consent.add_performer("Ann Lee", aliases=["Annie", "A. Lee"], actor=PRODUCER)
    nobody = studio.frames.generate(ask("an empty observatory at dusk"), actor=studio.local_actor)[0]
    assert nobody.record.to_json()["consent_grants"] == []
    grant_id = grant(studio)
    ann = studio.frames.generate(ask("Annie at the observatory door", seed=2), actor=studio.local_actor)[0]
    assert ann.record.to_json()["consent_grants"] == [grant_id]
    assert studio.frames.reproduce(ann.id, actor=studio.local_actor).identical
    studio.scenes.add_description("EXT. OBSERVATORY - NIGHT. A telescope turns toward the sea.", project="Nightfall",
                                  actor=PRODUCER)
    board = studio.storyboards.build(StoryboardRequest("Nightfall", ["1"], width=64, height=64), actor=PRODUCER)
    assert board.drawn and studio.storyboards.sheet("Nightfall", ["1"], actor=PRODUCER).missing == []
    assert studio.consent.add_performer("Zoë Okafor", actor=PRODUCER).aliases == []
    with pytest.raises(InvalidRequest, match="already registered"):
        studio.consent.add_performer("a. lee", actor=PRODUCER)
    assert [person.aliases for person in studio.consent.performers(actor=PRODUCER)] == [["A. Lee", "Annie"], []]
    assert studio.consent.revoke(grant_id, reason="performer withdrew consent", actor=PRODUCER
                                 ).withdrawn_frame_ids == [ann.id]


def test_a_prompt_naming_nobody_registered_needs_no_grant(registered: Studio) -> None:
    frame = registered.frames.generate(ask("the annex of an observatory at dusk"), actor=registered.local_actor)[0]
    assert frame.record.to_json()["consent_grants"] == [] and frame.record.to_json()["likeness_uses"] == []


@pytest.mark.parametrize("case", ["other_use", "other_project", "expired", "revoked", "not_yet_valid"])
def test_grants_that_do_not_cover_the_use_are_refused(registered: Studio, case: str) -> None:
    if case == "other_use":
        grant(registered, uses=("costume_fitting", "digital_double"))
    elif case == "other_project":
        grant(registered, project="Daybreak")
    elif case == "revoked":
        registered.consent.revoke(grant(registered), reason="performer withdrew consent", actor=PRODUCER)
    elif case == "not_yet_valid":
        registered.consent.grant("Ann Lee", project="Nightfall", uses=["likeness_reference"], description=SPECIFIC,
                                 valid_from=NEXT_MONTH, valid_until=NEXT_MONTH + timedelta(days=5), actor=PRODUCER)
    else:
        grant(registered, until=date.today())
        registered.consent._clock = lambda: datetime.now(UTC) + timedelta(days=2)
    with pytest.raises(ConsentRefused, match="Ann Lee"):
        registered.frames.generate(ask("Ann Lee at the observatory door"), actor=registered.local_actor)


def test_a_matching_grant_allows_the_frame_and_the_frame_records_it(registered: Studio) -> None:
    grant_id = grant(registered)
    frame = registered.frames.generate(ask("Ann Lee at the observatory door"), actor=registered.local_actor)[0]
    assert frame.record.to_json()["consent_grants"] == [grant_id]
    assert frame.record.to_json()["likeness_uses"] == [
        {"performer": "Ann Lee", "use": "likeness_reference",
         "reason": "named in the prompt as 'Ann Lee' (full name)"}]


@pytest.mark.parametrize("ending", ["revoked", "expired"])
def test_a_grant_ending_while_frames_are_drawn_stores_nothing(
    registered: Studio, monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    grant_id = grant(registered, until=date.today())
    draw = registered.models.generator.generate

    def draw_while_the_grant_ends(request):
        images = draw(request)
        if ending == "revoked":
            registered.consent.revoke(grant_id, reason="performer withdrew consent", actor=PRODUCER)
        else:  # midnight passes during the generation
            registered.consent._clock = lambda: datetime.now(UTC) + timedelta(days=1)
        return images

    monkeypatch.setattr(registered.models.generator, "generate", draw_while_the_grant_ends)
    with pytest.raises(ConsentRefused, match=rf"grant\(s\) {grant_id} ended while the frames were being generated"):
        registered.frames.generate(ask("Ann Lee at the observatory door"), actor=registered.local_actor)
    assert registered.frames.list(actor=registered.local_actor) == []
    assert list((registered.data_directory / "frames").rglob("*.png")) == [], "no file without its record"
    ledger = registered.provenance.verify_ledger(actor=registered.local_actor)
    assert ledger.ok and ledger.checked == 0


def test_reproducing_a_frame_is_gated_by_today_s_registry(studio: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    # nobody registered by that name yet
    frame = studio.frames.generate(ask("Mara Voss at the observatory door"), actor=studio.local_actor)[0]
    studio.consent.add_performer("Mara Voss", actor=PRODUCER)
    monkeypatch.setattr(studio.models.generator, "generate", lambda *_: pytest.fail("the model ran without consent"))
    with pytest.raises(ConsentRefused, match=r"Mara Voss .*named in the prompt"):
        studio.frames.reproduce(frame.id, actor=studio.local_actor)
    monkeypatch.undo()
    grant(studio, "Mara Voss")
    assert studio.frames.reproduce(frame.id, actor=studio.local_actor).identical


def test_revoking_a_grant_withdraws_exactly_the_frames_that_used_it(registered: Studio) -> None:
    ann, zoe = grant(registered), grant(registered, "Zoë Okafor")
    with_ann = registered.frames.generate(ask("Ann Lee on the roof", seed=1), actor=registered.local_actor)[0]
    with_zoe = registered.frames.generate(ask("Zoe Okafor on the roof", seed=2), actor=registered.local_actor)[0]
    nobody = registered.frames.generate(ask("an empty roof", seed=3), actor=registered.local_actor)[0]
    withdrawal = registered.consent.revoke(ann, reason="performer withdrew consent", actor=PRODUCER)
    assert withdrawal.withdrawn_frame_ids == [with_ann.id]
    assert {frame.id for frame in registered.frames.list(actor=registered.local_actor)} == {with_zoe.id, nobody.id}
    with pytest.raises(NotFound, match="withdrawn"):
        registered.frames.get(with_ann.id, actor=registered.local_actor)
    assert not Path(with_ann.path).exists(), "a withdrawn frame's file must leave the served folder"
    kept = list((registered.data_directory / "withdrawn").rglob("*.png"))
    assert [path.name for path in kept] == [f"{with_ann.file_sha256}.png"], "keep policy: kept for audit"
    assert zoe not in withdrawal.withdrawn_frame_ids


def test_expiry_is_recorded_once_and_withdraws_frames(registered: Studio) -> None:
    grant_id = grant(registered, until=date.today())
    frame = registered.frames.generate(ask("Ann Lee on the roof"), actor=registered.local_actor)[0]
    registered.consent._clock = lambda: datetime.now(UTC) + timedelta(days=1)
    assert registered.frames.list(actor=registered.local_actor) == []
    registered.frames.list(actor=registered.local_actor)
    expired = [event for event in registered.consent.audit(actor=PRODUCER) if event.kind == "expired"]
    assert [event.grant_id for event in expired] == [grant_id]
    assert registered.consent.performers(actor=PRODUCER)[0].grants[0].state == "expired"
    with pytest.raises(NotFound):
        registered.frames.get(frame.id, actor=registered.local_actor)


def test_purge_policy_deletes_withdrawn_files(settings: Settings, tiny_generator: Generator) -> None:
    from dataclasses import replace

    studio = open_studio(replace(settings, consent_policy="purge"), generator=tiny_generator)
    studio.consent.add_performer("Ann Lee", actor=PRODUCER)
    frame = studio.frames.generate(ask("Ann Lee on the roof"), actor=studio.local_actor)[0] if grant(studio) else None
    studio.consent.revoke(1, reason="performer withdrew consent", actor=PRODUCER)
    assert not Path(frame.path).exists() and not list(settings.home.rglob(f"{frame.file_sha256}*"))
    studio.close()


def test_the_audit_lists_every_event_in_order(registered: Studio) -> None:
    with pytest.raises(ConsentRefused):
        registered.frames.generate(ask("Ann Lee in the rain"), actor=registered.local_actor)
    first = grant(registered)
    second = grant(registered, "Zoë Okafor", uses=("costume_fitting",))
    registered.consent.revoke(first, reason="performer withdrew consent", actor=PRODUCER)
    events = registered.consent.audit(actor=PRODUCER)
    assert [(event.kind, event.grant_id) for event in events] == [
        ("generation_refused", None), ("granted", first), ("granted", second), ("revoked", first)]
    assert [event.id for event in events] == sorted(event.id for event in events)
    assert events[-1].actor == "priya" and events[-1].reason == "performer withdrew consent"


@pytest.mark.parametrize(("changes", "message"), [
    ({"description": "any use"}, "specifically"),
    ({"description": "see the contract"}, "specifically"),
    ({"uses": ["voice_clone"]}, "unknown use"),
    ({"uses": []}, "at least one use"),
    ({"valid_until": date(2020, 1, 1)}, "before valid from|already past"),
    ({"project": "<b>x</b>"}, "project name '<b>x</b>' is not allowed"),
])
def test_vague_or_wrong_grants_are_refused(registered: Studio, changes: dict, message: str) -> None:
    arguments = {"project": "Nightfall", "uses": ["likeness_reference"], "description": SPECIFIC,
                 "valid_until": NEXT_MONTH} | changes
    with pytest.raises(InvalidRequest, match=message):
        registered.consent.grant("Ann Lee", actor=PRODUCER, **arguments)
    assert registered.consent.audit(actor=PRODUCER) == []


def test_descriptions_need_specific_words() -> None:
    assert check_description("  costume fittings for the ballroom scene,\n previs only ") .startswith("costume")
    with pytest.raises(InvalidRequest):
        check_description("for all purposes")


def test_only_producers_and_admins_manage_consent(registered: Studio) -> None:
    designer = Actor("cole", Role.COSTUME_DESIGNER)
    with pytest.raises(PermissionDenied, match=r"cole .*manage consent"):
        registered.consent.grant("Ann Lee", project="Nightfall", uses=["likeness_reference"], description=SPECIFIC,
                                 valid_until=NEXT_MONTH, actor=designer)
    with pytest.raises(PermissionDenied):
        registered.consent.revoke(1, reason="just because I can", actor=designer)
    with pytest.raises(PermissionDenied):
        registered.consent.audit(actor=designer)


def test_duplicate_names_and_aliases_are_refused(registered: Studio) -> None:
    with pytest.raises(InvalidRequest, match="already registered"):
        registered.consent.add_performer("annie", actor=PRODUCER)


@pytest.fixture
def cli(settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator:
    if settings.database_url:  # the PostgreSQL half: the command finds the database where a user would set it
        monkeypatch.setenv("PREVIS_DATABASE_URL", settings.database_url)

    def run(*args: str) -> tuple[int, str, str]:
        return in_process(settings, capsys, monkeypatch, *args)

    yield run


def test_the_cli_goes_through_the_same_gate(cli, tmp_path: Path) -> None:
    assert cli("consent", "add-performer", "Ann Lee", "--alias", "Annie", "--json")[0] == 0
    generate = ("generate", "--prompt", "Annie at the door", "--project", "Nightfall", "--size", "64x64", "--json")
    code, out, err = cli(*generate)
    assert code == 1 and out == "" and err.startswith("error: refused: Ann Lee") and err.count("\n") == 1
    evidence = tmp_path / "release.txt"
    evidence.write_text("I agree to previs frames of the observatory scene. -- Ann Lee\n")
    code, out, _ = cli("consent", "grant", "Annie", "--project", "Nightfall", "--use", "likeness_reference",
                       "--description", SPECIFIC, "--until", NEXT_MONTH.isoformat(), "--evidence", str(evidence),
                       "--json")
    assert code == 0, out
    grant_id = json.loads(out)["id"]
    code, out, _ = cli(*generate)
    assert code == 0 and json.loads(out)[0]["record"]["consent_grants"] == [grant_id]
    code, out, _ = cli("consent", "revoke", str(grant_id), "--reason", "performer withdrew consent", "--json")
    assert code == 0 and len(json.loads(out)["withdrawn_frame_ids"]) == 1
    code, out, _ = cli("consent", "list", "--json")
    assert json.loads(out)[0]["grants"][0]["state"] == "revoked"
    code, out, _ = cli("consent", "audit", "--json")
    assert [event["kind"] for event in json.loads(out)] == ["generation_refused", "granted", "revoked"]
    code, _, err = cli("consent", "grant", "Annie", "--project", "Nightfall", "--use", "likeness_reference",
                       "--description", SPECIFIC, "--until", "next week")
    assert code == 1 and "YYYY-MM-DD" in err


def test_evidence_is_checked_and_kept_by_sha256(registered: Studio) -> None:
    import hashlib

    release = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    granted = registered.consent.grant("Ann Lee", project="Nightfall", uses=["likeness_reference"],
                                       description=SPECIFIC, valid_until=NEXT_MONTH, evidence=release, actor=PRODUCER)
    assert granted.evidence_sha256 == hashlib.sha256(release).hexdigest()
    assert registered.consent.evidence(granted.id, actor=PRODUCER) == (release, "application/pdf")
    with pytest.raises(InvalidRequest, match="evidence"):
        registered.consent.grant("Ann Lee", project="Nightfall", uses=["likeness_reference"], description=SPECIFIC,
                                 valid_until=NEXT_MONTH, evidence=b"\x00\x01\x02 not a document", actor=PRODUCER)
    assert [event.kind for event in registered.consent.audit(actor=PRODUCER)] == ["granted"]


def test_evidence_can_be_a_front_end_s_temporary_file(registered: Studio, tmp_path: Path) -> None:
    upload = tmp_path / "gradio-upload"
    upload.write_text("I agree to previs frames of the observatory scene. -- Ann Lee\n")
    granted = registered.consent.grant("Ann Lee", project="Nightfall", uses=["likeness_reference"],
                                       description=SPECIFIC, valid_until=NEXT_MONTH, evidence=upload, actor=PRODUCER)
    assert registered.consent.evidence(granted.id, actor=PRODUCER) == (upload.read_bytes(), "text/plain")


def test_grant_dates_are_read_as_typed() -> None:
    assert parse_date(" 2027-03-31 ", "valid until") == date(2027, 3, 31)
    with pytest.raises(InvalidRequest, match=r"valid until '31/03/2027' is not a date: use YYYY-MM-DD"):
        parse_date("31/03/2027", "valid until")


# -- the name-word index: the gate's cost follows the names it matches, not the registry's size ------------------


def fill_registry(studio: Studio, count: int) -> None:
    """Extra performers in one transaction (set-up speed), indexed as add_performer indexes them (the registry's
    own key rows); each shares a word ("walk", "on") with all the others and one ("lee") with Ann Lee, none of
    which names anyone alone."""
    from previs.consent.registry import index_keys

    with studio.database.unit_of_work() as work:
        for number in range(count):
            name, alias = f"{spelled(number)} Lee", f"Walk-on {spelled(number)}"
            work.consent.add_performer(name=name, aliases=[alias], created_by="t",
                                       keys=index_keys(name, [alias], []))


def rows_read_by_the_gate(studio: Studio, prompt: str) -> tuple[int, int]:
    """(queries, rows) the gate's SELECTs return, counted by running each again as it was sent."""
    sent: list[tuple[str, Any]] = []

    def record(_connection, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(studio.database.engine, "before_cursor_execute", record)
    try:
        studio.consent.clear("Nightfall", prompt=prompt, texts=(), actor=PRODUCER)
    finally:
        event.remove(studio.database.engine, "before_cursor_execute", record)
    with studio.database.engine.connect() as connection:
        rows = sum(len(connection.exec_driver_sql(statement, parameters).all()) for statement, parameters in sent)
    return len(sent), rows


def test_the_gate_reads_the_names_it_matches_not_the_whole_registry(registered: Studio) -> None:
    grant(registered)
    prompt = "Ann Lee walks on the pier at dusk"  # every extra's "walk on" and "Lee" words, but no whole label
    small = rows_read_by_the_gate(registered, prompt)
    fill_registry(registered, 2_000)
    assert rows_read_by_the_gate(registered, prompt) == small == (2, 2)  # Ann Lee, then her one current grant
    cleared = registered.consent.clear("Nightfall", prompt=prompt, texts=(), actor=PRODUCER)
    assert [use.performer for use in cleared.uses] == ["Ann Lee"]
    with pytest.raises(ConsentRefused, match=f"{spelled(1999)} Lee"):
        registered.consent.clear("Nightfall", prompt=f"the walk-on {spelled(1999)} at the pier", texts=(),
                                 actor=PRODUCER)


def test_registration_and_grants_look_names_up_through_the_index(registered: Studio) -> None:
    fill_registry(registered, 50)
    seven, twelve = spelled(7), spelled(12)
    with pytest.raises(InvalidRequest, match=rf"'walk on {seven}' \(performer '{seven} Lee'\) is already registered"):
        registered.consent.add_performer("Dana Cole", aliases=[f"walk on {seven}"], actor=PRODUCER)
    registered.consent.add_performer("Lee", actor=PRODUCER)  # a word of many labels, but nobody's whole label
    assert registered.consent.grant(f"WALK-ON {twelve.upper()}", project="Nightfall", uses=["likeness_reference"],
                                    description=SPECIFIC, valid_until=NEXT_MONTH, actor=PRODUCER).performer == \
        f"{twelve} Lee"
    with pytest.raises(ConsentRefused, match=f"{twelve} Lee"):
        registered.consent.clear("Elsewhere", prompt=f"walk on {twelve} at the pier", texts=(), actor=PRODUCER)


def test_a_database_made_before_the_index_gets_its_performers_indexed(settings: Settings,
                                                                      tiny_generator: Generator) -> None:
    settings.home.mkdir(parents=True)
    engine = create_engine(settings.db_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(text(
            "INSERT INTO performers (name, aliases, contact, agent, created_by, created_at) VALUES "
            "('Ann Lee', '[\"Annie\"]', '', '', 't', '2026-01-01'), ('Zoë Okafor', '[]', '', '', 't', '2026-01-01')"))
    engine.dispose()
    studio = open_studio(settings, generator=tiny_generator)
    try:
        with pytest.raises(ConsentRefused, match="Zoë Okafor"):
            studio.consent.clear("Nightfall", prompt="ZOE OKAFOR at the door", texts=(), actor=PRODUCER)
        with pytest.raises(InvalidRequest, match=r"'annie' .*already registered"):
            studio.consent.add_performer("Ann Cole", aliases=["annie"], actor=PRODUCER)
        grant(studio, "Annie")
        cleared = studio.consent.clear("Nightfall", prompt="annie's coat", texts=(), actor=PRODUCER)
        assert [use.performer for use in cleared.uses] == ["Ann Lee"] and cleared.grant_ids
    finally:
        studio.close()

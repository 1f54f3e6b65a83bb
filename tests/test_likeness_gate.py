"""Issue #16, the text half, through the studio: the gate reads names the canonical way, on every path a text takes.

The disguise corpus of tests/test_canonical.py must be refused without a grant through the Python API (and samples
of it through the CLI, a Fountain script's storyboard and a costume field; the Gradio API's sample is in
tests/test_ui_producer.py), look-alikes must draw, and the refusal, the audit and the frame record say which rule
matched — without telling a user who may not read the registry whom the prompt names.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from previs.access.permissions import Actor, Role
from previs.app.requests import FrameRequest
from previs.app.storyboards import StoryboardRequest
from previs.app.studio import Studio, open_studio
from previs.consent.canonical import NAME_KEYS_VERSION
from previs.errors import ConsentRefused
from previs.fitting.request import FittingRequest
from previs.generation.generator import Generator
from previs.settings import Settings
from tests.test_canonical import DISGUISES
from tests.test_cli import in_process

PRODUCER = Actor("priya", Role.PRODUCER)
ART_DIRECTOR = Actor("alice", Role.ART_DIRECTOR)
SPECIFIC = "previs frames of the observatory scene for internal review, not for release"
SAMPLE = ["Zo\u200bë Oka\u200bfor", "OkaforZoe", "Z o e  O k a f o r", "Zоë Оkаfor", "Z0e 0kafor", "Okafor's coat"]


def ask(prompt: str, **changes: object) -> FrameRequest:
    return FrameRequest(prompt, seed=1, width=64, height=64, project="Nightfall", **changes)  # type: ignore[arg-type]


@pytest.fixture
def cast(studio: Studio) -> Studio:
    studio.consent.add_performer("Zoë Okafor", aliases=["Zoe O"], identifying=["Zozo"], actor=PRODUCER)
    studio.consent.add_performer("Ann Lee", actor=PRODUCER)
    studio.consent.add_performer("Jean Baptiste", actor=PRODUCER)
    return studio


def refused_events(studio: Studio) -> list[dict[str, object]]:
    return [{"performer": event.performer, **event.detail} for event in studio.consent.audit(actor=PRODUCER)
            if event.kind == "generation_refused"]


def test_every_disguise_is_refused_through_the_python_api(cast: Studio) -> None:
    for disguise in DISGUISES:
        with pytest.raises(ConsentRefused, match="Zoë Okafor"):
            cast.frames.generate(ask(f"{disguise} at the observatory door"), actor=cast.local_actor)
    assert cast.frames.list(actor=cast.local_actor) == []
    assert {event["performer"] for event in refused_events(cast)} == {"Zoë Okafor"}
    assert len(refused_events(cast)) == len(DISGUISES)


def test_identifying_words_name_the_performer_alone(cast: Studio) -> None:
    with pytest.raises(ConsentRefused, match=r"Zoë Okafor \(named in the prompt as 'Zozo' \(identifying word\)\)"):
        cast.frames.generate(ask("zozo on the pier at dusk"), actor=cast.local_actor)
    assert cast.consent.performers(actor=PRODUCER)[-1].identifying == ["Zozo"]


def test_look_alikes_are_allowed(cast: Studio) -> None:
    for prompt in ("the Annex at night", "a baptistery with a marble font", "a zoetrope on the desk"):
        frame = cast.frames.generate(ask(prompt), actor=cast.local_actor)[0]
        assert frame.record.to_json()["likeness_uses"] == []


def test_a_name_past_the_encoder_s_cut_is_still_refused(cast: Studio) -> None:
    prompt = "a quiet corridor, " * 40 + "Zoë Okafor"
    assert all("okafor" not in received for received in cast.models.encoder_texts(prompt)), "past the cut"
    with pytest.raises(ConsentRefused, match="Zoë Okafor"):
        cast.frames.generate(ask(prompt), actor=cast.local_actor)


def test_a_negative_prompt_reaches_the_encoders_so_it_is_gated(cast: Studio) -> None:
    with pytest.raises(ConsentRefused, match="Zoë Okafor"):
        cast.frames.generate(ask("an empty observatory", negative_prompt="Z0e 0kafor"), actor=cast.local_actor)


def test_an_allowed_frame_records_the_rule_that_matched(cast: Studio) -> None:
    grant = cast.consent.grant("Zoë Okafor", project="Nightfall", uses=["likeness_reference"],
                               description=SPECIFIC, valid_until=date.today() + timedelta(days=5), actor=PRODUCER)
    frame = cast.frames.generate(ask("Okafor's coat on a hook"), actor=cast.local_actor)[0]
    assert frame.record.to_json()["consent_grants"] == [grant.id]
    assert frame.record.to_json()["likeness_uses"] == [{
        "performer": "Zoë Okafor", "use": "likeness_reference",
        "reason": "named in the prompt as 'okafor' (distinctive surname)"}]


def test_a_refusal_to_an_art_director_names_nobody_but_the_audit_does(cast: Studio) -> None:
    with pytest.raises(ConsentRefused) as refused:
        cast.frames.generate(ask("Zo\u200bë Oka\u200bfor at the door"), actor=ART_DIRECTOR)
    assert str(refused.value) == (
        "refused: the prompt names a registered performer who has no active consent grant for likeness_reference "
        "on project 'Nightfall'; ask a producer to record a grant, or remove the reference")
    event = refused_events(cast)[-1]
    assert (event["performer"], event["rule"], event["matched"]) == ("Zoë Okafor", "full name", "Zoë Okafor")
    with pytest.raises(ConsentRefused, match=r"^refused: Zoë Okafor .*full name"):  # a producer is told whom
        cast.frames.generate(ask("Zo\u200bë Oka\u200bfor at the door"), actor=PRODUCER)


def test_the_cli_refuses_a_sample_of_disguises_in_one_line(settings: Settings, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def cli(*args: str) -> tuple[int, str, str]:
        return in_process(settings, capsys, monkeypatch, *args)

    code, out, _ = cli("consent", "add-performer", "Zoë Okafor", "--identifying", "Zozo", "--identifying",
                       "The Duchess", "--json")
    assert code == 0 and json.loads(out)["identifying"] == ["The Duchess", "Zozo"]
    generate = ("generate", "--project", "Nightfall", "--size", "64x64", "--json", "--prompt")
    for disguise in [*SAMPLE, "Zozo", "the duchess"]:
        code, out, err = cli(*generate, f"{disguise} on the pier")
        assert code == 1 and out == "" and err.startswith("error: refused: Zoë Okafor") and err.count("\n") == 1
    code, out, _ = cli(*generate, "a zoetrope on the pier")
    assert code == 0 and json.loads(out)[0]["record"]["likeness_uses"] == []


DISGUISED_SCRIPT = """Title: Observatory

INT. OBSERVATORY - NIGHT #1#

Z\u200bo\u0308e\u0308 O-k-a-f-o-r climbs the iron stairs to the telescope.
""".encode()


def test_a_fountain_action_line_that_disguises_the_name_stops_the_storyboard(cast: Studio) -> None:
    cast.scenes.import_script(DISGUISED_SCRIPT, project="Nightfall", actor=PRODUCER)
    with pytest.raises(ConsentRefused, match="Zoë Okafor"):
        cast.storyboards.build(StoryboardRequest(project="Nightfall", scenes=("1",), width=64, height=64),
                               actor=PRODUCER)  # at the first shot whose prompt names her
    assert all(frame.record.to_json()["likeness_uses"] == [] for frame in cast.frames.list(actor=cast.local_actor))


def test_a_costume_field_that_disguises_the_name_is_refused(cast: Studio) -> None:
    designer = Actor("cole", Role.COSTUME_DESIGNER)
    for costume in ("a ball gown like Zоë Оkаfor wears", "Zozo's ball gown"):
        with pytest.raises(ConsentRefused, match="registered performer"):
            cast.fittings.fit(FittingRequest(costume, variants=1), project="Nightfall", actor=designer)


def test_the_index_is_rebuilt_on_open_when_the_key_version_changes(settings: Settings,
                                                                    tiny_generator: Generator) -> None:
    studio = open_studio(settings, generator=tiny_generator)
    studio.consent.add_performer("Zoë Okafor", actor=PRODUCER)
    with studio.database.unit_of_work() as work:
        assert work.studio.get("name_keys_version") == NAME_KEYS_VERSION
    with studio.database.engine.begin() as connection:  # as an older matcher left it: other keys, other version
        connection.execute(text("UPDATE name_words SET key = key || '~'"))
        connection.execute(text("UPDATE studio_meta SET value = 'older' WHERE key = 'name_keys_version'"))
    assert studio.consent.clear("Nightfall", prompt="Okafor", texts=(), actor=PRODUCER).uses == []
    studio.close()
    studio = open_studio(settings, generator=tiny_generator)
    try:
        with pytest.raises(ConsentRefused, match="Zoë Okafor"):
            studio.consent.clear("Nightfall", prompt="Okafor", texts=(), actor=PRODUCER)
        with studio.database.unit_of_work() as work:
            assert work.studio.get("name_keys_version") == NAME_KEYS_VERSION
    finally:
        studio.close()


"""Scenes stored per project: import, re-import by number, bad input storing nothing, frames from scenes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from previs.access.permissions import Actor, Role
from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.errors import InvalidRequest, PermissionDenied, ScriptImportError
from previs.scenes import Shot
from tests.test_cli import in_process

SCRIPTS = Path(__file__).parent / "data" / "scripts"
PRODUCER = Actor("priya", Role.PRODUCER)
THREE_SCENES = b"""Title: Lighthouse

EXT. LIGHTHOUSE CLIFF - DUSK #1#

Waves smash against black rocks. A keeper climbs the iron stairs.

KEEPER
The lamp is out.

INT. LAMP ROOM - NIGHT #2#

Broken glass glitters on the floor. The keeper lights a storm lantern.

EXT. HARBOUR - DAWN #3#

A fishing boat limps into the harbour.
"""


def test_a_script_imports_into_its_scenes_with_shots(studio: Studio) -> None:
    report = studio.scenes.import_script((SCRIPTS / "glass_heist.fountain").read_bytes(), project="Heist",
                                         actor=PRODUCER)
    assert [scene.number for scene in report.scenes] == ["1", "2", "3", "12A", "13", "14"]
    assert report.created == ["1", "2", "3", "12A", "13", "14"] and report.updated == []
    first = studio.scenes.scene("Heist", "1", actor=PRODUCER)
    assert (first.int_ext, first.location, first.time_of_day) == ("EXT", "HARBOUR WAREHOUSE", "NIGHT")
    assert first.characters == ["MAYA", "DEX"]
    assert first.shots[0].size == "wide" and 2 <= len(first.shots) <= 8


def test_reimporting_a_revised_script_updates_scenes_by_number(studio: Studio) -> None:
    studio.scenes.import_script(THREE_SCENES, project="Lighthouse", actor=PRODUCER)
    shot_ids = [shot.id for shot in studio.scenes.scene("Lighthouse", "2", actor=PRODUCER).shots]
    revised = THREE_SCENES.replace(b"storm lantern", b"flare").replace(b"EXT. HARBOUR - DAWN #3#",
                                                                        b"EXT. HARBOUR - MORNING #3#")
    report = studio.scenes.import_script(revised, project="Lighthouse", actor=PRODUCER)
    assert report.created == [] and report.updated == ["1", "2", "3"]
    scenes = studio.scenes.scenes("Lighthouse", actor=PRODUCER)
    assert [scene.number for scene in scenes] == ["1", "2", "3"]
    assert "flare" in scenes[1].action and scenes[2].time_of_day == "MORNING"
    assert [shot.id for shot in scenes[1].shots][:len(shot_ids)] == shot_ids[:len(scenes[1].shots)]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00binary", "binary|NUL"),
    ("INT. CAF\u00c9 - DAY\n\nCoffee.\n".encode("latin-1"), "UTF-8"),
    (b"Just some notes about the film, no headings at all.\n", "heading"),
])
def test_bad_scripts_are_clear_errors_and_store_nothing(studio: Studio, data: bytes, message: str) -> None:
    with pytest.raises(ScriptImportError, match=message):
        studio.scenes.import_script(data, project="Broken", actor=PRODUCER)
    with studio.database.unit_of_work() as work:
        assert work.projects.find("Broken") is None


def test_a_project_name_that_is_not_allowed_is_refused_before_anything_is_stored(studio: Studio) -> None:
    with pytest.raises(InvalidRequest, match="project name '<b>x</b>' is not allowed"):
        studio.scenes.import_script(THREE_SCENES, project="<b>x</b>", actor=PRODUCER)
    with pytest.raises(InvalidRequest, match="project name '' is not allowed"):
        studio.scenes.add_description("A lighthouse at dusk.", project="  ", actor=PRODUCER)
    with studio.database.unit_of_work() as work:
        assert work.projects.find("<b>x</b>") is None and work.projects.find("") is None


def test_a_50_megabyte_file_is_refused(studio: Studio, tmp_path: Path) -> None:
    big = tmp_path / "huge.fountain"
    with big.open("wb") as stream:
        stream.truncate(50 * 1024 * 1024)
    with big.open("rb") as stream, pytest.raises(ScriptImportError, match="MB"):
        studio.scenes.import_script(stream, project="Huge", actor=PRODUCER)


def test_a_set_concept_from_a_scene_fits_and_keeps_location_time_and_style(studio: Studio) -> None:
    long_action = " ".join(f"Crate {n} is stacked beside rusted chains and coils of rope." for n in range(30))
    script = THREE_SCENES.replace(b"Waves smash against black rocks.", long_action.encode())
    studio.scenes.import_script(script, project="Lighthouse", actor=PRODUCER)
    frame = studio.frames.generate(FrameRequest(scene="1", style="matte_painting", project="Lighthouse", seed=3,
                                         width=64, height=64), actor=studio.local_actor)[0]
    template = frame.record.to_json()["prompt_template"]
    count_tokens, limit = studio.models.generator.token_counter()
    assert template["template"] == "set_concept@2" and template["style"] == "matte_painting"
    assert count_tokens(frame.record.to_json()["generation"]["prompt"]) <= limit == 77
    prompt = frame.record.to_json()["generation"]["prompt"].lower()
    assert "lighthouse cliff" in prompt and "dusk" in prompt and "matte painting" in prompt
    assert template["dropped"] and "left out" in template["dropped_summary"]
    assert frame.record.to_json()["scene"] == {"number": "1", "heading": "EXT. LIGHTHOUSE CLIFF - DUSK"}
    assert frame.scene_id is not None


def test_storyboard_and_costume_frames_render_from_the_scene(studio: Studio) -> None:
    studio.scenes.import_script(THREE_SCENES, project="Lighthouse", actor=PRODUCER)
    board = studio.frames.generate(FrameRequest(scene="2", kind="storyboard", shot=2, project="Lighthouse",
                                         width=64, height=64), actor=studio.local_actor)[0]
    assert board.record.to_json()["shot"]["order"] == 2 and board.shot_id is not None
    assert board.record.to_json()["prompt_template"]["template"].startswith("storyboard_frame@")
    costume = studio.frames.generate(FrameRequest(scene="1", kind="costume", costume="oilskin coat, 1920s",
                                           project="Lighthouse", width=64, height=64), actor=studio.local_actor)[0]
    assert "oilskin coat" in costume.record.to_json()["generation"]["prompt"]
    with pytest.raises(InvalidRequest, match="no shot 99"):
        studio.frames.generate(FrameRequest(scene="2", kind="storyboard", shot=99, project="Lighthouse"),
                               actor=studio.local_actor)
    with pytest.raises(InvalidRequest, match="pick scene 1 or type a description, not both"):
        studio.frames.generate(FrameRequest(scene="1", prompt="a cellar", project="Lighthouse"),
                               actor=studio.local_actor)


def test_a_raw_prompt_past_the_token_limit_is_reported(studio: Studio) -> None:
    prompt = "an observatory " + " ".join(f"detail{n}" for n in range(120))
    frame = studio.frames.generate(FrameRequest(prompt, seed=1, width=64, height=64), actor=studio.local_actor)[0]
    assert "detail119" in frame.record.to_json()["prompt_fit"] and "ignores" in frame.record.to_json()["prompt_fit"]


def test_shots_are_editable_and_checked(studio: Studio) -> None:
    studio.scenes.import_script(THREE_SCENES, project="Lighthouse", actor=PRODUCER)
    edited = [Shot(1, "The lamp room from the doorway", "wide", "low angle"),
              Shot(2, "The keeper's hands on the lantern", "close-up", "overhead")]
    scene = studio.scenes.edit_shots("Lighthouse", "2", edited, actor=PRODUCER)
    assert [(shot.order, shot.angle) for shot in scene.shots] == [(1, "low angle"), (2, "overhead")]
    with pytest.raises(InvalidRequest, match="size"):
        Shot(1, "x", "gigantic", "eye level")
    with pytest.raises(PermissionDenied):
        studio.scenes.import_script(THREE_SCENES, project="Lighthouse", actor=Actor("c", Role.COSTUME_DESIGNER))


def test_cli_import_script_and_generate_from_a_scene(settings, capsys, monkeypatch, tmp_path: Path) -> None:
    script = tmp_path / "lighthouse.fountain"
    script.write_bytes(THREE_SCENES)
    code, out, _ = in_process(settings, capsys, monkeypatch, "import-script", str(script), "--project", "L",
                              "--json")
    assert code == 0 and [scene["number"] for scene in json.loads(out)["scenes"]] == ["1", "2", "3"]
    code, out, err = in_process(settings, capsys, monkeypatch, "generate", "--project", "L", "--scene", "3",
                                "--kind", "storyboard", "--style", "pencil_storyboard", "--size", "64x64", "--json")
    assert code == 0, err
    assert json.loads(out)[0]["record"]["prompt_template"]["style"] == "pencil_storyboard"
    empty = tmp_path / "empty.fountain"
    empty.write_bytes(b"")
    code, _, err = in_process(settings, capsys, monkeypatch, "import-script", str(empty), "--project", "L")
    assert code == 1 and err.startswith("error:") and err.count("\n") == 1

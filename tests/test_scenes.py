"""Screenplay and description import, and the shot breakdown."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from previs.errors import InvalidRequest, ScriptImportError
from previs.scenes import (
    CAMERA_ANGLES,
    SHOT_SIZES,
    DialogueLine,
    Scene,
    breakdown_shots,
    load_screenplay,
    parse_description,
    parse_fountain,
)
from previs.scenes.headings import split_heading

SCRIPT = Path(__file__).parent / "data" / "scripts" / "glass_heist.fountain"


@pytest.fixture(scope="module")
def heist() -> tuple[Scene, ...]:
    return parse_fountain(SCRIPT.read_text(encoding="utf-8")).scenes


def _scene(number: str, *, heading: str, action: str = "", dialogue: tuple[DialogueLine, ...] = ()) -> Scene:
    setting, location, time_of_day = split_heading(heading)
    return Scene(number, heading, setting, location, time_of_day, action, (), dialogue, ())


# --- Fountain import -------------------------------------------------------------------------------------


def test_heist_scenes_are_exactly_the_headings(heist: tuple[Scene, ...]) -> None:
    assert [(s.number, s.heading, s.interior_exterior, s.location, s.time_of_day) for s in heist] == [
        ("1", "EXT. HARBOUR WAREHOUSE - NIGHT", "EXT", "HARBOUR WAREHOUSE", "NIGHT"),
        ("2", "INT. WAREHOUSE OFFICE - NIGHT", "INT", "WAREHOUSE OFFICE", "NIGHT"),
        ("3", "EXT./INT. DEX'S VAN - MOVING - CONTINUOUS", "INT/EXT", "DEX'S VAN - MOVING", "NIGHT"),
        ("12A", "SNIPER SCOPE POV", "", "SNIPER SCOPE POV", ""),
        ("13", "I/E PARKING GARAGE - DAWN", "INT/EXT", "PARKING GARAGE", "DAWN"),
        ("14", "INT. MAYA'S LOFT - LATER", "INT", "MAYA'S LOFT", "DAWN"),
    ]


def test_title_comes_from_title_page_without_markup() -> None:
    assert parse_fountain(SCRIPT.read_text(encoding="utf-8")).title == "The Glass Heist"
    assert parse_fountain("INT. HALL - DAY\n\nA door.").title == ""


def test_characters_in_order_with_extensions_and_marks_stripped(heist: tuple[Scene, ...]) -> None:
    assert [s.characters for s in heist] == [
        ("MAYA", "DEX"),  # MAYA (V.O.), MAYA (CONT'D)
        ("DEX", "MAYA"),  # dual dialogue: both sides
        (),
        (),
        ("McCLANE",),  # @McCLANE (O.S.)
        ("DEX",),
    ]


def test_dialogue_keeps_parentheticals_and_its_place_among_the_action(heist: tuple[Scene, ...]) -> None:
    assert heist[0].dialogue == (
        DialogueLine("MAYA", "Every job starts with a lie.", "", 1),
        DialogueLine("DEX", "Is that the place?", "whispering", 1),
        DialogueLine("DEX", "Looks smaller.", "beat", 1),
        DialogueLine("MAYA", "It always does.", "", 1),
    )
    assert [(line.character, line.text) for line in heist[1].dialogue] == [
        ("DEX", "Left door."),
        ("MAYA", "Right door."),
    ]
    assert heist[5].dialogue[0].text == "Int. is short for interior, genius."


def test_action_is_only_action(heist: tuple[Scene, ...]) -> None:
    assert [s.action for s in heist] == [
        "Rain hammers the corrugated roof. A black van idles by the loading dock.",
        "Dusty filing cabinets line the walls. A desk lamp flickers.\n\nMaya picks the lock.",
        "Dex grips the wheel.",
        "Crosshairs drift across the van's windscreen.\n\n...and settle on Dex.",
        "",
        "Maya counts the money.",
    ]


@pytest.mark.parametrize(
    "leak",
    [
        "Pier 9",  # note
        "practical",  # inline note
        "Cut for time",  # boneyard
        "nobody liked",  # boneyard
        "hesitates",  # one-line boneyard
        "CUT TO",  # transition
        "SMASH",  # transition with no blank line before it
        "FADE",  # FADE IN: / FADE OUT.
        "BELL TOLLS",  # centred
        "THE END",  # centred
        "ACT ONE",  # section
        "crew cases",  # synopsis
        "makes her choice",  # synopsis inside a paragraph
        "===",  # page break
        "Ana Ortiz",  # title page
        "#",  # scene number marks
    ],
)
def test_nothing_else_leaks_into_action_or_headings(heist: tuple[Scene, ...], leak: str) -> None:
    for scene in heist:
        assert leak not in scene.action
        assert leak not in scene.heading
        assert all(leak not in line.text for line in scene.dialogue)


def test_notes_are_kept_with_their_scene(heist: tuple[Scene, ...]) -> None:
    assert [s.notes for s in heist] == [
        ("Check with locations: can we get the Pier 9 warehouse?",),
        ("Lamp must be a practical.",),
        (),
        (),
        (),
        (),
    ]


def test_windows_line_endings_and_tabs_give_the_same_scenes(heist: tuple[Scene, ...]) -> None:
    text = SCRIPT.read_text(encoding="utf-8").replace("\n", "\r\n")
    assert parse_fountain(text).scenes == heist


def test_unnumbered_scenes_follow_the_previous_number() -> None:
    script = "INT. A - DAY\n\nx\n\nINT. B - DAY #7B#\n\nx\n\nINT. C - DAY\n\nx\n\n.D\n\nx\n\nINT. E #X#\n\nx"
    assert [s.number for s in parse_fountain(script).scenes] == ["1", "7B", "8", "9", "X"]
    # "X" has no digits: the numbering carries on from 9
    assert parse_fountain(script + "\n\nINT. F\n\nx").scenes[-1].number == "10"


def test_forced_heading_rules() -> None:
    script = "INT. HALL - DAY\n\n...and she runs.\n\n. not a heading\n\n.ROOF\n\nWind."
    scenes = parse_fountain(script).scenes
    assert [s.heading for s in scenes] == ["INT. HALL - DAY", "ROOF"]
    assert scenes[0].action == "...and she runs.\n\n. not a heading"
    assert scenes[1].interior_exterior == ""


def test_heading_inside_a_paragraph_only_when_uppercase() -> None:
    script = "INT. HALL - DAY\n\nShe leaves.\nEXT. STREET - NIGHT\nRain.\n\nBOB\nint. means inside."
    scenes = parse_fountain(script).scenes
    assert [s.heading for s in scenes] == ["INT. HALL - DAY", "EXT. STREET - NIGHT"]
    assert scenes[1].action == "Rain."
    assert scenes[1].dialogue == (DialogueLine("BOB", "int. means inside.", "", 1),)


def test_material_before_the_first_heading_belongs_to_no_scene() -> None:
    scenes = parse_fountain("A cold open.\n\n[[stray]]\n\nINT. HALL - DAY\n\nA door.").scenes
    assert [(s.action, s.notes) for s in scenes] == [("A door.", ())]


@pytest.mark.parametrize(
    ("heading", "previous", "expected"),
    [
        ("INT. HOUSE - KITCHEN - NIGHT", "", ("INT", "HOUSE - KITCHEN", "NIGHT")),
        ("INT./EXT. CAR - DAY", "", ("INT/EXT", "CAR", "DAY")),
        ("INT/EXT CAR", "", ("INT/EXT", "CAR", "")),
        ("I./E. CAR - DUSK", "", ("INT/EXT", "CAR", "DUSK")),
        ("EST. CITY SKYLINE - MAGIC HOUR", "", ("EXT", "CITY SKYLINE", "MAGIC HOUR")),
        ("EXT. BEACH – 3 AM", "", ("EXT", "BEACH", "3 AM")),
        ("INT. HALL - NIGHT - CONTINUOUS", "DAY", ("INT", "HALL", "NIGHT")),
        ("INT. HALL - MOMENTS LATER", "DUSK", ("INT", "HALL", "DUSK")),
        ("INT. HALL - FLASHBACK", "DUSK", ("INT", "HALL - FLASHBACK", "")),
        ("EXT. RAIN-SOAKED ROOF", "", ("EXT", "RAIN-SOAKED ROOF", "")),
    ],
)
def test_split_heading(heading: str, previous: str, expected: tuple[str, str, str]) -> None:
    assert split_heading(heading, previous) == expected


def test_parse_fountain_refuses_text_without_scenes() -> None:
    with pytest.raises(ScriptImportError, match="No scene headings"):
        parse_fountain("Title: Notes\n\nJust some prose about a film.\n\nBOB\nHello.")
    with pytest.raises(ScriptImportError, match="empty"):
        parse_fountain(" \n\n ")


# --- Upload validation -----------------------------------------------------------------------------------


def test_load_screenplay_accepts_utf8_with_bom() -> None:
    data = "\ufeffINT. CAFÉ - DAY\n\nZoë orders.".encode()
    scene = load_screenplay(data).scenes[0]
    assert (scene.location, scene.action) == ("CAFÉ", "Zoë orders.")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b" \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"PK\x03\x04\x14\x00", "ZIP"),
        ("INT. HALL\n\nA door.".encode("utf-16"), "UTF-16"),
        (b'<?xml version="1.0"?>\n<FinalDraft DocumentType="Script">', "Final Draft"),
        (b"Just prose, no scenes at all.\n", "No scene headings"),
    ],
)
def test_load_screenplay_refuses_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ScriptImportError, match=message):
        load_screenplay(data)


def test_latin1_upload_names_the_byte_offset_and_the_fix() -> None:
    data = "INT. CAFÉ - DAY\n\nBob waits.".encode("latin-1")
    with pytest.raises(ScriptImportError) as caught:
        load_screenplay(data)
    message = str(caught.value)
    assert "0xC9 at offset 8 (line 1)" in message
    assert "UTF-8" in message and "re-save" in message


def test_oversized_upload_is_refused_before_reading() -> None:
    data = b"INT. HALL - DAY\n\n" + b"a" * 50_000_000
    with pytest.raises(ScriptImportError, match=r"50\.0 MB, over the 5\.0 MB limit"):
        load_screenplay(data)
    assert load_screenplay(data[:1000], max_bytes=1000).scenes[0].location == "HALL"


# --- Free-text descriptions ------------------------------------------------------------------------------


def test_description_infers_setting_time_and_location() -> None:
    scene = parse_description(
        "A rain-soaked rooftop in Neo Tokyo at night, two detectives argue.", number="4"
    )
    assert (scene.number, scene.interior_exterior, scene.time_of_day) == ("4", "EXT", "NIGHT")
    assert scene.location == "rain-soaked rooftop in Neo Tokyo"
    assert scene.heading == "EXT. RAIN-SOAKED ROOFTOP IN NEO TOKYO - NIGHT"
    assert scene.action == "A rain-soaked rooftop in Neo Tokyo at night, two detectives argue."


def test_description_leaves_unclear_things_empty() -> None:
    scene = parse_description("From dawn to night they wait inside the car parked on the street.")
    assert (scene.interior_exterior, scene.time_of_day) == ("", "")


def test_description_uses_a_slugline_first_line() -> None:
    scene = parse_description("  int. kitchen - night  \nBob cooks.\n\n\n\nThe pan catches fire.")
    assert (scene.heading, scene.interior_exterior, scene.location, scene.time_of_day) == (
        "INT. KITCHEN - NIGHT",
        "INT",
        "KITCHEN",
        "NIGHT",
    )
    assert scene.action == "Bob cooks.\n\nThe pan catches fire."


def test_empty_description_is_refused() -> None:
    with pytest.raises(ScriptImportError, match="empty"):
        parse_description(" \n ")


# --- Shot breakdown --------------------------------------------------------------------------------------


def test_breakdown_follows_script_order(heist: tuple[Scene, ...]) -> None:
    shots = breakdown_shots(heist[0])
    assert [(s.order, s.shot_size, s.camera_angle) for s in shots] == [
        (1, "extreme wide", "high angle"),
        (2, "medium", "eye level"),
        (3, "medium", "eye level"),
        (4, "close-up", "eye level"),
        (5, "close-up", "eye level"),
        (6, "close-up", "eye level"),
        (7, "close-up", "eye level"),
    ]
    assert shots[0].description == "Establishing shot of Harbour Warehouse (exterior, night)"
    assert shots[1].description == "Rain hammers the corrugated roof."
    assert (shots[3].description, shots[3].dialogue) == ("Maya speaks", "Maya: Every job starts with a lie.")
    assert shots[4].description == "Dex speaks (whispering)"


def test_breakdown_uses_exchanges_when_lines_do_not_fit(heist: tuple[Scene, ...]) -> None:
    shots = breakdown_shots(heist[0], max_shots=3)
    assert [s.shot_size for s in shots] == ["extreme wide", "medium", "medium"]
    assert shots[1].description.startswith("Rain hammers") and shots[1].description.endswith("dock.")
    assert shots[2].description == "Maya and Dex in conversation"
    assert shots[2].dialogue.startswith("Maya: Every job starts with a lie. / Dex: Is that the place?")


def test_breakdown_spreads_beats_over_the_whole_scene() -> None:
    action = "\n\n".join(f"Beat {n} happens here. Then more." for n in range(1, 11))
    shots = breakdown_shots(_scene("1", heading="INT. HALL - DAY", action=action), max_shots=4)
    assert [s.description.split(" happens")[0] for s in shots[1:]] == ["Beat 1", "Beat 5", "Beat 10"]
    assert breakdown_shots(_scene("1", heading="INT. HALL - DAY", action=action), max_shots=1)[0].order == 1


def test_breakdown_reads_framing_cues_and_pov() -> None:
    scene = _scene(
        "1",
        heading="INT. HALL - DAY",
        action="A tear runs down her face.\n\nThe crowd surges.\n\nThe tower looms over him.",
    )
    assert [(s.shot_size, s.camera_angle) for s in breakdown_shots(scene)[1:]] == [
        ("close-up", "eye level"),
        ("wide", "eye level"),
        ("medium", "low angle"),
    ]
    pov = _scene("1", heading="SNIPER SCOPE POV", action="Crosshairs drift.")
    assert {s.camera_angle for s in breakdown_shots(pov)} == {"point of view"}


def test_breakdown_is_deterministic_and_valid(heist: tuple[Scene, ...]) -> None:
    for scene in heist:
        shots = breakdown_shots(scene, max_shots=5)
        assert shots == breakdown_shots(scene, max_shots=5)
        assert 1 <= len(shots) <= 5
        assert [s.order for s in shots] == list(range(1, len(shots) + 1))
        assert all(s.shot_size in SHOT_SIZES and s.camera_angle in CAMERA_ANGLES for s in shots)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "8"])
def test_breakdown_refuses_bad_max_shots(heist: tuple[Scene, ...], bad: object) -> None:
    with pytest.raises(InvalidRequest, match="max_shots"):
        breakdown_shots(heist[0], max_shots=bad)  # type: ignore[arg-type]


def test_edited_shots_stay_in_the_vocabulary(heist: tuple[Scene, ...]) -> None:
    shot = breakdown_shots(heist[0])[1]
    assert replace(shot, shot_size="close-up").shot_size == "close-up"
    with pytest.raises(InvalidRequest, match="shot_size 'huge'"):
        replace(shot, shot_size="huge")
    with pytest.raises(InvalidRequest, match="camera_angle"):
        replace(shot, camera_angle="sideways")

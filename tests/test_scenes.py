"""Screenplay and description import, upload checks, scene records and the shot breakdown."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from previs.errors import InvalidRequest, ScriptImportError
from previs.scenes import (
    CAMERA_ANGLES,
    SHOT_SIZES,
    DialogueLine,
    Scene,
    Shot,
    breakdown,
    breakdown_shots,
    load_screenplay,
    parse_description,
    parse_fountain,
    validate_shots,
)
from previs.scenes.headings import readable, split_heading

SCRIPTS = Path(__file__).parent / "data" / "scripts"
HEIST = SCRIPTS / "glass_heist.fountain"
NIGHT_SHIFT = SCRIPTS / "night_shift.fountain"


@pytest.fixture(scope="module")
def heist() -> tuple[Scene, ...]:
    return load_screenplay(HEIST).scenes


@pytest.fixture(scope="module")
def night_shift() -> tuple[Scene, ...]:
    return load_screenplay(NIGHT_SHIFT).scenes


def _scene(heading: str, action: str = "", dialogue: tuple[DialogueLine, ...] = ()) -> Scene:
    int_ext, location, time_of_day = split_heading(heading)
    return Scene("1", heading, int_ext, location, time_of_day, action, dialogue=dialogue)


# --- Fountain import: the two sample scripts -------------------------------------------------------------


def test_heist_scenes_are_exactly_the_headings(heist: tuple[Scene, ...]) -> None:
    assert [(s.number, s.heading, s.int_ext, s.location, s.time_of_day) for s in heist] == [
        ("1", "EXT. HARBOUR WAREHOUSE - NIGHT", "EXT", "HARBOUR WAREHOUSE", "NIGHT"),
        ("2", "INT. WAREHOUSE OFFICE - NIGHT", "INT", "WAREHOUSE OFFICE", "NIGHT"),  # lowercase, no blank line
        ("3", "EXT./INT. DEX'S VAN - MOVING - CONTINUOUS", "INT/EXT", "DEX'S VAN - MOVING", "NIGHT"),
        ("12A", "SNIPER SCOPE POV", "", "SNIPER SCOPE POV", ""),  # forced heading, explicit number
        ("13", "I/E PARKING GARAGE - DAWN", "INT/EXT", "PARKING GARAGE", "DAWN"),
        ("14", "INT. MAYA'S LOFT - LATER", "INT", "MAYA'S LOFT", "DAWN"),  # indented heading
    ]


def test_night_shift_scenes_survive_unusual_formatting(night_shift: tuple[Scene, ...]) -> None:
    assert [(s.number, s.int_ext, s.location, s.time_of_day) for s in night_shift] == [
        ("1", "EXT", "CITY SKYLINE", "DUSK"),  # EST.
        ("2", "INT", "PRECINCT KITCHEN", "NIGHT"),  # int. precinct kitchen - night
        ("3", "INT", "BASEMENT", ""),  # INT without a period, no time of day
        ("4", "INT/EXT", "SQUAD CAR", "3 AM"),  # E/I, clock time
        ("5", "EXT", "HARBOUR", "DAWN"),  # "--" separator, "DAWN." with a period
        ("6", "", "FLASHBACK - PARIS 1942", ""),  # forced heading with a dash in it
    ]


def test_titles_come_from_the_title_page_without_markup() -> None:
    assert load_screenplay(HEIST).title == "The Glass Heist"
    assert load_screenplay(NIGHT_SHIFT).title == "NIGHT SHIFT a pilot"  # tab-indented, two lines
    assert parse_fountain("INT. HALL - DAY\n\nA door.").title == ""


def test_characters_in_order_with_extensions_and_marks_stripped(
    heist: tuple[Scene, ...], night_shift: tuple[Scene, ...]
) -> None:
    assert [s.characters for s in heist] == [
        ("MAYA", "DEX"),  # MAYA (V.O.), MAYA (CONT'D)
        ("DEX", "MAYA"),  # dual dialogue: both sides
        (),
        (),
        ("McCLANE",),  # @McCLANE (O.S.)
        ("DEX",),
    ]
    assert [s.characters for s in night_shift] == [
        (),
        ("O'BRIEN", "GUARD #2", "MRS. DUBOIS"),  # O'BRIEN (cont'd) is the same O'BRIEN
        ("GUARD #2",),  # tab-indented cue
        ("R2D2", "O'BRIEN"),  # dual dialogue with an extension before the ^
        (),
        (),
    ]


def test_dialogue_keeps_parentheticals_extensions_and_its_place(heist: tuple[Scene, ...]) -> None:
    assert heist[0].dialogue == (
        DialogueLine("MAYA", "Every job starts with a lie.", "", "V.O.", 1),
        DialogueLine("DEX", "Is that the place?", "whispering", "", 1),
        DialogueLine("DEX", "Looks smaller.", "beat", "", 1),
        DialogueLine("MAYA", "It always does.", "", "", 1),  # CONT'D is no extension worth keeping
    )
    assert heist[0].dialogue[0].off_screen and not heist[0].dialogue[1].off_screen
    assert heist[4].dialogue[0].off_screen  # O.S.
    assert heist[5].dialogue[0].text == "Int. is short for interior, genius."


def test_action_is_only_action(heist: tuple[Scene, ...], night_shift: tuple[Scene, ...]) -> None:
    assert [s.action for s in heist] == [
        "Rain hammers the corrugated roof. A black van idles by the loading dock.",
        "Dusty filing cabinets line the walls. A desk lamp flickers.\n\nMaya picks the lock.",
        "Dex grips the wheel.",
        "Crosshairs drift across the van's windscreen.\n\n...and settle on Dex.",
        "",
        "Maya counts the money.",
    ]
    assert [s.action for s in night_shift] == [
        "The sun sinks behind the towers.",
        "",  # a note spanning a blank line and a lyric are not action
        "Dark. Water drips.",
        "",
        "INT. IS WHAT THE SIGN SAYS, NOT A HEADING",  # forced action (!)
        "Old streets under snow.",
    ]


@pytest.mark.parametrize(
    "leak",
    [
        "Pier 9",  # note
        "practical",  # inline note
        "French actress",  # note over a blank line
        "Stray note",  # note before the first heading
        "Cut for time",  # boneyard
        "nobody liked",  # boneyard
        "hesitates",  # one-line boneyard
        "CUT TO",  # transition
        "SMASH",  # transition with no blank line before it
        "FADE",  # FADE IN: / FADE OUT. / > FADE TO BLACK.
        "BELL TOLLS",  # centred
        "THE END",  # centred, and bare
        "ACT ONE",  # section
        "crew cases",  # synopsis
        "makes her choice",  # synopsis inside a paragraph
        "===",  # page break
        "Ana Ortiz",  # title page
        "Jo Marsh",  # title page
        "#1#",  # scene number marks
    ],
)
def test_nothing_else_leaks_into_scenes(heist: tuple[Scene, ...], night_shift: tuple[Scene, ...], leak: str) -> None:
    for scene in heist + night_shift:
        assert leak not in scene.action
        assert leak not in scene.heading
        assert all(leak not in line.text for line in scene.dialogue)


def test_notes_are_kept_with_their_scene(heist: tuple[Scene, ...], night_shift: tuple[Scene, ...]) -> None:
    assert [s.notes for s in heist] == [
        ("Check with locations: can we get the Pier 9 warehouse?",),
        ("Lamp must be a practical.",),
        (),
        (),
        (),
        (),
    ]
    assert night_shift[1].notes == ("Cast a real French actress.",)


def test_windows_line_endings_bom_and_tabs_give_the_same_scenes(
    heist: tuple[Scene, ...], night_shift: tuple[Scene, ...]
) -> None:
    for path, scenes in ((HEIST, heist), (NIGHT_SHIFT, night_shift)):
        text = path.read_text(encoding="utf-8")
        assert "\t" in text or path == HEIST
        assert load_screenplay(("\ufeff" + text.replace("\n", "\r\n")).encode()).scenes == scenes
        assert parse_fountain(text.replace("\n", "\r")).scenes == scenes  # old Mac line endings


def test_unnumbered_scenes_count_on_from_the_previous_number() -> None:
    script = "INT. A - DAY\n\nx\n\nINT. B - DAY #7B#\n\nx\n\nINT. C - DAY\n\nx\n\n.D\n\nx\n\nINT. E #X#\n\nx"
    assert [s.number for s in parse_fountain(script).scenes] == ["1", "7B", "8", "9", "X"]
    # "X" has no digits: the numbering carries on from 9
    assert parse_fountain(script + "\n\nINT. F\n\nx").scenes[-1].number == "10"
    assert parse_fountain("INT. A - DAY #12a#\n\nx").scenes[0].number == "12A"  # numbers are upper case


@pytest.mark.parametrize(
    ("script", "number", "first", "second"),
    [
        ("INT. A - DAY #4#\n\nx\n\nINT. B - DAY #4#\n\nx", "4", "INT. A - DAY", "INT. B - DAY"),
        ("INT. A - DAY\n\nx\n\nINT. B - DAY #1#\n\nx", "1", "INT. A - DAY", "INT. B - DAY"),  # counted vs explicit
        ("INT. A #5#\n\nx\n\nINT. B #4#\n\nx\n\nINT. C\n\nx", "5", "INT. A", "INT. C"),  # counts on to 5
    ],
)
def test_a_scene_number_used_twice_is_a_warning_and_the_second_is_renumbered(
        script: str, number: str, first: str, second: str) -> None:
    screenplay = parse_fountain(script)
    numbers = [scene.number for scene in screenplay.scenes]
    assert f"{number}-2" in numbers and len(set(numbers)) == len(numbers)
    [warning] = screenplay.warnings
    assert f"scene number '{number}' is used twice" in warning
    assert repr(first) in warning and repr(second) in warning
    assert f"imported as '{number}-2'" in warning and f"#{number}B#" in warning  # what it did, how to choose


def test_the_spec_s_1A_and_1a_in_one_script_both_import() -> None:
    screenplay = parse_fountain("INT. HOUSE - DAY #1A#\n\nx\n\nINT. HOUSE - NIGHT #1a#\n\ny\n\nINT. YARD\n\nz")
    assert [scene.number for scene in screenplay.scenes] == ["1A", "1A-2", "2"]
    assert [scene.action for scene in screenplay.scenes] == ["x", "y", "z"]


def test_a_transition_with_trailing_spaces_is_no_action() -> None:
    scenes = parse_fountain("INT. A - DAY\n\nBob runs.\n\nCUT TO:   \n\nINT. B - DAY\n\nx\n\n> FADE OUT.  ").scenes
    assert [scene.action for scene in scenes] == ["Bob runs.", "x"]


def test_lyrics_are_sung_dialogue_of_the_cue_or_of_the_last_speaker(night_shift: tuple[Scene, ...]) -> None:
    scene = parse_fountain("INT. STAGE - NIGHT\n\nMAYA\n~La la la,\n~the moon is low.\n\n"
                           "She bows.\n\n~One more time!").scenes[0]
    assert scene.action == "She bows."
    assert scene.characters == ("MAYA",)
    assert scene.dialogue == (DialogueLine("MAYA", "La la la, the moon is low.", "singing", action_before=0),
                              DialogueLine("MAYA", "One more time!", "singing", action_before=1))
    assert night_shift[1].dialogue[-1] == DialogueLine("O'BRIEN", "Frère Jacques, dormez-vous?", "singing",
                                                       action_before=0)


def test_a_cold_open_is_kept_as_a_prologue_and_reported() -> None:
    screenplay = parse_fountain("Title: Fish\n\nFADE IN:\n\nA river at dawn. A huge fish breaks the surface."
                                "\n\nEDWARD (V.O.)\nThere are some fish that cannot be caught.\n\n"
                                "INT. HOSPITAL - NIGHT\n\nEdward sleeps.")
    prologue, first = screenplay.scenes
    assert (prologue.number, prologue.heading, prologue.location) == ("0", "PROLOGUE", "")
    assert prologue.action == "A river at dawn. A huge fish breaks the surface."
    assert prologue.dialogue[0].text == "There are some fish that cannot be caught."
    assert first.number == "1"
    assert screenplay.warnings == ("the text before the first scene heading is kept as scene 0 (PROLOGUE)",)
    shots = breakdown_shots(prologue)  # no location to establish: the first beat opens it
    assert shots[0].description == "A river at dawn."
    assert parse_fountain("FADE IN:\n\nINT. A\n\nx").warnings == ()  # a transition is no prologue


def test_a_heading_with_a_dash_after_the_setting() -> None:
    assert split_heading("INT - HOUSE - DAY") == ("INT", "HOUSE", "DAY")
    assert split_heading("EXT. -- PIER -- NIGHT") == ("EXT", "PIER", "NIGHT")


def test_forced_heading_rules() -> None:
    script = "INT. HALL - DAY\n\n...and she runs.\n\n. not a heading\n\n.ROOF\n\nWind."
    scenes = parse_fountain(script).scenes
    assert [s.heading for s in scenes] == ["INT. HALL - DAY", "ROOF"]
    assert scenes[0].action == "...and she runs.\n\n. not a heading"
    assert scenes[1].int_ext == ""


def test_heading_inside_a_paragraph_only_when_uppercase() -> None:
    script = "INT. HALL - DAY\n\nShe leaves.\nEXT. STREET - NIGHT\nRain.\n\nBOB\nint. means inside."
    scenes = parse_fountain(script).scenes
    assert [s.heading for s in scenes] == ["INT. HALL - DAY", "EXT. STREET - NIGHT"]
    assert scenes[1].action == "Rain."
    assert scenes[1].dialogue == (DialogueLine("BOB", "int. means inside.", action_before=1),)


@pytest.mark.parametrize(
    ("heading", "previous", "expected"),
    [
        ("INT. HOUSE - KITCHEN - NIGHT", "", ("INT", "HOUSE - KITCHEN", "NIGHT")),
        ("INT./EXT. CAR - DAY", "", ("INT/EXT", "CAR", "DAY")),
        ("INT/EXT CAR", "", ("INT/EXT", "CAR", "")),
        ("I./E. CAR - DUSK", "", ("INT/EXT", "CAR", "DUSK")),
        ("EST. CITY SKYLINE - MAGIC HOUR", "", ("EXT", "CITY SKYLINE", "MAGIC HOUR")),
        ("EXT. BEACH – 3 A.M.", "", ("EXT", "BEACH", "3 A.M.")),
        ("INT. HALL - NIGHT - CONTINUOUS", "DAY", ("INT", "HALL", "NIGHT")),
        ("INT. HALL - MOMENTS LATER", "DUSK", ("INT", "HALL", "DUSK")),
        ("INT. HALL - CONTINUOUS.", "DUSK", ("INT", "HALL", "DUSK")),
        ("INT. HALL - FLASHBACK", "DUSK", ("INT", "HALL - FLASHBACK", "")),
        ("EXT. RAIN-SOAKED ROOF", "", ("EXT", "RAIN-SOAKED ROOF", "")),
    ],
)
def test_split_heading(heading: str, previous: str, expected: tuple[str, str, str]) -> None:
    assert split_heading(heading, previous) == expected


@pytest.mark.parametrize(
    ("shouted", "readable_text"),
    [
        ("O'BRIEN", "O'Brien"),
        ("DEX'S VAN", "Dex's Van"),
        ("GUARD #2", "Guard #2"),
        ("MRS. DUBOIS", "Mrs. Dubois"),
        ("SNIPER SCOPE POV", "Sniper Scope POV"),
        ("McCLANE", "McCLANE"),  # cased by the writer: left alone
    ],
)
def test_readable_recases_shouted_names(shouted: str, readable_text: str) -> None:
    assert readable(shouted) == readable_text


def test_parse_fountain_refuses_text_without_scenes() -> None:
    with pytest.raises(ScriptImportError, match=r"No scene headings.*'INT\. KITCHEN - NIGHT'"):
        parse_fountain("Title: Notes\n\nJust some prose about a film.\n\nBOB\nHello.")
    with pytest.raises(ScriptImportError, match="empty"):
        parse_fountain(" \n\n ")


# --- Scene and shot records ------------------------------------------------------------------------------


def test_scene_records_round_trip(heist: tuple[Scene, ...]) -> None:
    record = heist[0].to_record()
    assert record["number"] == "1" and record["int_ext"] == "EXT"
    assert record["characters"] == ["MAYA", "DEX"]
    assert record["dialogue"][0] == {
        "character": "MAYA",
        "text": "Every job starts with a lie.",
        "parenthetical": "",
        "extension": "V.O.",
        "action_before": 1,
    }
    assert all(Scene.from_record(scene.to_record()) == scene for scene in heist)


@pytest.mark.parametrize(("field", "value"), [("number", ""), ("number", 12), ("int_ext", "OUTSIDE")])
def test_scene_refuses_bad_identity(field: str, value: object) -> None:
    record = _scene("INT. HALL - DAY").to_record() | {field: value}
    with pytest.raises(InvalidRequest, match=field):
        Scene.from_record(record)


# --- Upload checks ---------------------------------------------------------------------------------------


def test_load_screenplay_accepts_bytes_paths_and_streams() -> None:
    data = "\ufeffINT. CAFÉ - DAY\n\nZoë orders.".encode()
    for source in (data, io.BytesIO(data)):
        scene = load_screenplay(source).scenes[0]
        assert (scene.location, scene.action) == ("CAFÉ", "Zoë orders.")
    assert load_screenplay(str(HEIST)) == load_screenplay(HEIST)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b" \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), r"binary, not text \(a NUL byte at offset 8\)"),
        (b"INT. HALL - DAY\n\n" + b"x" * 20_000 + b"\x00", "NUL byte at offset 20017"),  # past any sniffing
        (b"INT. HALL\n\n" + bytes(range(1, 32)) * 10, "control characters"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"PK\x03\x04\x14\x00", "ZIP"),
        ("INT. HALL\n\nA door.".encode("utf-16"), "UTF-16"),
        (b'<?xml version="1.0"?>\n<FinalDraft DocumentType="Script">', "Final Draft"),
        (b"Just prose, no scenes at all.\n", r"No scene headings.*'INT. KITCHEN - NIGHT'.*'\.SNIPER SCOPE POV'"),
    ],
)
def test_load_screenplay_refuses_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ScriptImportError, match=message):
        load_screenplay(data)


def test_latin1_upload_names_the_byte_offset_and_the_fix() -> None:
    data = "INT. HALL - DAY\n\nBob waits at the café.".encode("latin-1")
    with pytest.raises(ScriptImportError) as caught:
        load_screenplay(data)
    message = str(caught.value)
    assert "0xE9 at offset 37 (line 3)" in message
    assert "UTF-8" in message and "re-save" in message


def test_missing_path_and_text_stream_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScriptImportError, match="no screenplay file at"):
        load_screenplay(tmp_path / "missing.fountain")
    with pytest.raises(ScriptImportError, match="binary mode"):
        load_screenplay(io.StringIO("INT. HALL - DAY"))  # type: ignore[arg-type]


class _OneWayStream(io.RawIOBase):
    """A stream that cannot seek (a network upload) and counts what is read from it."""

    def __init__(self, size: int) -> None:
        self.left, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self.left)
        buffer[:count] = b"a" * count
        self.left -= count
        self.read_bytes += count
        return count


def test_oversized_uploads_are_refused_before_reading_them(tmp_path: Path) -> None:
    big = tmp_path / "big.fountain"
    with big.open("wb") as handle:
        handle.truncate(50_000_000)  # sparse: nothing is written, nothing need be read
    started = time.perf_counter()
    with pytest.raises(ScriptImportError, match=r"50\.0 MB, over the 5\.0 MB limit"):
        load_screenplay(big)
    with big.open("rb") as stream, pytest.raises(ScriptImportError, match=r"50\.0 MB, over the 5\.0 MB limit"):
        load_screenplay(stream)
    assert time.perf_counter() - started < 0.5
    stream = _OneWayStream(50_000_000)
    with pytest.raises(ScriptImportError, match=r"more than 5\.0 MB, over the 5\.0 MB limit"):
        load_screenplay(io.BufferedReader(stream))
    assert stream.read_bytes <= 5_000_001 + io.DEFAULT_BUFFER_SIZE
    with pytest.raises(ScriptImportError, match=r"1,001 bytes, over the 1,000-byte limit"):
        load_screenplay(b"INT. HALL - DAY\n\n" + b"a" * 984, max_bytes=1000)
    with pytest.raises(ScriptImportError, match=r"2\.0 kB, over the 1\.0 kB limit"):
        load_screenplay(b"a" * 2000, max_bytes=1000)
    assert load_screenplay(b"INT. HALL - DAY\n\nx", max_bytes=1000).scenes[0].location == "HALL"


# --- Free-text descriptions ------------------------------------------------------------------------------


def test_description_infers_setting_time_and_location() -> None:
    scene = parse_description("A rain-soaked rooftop in Neo Tokyo at night, two detectives argue.", number="4")
    assert (scene.number, scene.int_ext, scene.time_of_day) == ("4", "EXT", "NIGHT")
    assert scene.location == "rain-soaked rooftop in Neo Tokyo"
    assert scene.heading == "EXT. RAIN-SOAKED ROOFTOP IN NEO TOKYO - NIGHT"
    assert scene.action == "A rain-soaked rooftop in Neo Tokyo at night, two detectives argue."


def test_description_leaves_unclear_things_empty() -> None:
    scene = parse_description("From dawn to night they wait inside the car parked on the street.")
    assert (scene.int_ext, scene.time_of_day) == ("", "")


def test_description_uses_a_slugline_first_line() -> None:
    scene = parse_description("\ufeff  int. kitchen - night  \r\nBob cooks.\r\n\r\n\r\n\r\nThe pan catches fire.")
    assert (scene.heading, scene.int_ext, scene.location, scene.time_of_day) == (
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
    assert [(s.order, s.size, s.angle) for s in shots] == [
        (1, "wide", "high angle"),  # establishing, exterior
        (2, "medium", "eye level"),
        (3, "medium", "eye level"),
        (4, "medium close-up", "over the shoulder"),
        (5, "medium close-up", "over the shoulder"),
        (6, "close-up", "eye level"),
    ]
    assert shots[0].description == "Establishing shot of Harbour Warehouse (exterior, night)"
    assert shots[1].description == "Rain hammers the corrugated roof."
    # Maya's voice-over gets no shot of her own: it is heard over the shot before it
    assert shots[2].dialogue == "Maya (V.O.): Every job starts with a lie."
    assert (shots[3].description, shots[3].dialogue) == (
        "Over Maya's shoulder onto Dex (whispering)",
        "Dex: Is that the place?",
    )
    # the two-hander is covered in pairs: over-the-shoulders, then singles
    assert (shots[5].description, shots[5].size, shots[5].characters) == ("Close on Maya", "close-up", ("MAYA",))
    assert shots[3].characters == ("DEX", "MAYA")


def test_breakdown_of_a_lone_speaker_and_interiors(heist: tuple[Scene, ...]) -> None:
    shots = breakdown_shots(heist[5])
    assert [(s.description, s.size, s.angle) for s in shots] == [
        ("Establishing shot of Maya's Loft (interior, dawn)", "wide", "eye level"),
        ("Maya counts the money.", "insert", "eye level"),
        ("Dex speaks", "medium close-up", "eye level"),
    ]
    only_voices = breakdown_shots(heist[4])  # McCLANE (O.S.) is heard over the establishing shot
    assert [(s.order, s.dialogue) for s in only_voices] == [(1, "McCLANE (O.S.): Nobody move!")]


def test_breakdown_uses_exchanges_when_lines_do_not_fit(heist: tuple[Scene, ...]) -> None:
    shots = breakdown_shots(heist[0], max_shots=3)
    assert [s.size for s in shots] == ["wide", "medium", "medium"]
    assert shots[1].description.startswith("Rain hammers") and shots[1].description.endswith("dock.")
    assert shots[2].description == "Dex and Maya in conversation"
    assert shots[2].dialogue.startswith("Maya (V.O.): Every job starts with a lie. / Dex: Is that the place?")


def test_breakdown_caps_and_spreads_beats_over_the_whole_scene() -> None:
    action = "\n\n".join(f"Beat {n} happens here. Then more." for n in range(1, 11))
    scene = _scene("INT. HALL - DAY", action)
    assert len(breakdown_shots(scene)) == 21  # no silent cap: every sentence has its shot
    capped = breakdown(scene, max_shots=8)
    assert len(capped.shots) == 8
    assert capped.note.startswith("scene 1: 20 beats, more than the 8 shots allowed; 7 beats kept (3 left out)")
    assert breakdown(scene).note == ""
    shots = breakdown_shots(scene, max_shots=4)
    assert [s.description.split(" happens")[0] for s in shots[1:]] == ["Beat 1", "Beat 5", "Beat 10"]
    assert [s.order for s in breakdown_shots(scene, max_shots=1)] == [1]


def test_sentences_are_not_cut_at_abbreviations() -> None:
    scene = _scene("INT. HALL - DAY", "VARIOUS H.S. of the guests. Mr. Grey meets Dr. Okafor on St. James St. "
                                      "at 6 a.m. sharp. They shake hands.")
    assert [shot.description for shot in breakdown_shots(scene)[1:]] == [
        "VARIOUS H.S. of the guests.", "Mr. Grey meets Dr. Okafor on St. James St. at 6 a.m. sharp.",
        "They shake hands."]


def test_shots_name_who_is_in_frame() -> None:
    dialogue = (DialogueLine("MAYA", "Go.", action_before=1), DialogueLine("DEX", "Now?", action_before=1))
    scene = Scene("1", "INT. VAN - NIGHT", "INT", "VAN", "NIGHT", "Maya loads the van. Rain falls.",
                  characters=("MAYA", "DEX"), dialogue=dialogue)
    shots = breakdown_shots(scene)
    assert [shot.characters for shot in shots] == [("MAYA",), ("MAYA",), (), ("MAYA", "DEX"), ("DEX", "MAYA")]


@pytest.mark.parametrize(
    ("action", "size", "angle"),
    [
        ("A tear runs down her face.", "extreme close-up", "eye level"),
        ("She unfolds the letter.", "insert", "eye level"),
        ("His hands shake.", "close-up", "eye level"),
        ("The city skyline glitters.", "extreme wide", "eye level"),
        ("The crowd surges.", "wide", "eye level"),
        ("Maya walks to the door.", "full", "eye level"),
        ("The tower looms over him.", "medium", "low angle"),
        ("He cowers in the corner.", "medium", "high angle"),
        ("An aerial view of the maze.", "medium", "overhead"),
        ("Dex staggers, dizzy.", "medium", "dutch"),
        ("Maya's POV: the street below.", "medium", "POV"),
    ],
)
def test_breakdown_reads_framing_cues(action: str, size: str, angle: str) -> None:
    shot = breakdown_shots(_scene("INT. HALL - DAY", action))[1]
    assert (shot.size, shot.angle) == (size, angle)


def test_pov_headings_shoot_every_shot_as_pov(heist: tuple[Scene, ...]) -> None:
    assert {s.angle for s in breakdown_shots(heist[3])} == {"POV"}


def test_breakdown_is_deterministic_and_valid(heist: tuple[Scene, ...], night_shift: tuple[Scene, ...]) -> None:
    for scene in heist + night_shift:
        for cap in (1, 2, 5, 8):
            shots = breakdown_shots(scene, max_shots=cap)
            assert shots == breakdown_shots(scene, max_shots=cap)
            assert 1 <= len(shots) <= cap
            validate_shots(shots)
            assert all(s.size in SHOT_SIZES and s.angle in CAMERA_ANGLES for s in shots)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "8"])
def test_breakdown_refuses_bad_max_shots(heist: tuple[Scene, ...], bad: object) -> None:
    with pytest.raises(InvalidRequest, match="max_shots"):
        breakdown_shots(heist[0], max_shots=bad)  # type: ignore[arg-type]


def test_shots_are_editable_and_revalidated(heist: tuple[Scene, ...]) -> None:
    shots = breakdown_shots(heist[0])
    shots[1].size, shots[1].angle = "close-up", "dutch"
    validate_shots(shots)
    shots[1].size = "huge"
    with pytest.raises(InvalidRequest, match=r"shot 2: size 'huge' is not one of: extreme wide, wide, full"):
        validate_shots(shots)
    shots[1].size = "close-up"
    shots.pop(2)
    with pytest.raises(InvalidRequest, match=r"orders must run 1 to 5 in sequence, got \[1, 2, 4, 5, 6\]"):
        validate_shots(shots)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"angle": "sideways"}, "angle 'sideways' is not one of: eye level, high angle"),
        ({"size": "Wide"}, "size 'Wide'"),
        ({"order": 0}, "order must be a whole number from 1"),
        ({"description": " "}, "description must be non-empty"),
    ],
)
def test_shot_refuses_values_outside_the_vocabulary(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        Shot(**{"order": 1, "description": "A door.", "size": "wide", "angle": "eye level", **fields})  # type: ignore[arg-type]

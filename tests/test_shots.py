"""Camera blocks through the CLI and the Python API, kept across re-imports, and the shot list as CSV and PDF."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pypdf
import pytest

from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.errors import InvalidRequest
from previs.settings import Settings
from tests.test_cli import in_process

SCRIPT = b"""INT. VAN - NIGHT #1#

Maya loads the van. Rain falls on the roof.

MAYA
We go at six.

DEX
Now?

EXT. DOCK - DAWN #2#

The van pulls up.
"""


@pytest.fixture
def heist(studio: Studio) -> Studio:
    studio.scenes.import_script(SCRIPT, project="Heist", actor=studio.local_actor)
    return studio


def test_a_shot_s_camera_block_is_edited_through_the_api(heist: Studio) -> None:
    admin = heist.local_actor
    before = heist.scenes.scene("Heist", "1", actor=admin).shots[1]
    assert (before.size, before.lens_mm, before.movement, before.characters) == ("medium", 50, "static", ("MAYA",))
    scene = heist.scenes.edit_shot("Heist", "1", 2, size="close-up", angle="low angle", movement="dolly in",
                                   characters=["MAYA", "DEX"], actor=admin)
    after = scene.shots[1]
    assert (after.id, after.size, after.lens_mm, after.angle, after.movement) == (
        before.id, "close-up", 85, "low angle", "dolly in")  # the size's lens, as none was typed
    assert after.characters == ("MAYA", "DEX") and after.edited
    assert heist.scenes.edit_shot("Heist", "1", 2, lens_mm=135, actor=admin).shots[1].lens_mm == 135
    assert heist.scenes.edit_shot("Heist", "1", 2, size="wide", actor=admin).shots[1].lens_mm == 135  # typed: kept
    with pytest.raises(InvalidRequest, match=r"movement 'zoom' is not one of: static, pan, tilt, dolly in"):
        heist.scenes.edit_shot("Heist", "1", 2, movement="zoom", actor=admin)
    with pytest.raises(InvalidRequest, match=r"lens must be a whole number of mm from 8 to 600, got 2000"):
        heist.scenes.edit_shot("Heist", "1", 2, lens_mm=2000, actor=admin)
    with pytest.raises(InvalidRequest, match=r"--shot: scene 1 has shots 1 to \d+, not 99"):
        heist.scenes.edit_shot("Heist", "1", 99, size="wide", actor=admin)


def test_add_move_and_remove_keep_every_shot_s_frames(heist: Studio) -> None:
    admin = heist.local_actor
    first = heist.scenes.scene("Heist", "2", actor=admin)
    frame = heist.frames.generate(FrameRequest(kind="storyboard", project="Heist", scene="2", shot=2, seed=1,
                                               width=64, height=64), actor=admin)[0]
    drawn = first.shots[1].id
    added = heist.scenes.add_shot("Heist", "2", description="Insert: the van's plate.", size="insert", at=1,
                                  characters=["DEX"], actor=admin)
    assert added.shots[0].description == "Insert: the van's plate."
    assert added.shots[0].lens_mm == 100 and added.shots[2].id == drawn  # moved down one, same row
    moved = heist.scenes.move_shot("Heist", "2", 3, 1, actor=admin)
    assert moved.shots[0].id == drawn and moved.shots[0].edited
    with heist.database.unit_of_work() as work:
        assert [f.id for f in work.scenes.frames_of_shot(drawn)] == [frame.id]
    removed = heist.scenes.remove_shot("Heist", "2", 2, actor=admin)
    assert len(removed.shots) == len(moved.shots) - 1 and removed.shots[0].id == drawn
    with pytest.raises(InvalidRequest, match="shot position must be from 1 to"):
        heist.scenes.add_shot("Heist", "2", description="x", at=9, actor=admin)


def test_edited_shots_survive_a_re_import_of_the_revised_script(heist: Studio) -> None:
    admin = heist.local_actor
    edited = heist.scenes.edit_shot("Heist", "1", 2, lens_mm=40, movement="handheld", description="Maya, soaked.",
                                    actor=admin).shots[1]
    revised = SCRIPT.replace(b"Rain falls on the roof.", b"Thunder. Rain falls.")
    report = heist.scenes.import_script(revised, project="Heist", actor=admin)
    shots = heist.scenes.scene("Heist", "1", actor=admin).shots
    assert shots[1] == edited  # the same row, unchanged
    assert any(s.description == "Thunder." for s in shots)  # the rest proposed anew from the revised script
    assert any("scene 1: the script changed it; its 1 edited shot(s) (2) are kept" in w for w in report.warnings)


def test_shot_commands_edit_add_move_remove(settings: Settings, capsys, monkeypatch, tmp_path: Path) -> None:
    script = tmp_path / "heist.fountain"
    script.write_bytes(SCRIPT)
    run = lambda *args: in_process(settings, capsys, monkeypatch, *args)  # noqa: E731
    assert run("import-script", str(script), "--project", "Heist")[0] == 0
    code, out, _ = run("shot", "edit", "--project", "Heist", "--scene", "1", "--shot", "2", "--size", "close-up",
                       "--angle", "low angle", "--lens", "40", "--movement", "dolly in", "--characters", "MAYA,DEX",
                       "--json")
    assert code == 0
    shot = json.loads(out)["shots"][1]
    assert (shot["size"], shot["angle"], shot["lens_mm"], shot["movement"], shot["characters"], shot["edited"]) == (
        "close-up", "low angle", 40, "dolly in", ["MAYA", "DEX"], True)
    code, out, _ = run("shot", "add", "--project", "Heist", "--scene", "2", "--description", "The plate.",
                       "--size", "insert")
    assert code == 0 and "2.3   insert · 100 mm · eye level · static (edited)  The plate." in out
    assert run("shot", "move", "--project", "Heist", "--scene", "2", "--shot", "3", "--to", "1")[0] == 0
    code, out, _ = run("shot", "remove", "--project", "Heist", "--scene", "2", "--shot", "2")
    assert code == 0 and "The plate." in out and "Establishing" not in out
    code, _, err = run("shot", "edit", "--project", "Heist", "--scene", "1", "--shot", "1", "--size", "huge")
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("error: shot 1: size 'huge' is not one of: extreme wide, wide, full, medium")


def test_the_shot_list_as_csv_and_pdf(settings: Settings, heist: Studio, capsys, monkeypatch, tmp_path) -> None:
    admin = heist.local_actor
    heist.scenes.edit_shot("Heist", "1", 2, lens_mm=40, movement="dolly in", actor=admin)
    heist.scenes.edit_shot("Heist", "1", 3, description='=HYPERLINK("http://x")', characters=["@DEX"], actor=admin)
    frame = heist.frames.generate(FrameRequest(kind="storyboard", project="Heist", scene="1", shot=2, seed=1,
                                               width=64, height=64), actor=admin)[0]
    heist.reviews.review(frame.id, "approved", actor=admin)
    heist.close()
    run = lambda *args: in_process(settings, capsys, monkeypatch, *args)  # noqa: E731
    code, out, _ = run("shotlist", "--project", "Heist", "--csv", str(tmp_path / "list.csv"))
    assert code == 0 and out.startswith("7 shots written")
    rows = list(csv.reader(io.StringIO((tmp_path / "list.csv").read_text("utf-8-sig"))))
    assert rows[0] == ["scene", "shot", "size", "angle", "lens", "movement", "description", "dialogue",
                       "characters", "status", "frame id"]
    assert rows[2][:6] == ["1", "2", "medium", "eye level", "40 mm", "dolly in"]
    assert rows[2][8:] == ["MAYA", "approved", str(frame.id)] and rows[1][9:] == ["not drawn", ""]
    assert (rows[3][6], rows[3][8]) == ("'=HYPERLINK(\"http://x\")", "'@DEX")  # shown as text, never run
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    code, _, _ = run("shotlist", "--project", "Heist", "--scene", "1", "--pdf", str(tmp_path / "list.pdf"))
    assert code == 0
    page = pypdf.PdfReader(tmp_path / "list.pdf").pages[0]
    assert page.mediabox.width > page.mediabox.height  # A4 landscape
    text = page.extract_text()
    assert "40 mm" in text and "dolly in" in text and "approved" in text and "Heist — shot list, scene 1" in text
    assert "Dex: Now?" in text and "The van pulls up." not in text  # scene 1 only
    code, _, err = run("shotlist", "--project", "Heist")
    assert code == 1 and err == "error: give one of --csv FILE or --pdf FILE\n"

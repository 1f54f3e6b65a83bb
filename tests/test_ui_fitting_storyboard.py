"""The Costume fitting and Storyboard tabs driven through their named endpoints, as users and scripts see them.

The app and a signed-in client per role come from tests/ui_support.py (alice: art director, pat: producer,
cole: costume designer).
"""

from __future__ import annotations

import io
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image
from pypdf import PdfReader

from previs.access.permissions import Actor, Role
from previs.app.studio import Studio
from tests.test_fitting_studio import performer_photo
from tests.test_uploads import png_claiming
from tests.ui_support import project

SCRIPTS = Path(__file__).parent / "data" / "scripts"
PRODUCER = Actor("pat", Role.PRODUCER)
# Two scenes of one short line each: few shots, so drawing them all stays fast.
LIGHTHOUSE = """Title: Lighthouse

INT. LAMP ROOM - NIGHT #1#

The keeper lights a storm lantern.

EXT. HARBOUR - DAWN #2#

A fishing boat limps into the harbour.
"""


def png_file(folder: Path, name: str, image: Image.Image) -> Path:
    path = folder / name
    image.save(path, format="PNG")
    return path


def photo_file(folder: Path) -> Path:
    return png_file(folder, "photo.png", performer_photo())


def fit(user: Client, project_name: str, *, figure: str = "front", photo: Path | None = None, performer: str = "",
        region: str = "headwear", canvas: dict[str, Any] | None = None, mask: Path | None = None,
        variants: int = 2, seed: str = "5") -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    return user.predict(figure, handle_file(photo) if photo else None, performer, region, canvas,
                        handle_file(mask) if mask else None, False, "bowler hat", "felt", "black", "1900s", "",
                        variants, seed, project_name, api_name="/fit_costume")


def grant_fittings(studio: Studio, performer: str, project_name: str, uses: list[str]) -> None:
    studio.consent.add_performer(performer, actor=PRODUCER)
    studio.consent.grant(performer, project=project_name, uses=uses, valid_until=date.today() + timedelta(days=5),
                         description="costume fittings of the ballroom gown, previs only, not for release",
                         actor=PRODUCER)


def refusal(call, *args, **kwargs) -> str:
    with pytest.raises(AppError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert "Traceback" not in message and "Something went wrong" not in message
    return message


# -- costume fitting ------------------------------------------------------------------------------------------


def test_a_fitting_on_a_built_in_figure_shows_the_board_and_each_variant(cole: Client, ui_studio: Studio) -> None:
    name = project()
    board, gallery, details = fit(cole, name, seed="5")
    assert Image.open(board).width > 2 * 512, "the board shows the figure and both variants side by side"
    assert [item["caption"] for item in gallery] == [
        f"variant {number} · seed {seed} · frame {variant['frame']}"
        for number, seed, variant in zip((1, 2), (5, 6), details["variants"], strict=True)]
    assert (details["figure"], details["region"], details["created_by"]) == ("front", "headwear", "cole")
    stored = {frame.id: frame for frame in ui_studio.frames.list(project=name, actor=ui_studio.local_actor)}
    assert sorted(stored) == sorted([details["board"], *(v["frame"] for v in details["variants"])])
    assert {frame.created_by for frame in stored.values()} == {"cole"}
    assert stored[details["board"]].record.to_json()["composed"] is True


def test_a_performer_photo_needs_a_costume_fitting_grant(cole: Client, ui_studio: Studio, tmp_path: Path) -> None:
    name, photo = project(), photo_file(tmp_path)
    grant_fittings(ui_studio, "Ann Okafor", name, ["likeness_reference"])  # a grant, but not for fittings
    message = refusal(fit, cole, name, photo=photo, performer="Ann Okafor", variants=1)
    assert "refused: Ann Okafor" in message and "costume_fitting" in message
    assert "needs the performer's name" in refusal(fit, cole, name, photo=photo, variants=1)
    assert ui_studio.frames.list(project=name, actor=ui_studio.local_actor) == []


def test_with_the_grant_a_photo_fitting_paints_the_drawn_mask(cole: Client, ui_studio: Studio,
                                                             tmp_path: Path) -> None:
    name, photo = project(), photo_file(tmp_path)
    grant_fittings(ui_studio, "Bo Lindqvist", name, ["costume_fitting"])
    subject = cole.predict("front", handle_file(photo), api_name="/fitting_subject")
    assert Image.open(subject["background"]).size == (128, 192), "the canvas shows the photo as uploaded"
    layer = Image.new("RGBA", (128, 192), (0, 0, 0, 0))
    layer.paste((225, 29, 72, 255), (44, 40, 84, 110))
    canvas = {"background": handle_file(photo), "layers": [handle_file(png_file(tmp_path, "layer.png", layer))],
              "composite": None}
    _, gallery, details = fit(cole, name, photo=photo, performer="Bo Lindqvist", canvas=canvas, variants=1)
    assert (details["region"], details["performer"], len(gallery)) == ("custom", "Bo Lindqvist", 1)
    variant = ui_studio.frames.get(details["variants"][0]["frame"], actor=ui_studio.local_actor)
    assert variant.record.to_json()["likeness_uses"][0]["use"] == "costume_fitting" and variant.created_by == "cole"


def test_bad_uploads_are_refused_with_messages(cole: Client, ui_studio: Studio, tmp_path: Path) -> None:
    name = project()
    text = tmp_path / "photo.png"
    text.write_text("this is text pretending to be a photo")
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_claiming(50_000, 50_000))
    small = png_file(tmp_path, "mask.png", Image.new("L", (64, 64), 255))
    assert "The performer photo is plain text" in refusal(fit, cole, name, photo=text, performer="Ann Okafor")
    assert "The performer photo is plain text" in refusal(cole.predict, "front", handle_file(text),
                                                          api_name="/fitting_subject")
    assert "decompression bomb" in refusal(fit, cole, name, photo=bomb, performer="Ann Okafor")
    message = refusal(fit, cole, name, mask=small)
    assert "The mask file is 64x64 pixels but the picture it masks is 512x768" in message
    canvas = {"background": None, "layers": [handle_file(bomb)], "composite": None}
    assert "The drawn mask declares 50000x50000 pixels" in refusal(fit, cole, name, canvas=canvas)
    assert all(frame.project != name for frame in ui_studio.frames.list(actor=ui_studio.local_actor))


def test_an_art_director_may_not_run_a_fitting(alice: Client) -> None:
    message = refusal(fit, alice, project())
    assert "alice (art_director) may not run costume fittings: that needs admin, costume_designer" in message


# -- storyboard -----------------------------------------------------------------------------------------------


def test_a_fountain_file_imports_into_scenes_that_are_listed(pat: Client) -> None:
    name = project()
    summary, table, _ = pat.predict(name, handle_file(SCRIPTS / "glass_heist.fountain"), "",
                                    api_name="/import_script")
    assert summary.startswith(f"6 scenes “The Glass Heist” in project {name}: 6 new, 0 updated")
    numbers = ["1", "2", "3", "12A", "13", "14"]
    assert [row[0] for row in table["data"]] == numbers and table["headers"][:2] == ["Scene", "Heading"]
    listed, _ = pat.predict(name, api_name="/list_scenes")
    assert [row[0] for row in listed["data"]] == numbers
    assert listed["data"][0][1] == "EXT. HARBOUR WAREHOUSE - NIGHT"
    assert "no screenplay" in refusal(pat.predict, name, None, " ", api_name="/import_script")


def test_all_shots_are_drawn_with_progress_and_laid_out_as_png_and_pdf(pat: Client, ui_studio: Studio) -> None:
    name = project()
    pat.predict(name, None, LIGHTHOUSE, api_name="/import_script")
    shots = [f"1.{shot.order}" for shot in ui_studio.scenes.scene(name, "1", actor=PRODUCER).shots]
    job = pat.submit(name, ["1"], "pencil_storyboard", "256x256", "1", "7", api_name="/build_storyboard")
    said = set()
    while not job.done():
        said |= {unit.desc for unit in job.status().progress_data or [] if unit.desc}
        time.sleep(0.01)
    gallery, run = job.result()
    assert [item["caption"].split(" · ")[0] for item in gallery] == [f"shot {label}" for label in shots]
    assert len(run["drawn"]) == len(shots) and run["seeds"] == {"1": 7} and run["skipped"] == []
    assert any(text.startswith("Shot 1.") for text in said), said
    admin = ui_studio.local_actor
    assert {ui_studio.frames.get(frame_id, actor=admin).created_by for frame_id in run["drawn"]} == {"pat"}

    pages, pdf, note = pat.predict(name, ["1"], "pencil_storyboard", 3, "A4", api_name="/storyboard_sheet")
    assert pages and all(Path(page["image"]).read_bytes().startswith(b"\x89PNG") for page in pages)
    assert Path(pdf).name == f"{name}-scene1-storyboard.pdf"
    reader = PdfReader(io.BytesIO(Path(pdf).read_bytes()))
    assert "INT. LAMP ROOM - NIGHT" in "".join(page.extract_text() for page in reader.pages)
    assert note == f"{len(shots)} shots on {len(pages)} page(s)."

    again, rerun = pat.predict(name, ["1"], "pencil_storyboard", "256x256", "1", "", api_name="/build_storyboard")
    assert rerun["drawn"] == [] and rerun["skipped"] == shots and all("kept" in item["caption"] for item in again)
    assert "no frames to lay out for scene(s) 2" in refusal(pat.predict, name, ["2"], "pencil_storyboard", 3, "A4",
                                                           api_name="/storyboard_sheet")


def test_a_costume_designer_may_not_build_storyboards(cole: Client, pat: Client) -> None:
    name = project()
    pat.predict(name, None, LIGHTHOUSE, api_name="/import_script")
    message = refusal(cole.predict, name, ["1"], "pencil_storyboard", "256x256", "1", "",
                      api_name="/build_storyboard")
    assert "cole (costume_designer) may not build storyboards: that needs admin, art_director, producer" in message
    assert "cole (costume_designer) may not import screenplays" in refusal(cole.predict, name, None, LIGHTHOUSE,
                                                                          api_name="/import_script")


def test_the_endpoints_are_named(pat: Client) -> None:
    named = set(pat.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/fit_costume", "/fitting_subject", "/import_script", "/list_scenes", "/build_storyboard",
            "/storyboard_sheet"} <= named
    assert not any(endpoint.startswith("/storyboard_sheet_") for endpoint in named), "the chained sheet is private"


def test_the_tab_edits_camera_blocks_and_hands_out_the_shot_list(pat: Client) -> None:
    name = project()
    pat.predict(name, None, LIGHTHOUSE, api_name="/import_script")
    shown = pat.predict(name, "1", api_name="/show_shots")
    assert shown["headers"][:3] == ["Shot", "Size", "Lens (mm)"] and shown["data"][0][:3] == [1, "wide", 24]
    table = pat.predict(name, "1", 2, "close-up", "low angle", "", "dolly in", "", "KEEPER", "save",
                        api_name="/edit_shot")
    assert table["data"][1][:5] == [2, "close-up", 85, "low angle", "dolly in"]
    assert table["data"][1][6:] == ["KEEPER", "yes"]
    added = pat.predict(name, "1", 0, "insert", "", "100", "", "The lantern's wick.", "", "add", api_name="/edit_shot")
    assert added["data"][-1][:2] == [3, "insert"]
    moved = pat.predict(name, "1", 3, 1, api_name="/move_shot")
    assert moved["data"][0][5] == "The lantern's wick."
    assert "lens must be a whole number of mm from 8 to 600, got 2000" in refusal(
        pat.predict, name, "1", 1, "", "", "2000", "", "", "", "save", api_name="/edit_shot")
    listed = pat.predict(name, "1", "PDF", api_name="/shot_list")
    text = PdfReader(listed).pages[0].extract_text()
    assert "85 mm" in text and "dolly in" in text and "not drawn" in text

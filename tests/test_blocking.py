"""Blockouts (issue #20): geometry through the pinhole camera, and storyboards drawn over them.

Geometry is measured on the rendered label map: how much of the frame a figure covers, and where the horizon
(the first floor row under the sky at the frame's left edge) falls.
"""

from __future__ import annotations

import io
import json

import c2pa
import numpy as np
import pytest
from pypdf import PdfReader

from previs.access.permissions import Actor, Role
from previs.app.storyboards import StoryboardRequest
from previs.app.studio import Studio
from previs.blocking.layout import plan_shot
from previs.blocking.render import FIGURE, SKY, Blockout, render
from previs.errors import InvalidRequest
from previs.generation.limits import GenerationRequest, crop_box, frame_size
from previs.scenes.model import Scene, Shot
from tests.test_cli import in_process

PRODUCER = Actor("priya", Role.PRODUCER)
ROOF = Scene("1", "EXT. ROOFTOP - NIGHT", "EXT", "ROOFTOP", "NIGHT", characters=("MAYA", "THEO"))
SIX_SHOTS = b"""Title: Rooftop

EXT. CITY ROOFTOP - NIGHT #1#

Maya steps onto the roof.

Theo waits at the ledge.

Wind tugs at the antenna.

Maya crosses to him.

A helicopter passes overhead.

Theo turns away.

Maya grabs his arm.

MAYA
You said you'd wait.

THEO
I did.
"""

TWO_SHOTS = b"""INT. STAIRWELL - NIGHT #1#

Maya runs up the stairs.
"""


def blockout(size: str, angle: str = "eye level", *, lens: int = 0, distance: float | None = None,
             scene: Scene = ROOF) -> Blockout:
    return render(plan_shot(scene, Shot(1, "Maya on the roof", size, angle, lens_mm=lens), 192, 108,
                            distance=distance))


def horizon_row(image: Blockout) -> int:
    column = image.labels[:, 4]  # at the frame's edge, clear of the figures
    return int(np.argmax(column != SKY))


def test_a_close_up_s_figure_fills_more_of_the_frame_than_a_wide_s() -> None:
    close, medium, wide = (blockout(size).share(FIGURE) for size in ("close-up", "medium", "wide"))
    assert close > medium > wide > 0


def test_a_low_angle_tilts_up_so_the_horizon_moves_down_and_a_high_angle_moves_it_up() -> None:
    eye, low, high = (horizon_row(blockout("wide", angle)) for angle in ("eye level", "low angle", "high angle"))
    assert eye == pytest.approx(108 / 2, abs=1)  # a level camera puts the horizon through the frame's centre
    assert low > eye + 10 and high < eye - 10


def test_a_longer_lens_shows_a_bigger_figure_from_the_same_distance() -> None:
    shares = [blockout("full", lens=lens, distance=6.0).share(FIGURE) for lens in (24, 50, 85)]
    assert shares[0] < shares[1] < shares[2]


def test_a_dutch_angle_tilts_the_horizon_and_an_interior_has_walls_not_sky() -> None:
    dutch = blockout("wide", "dutch")
    rows = [int(np.argmax(dutch.labels[:, column] != SKY)) for column in (20, 170)]
    assert abs(rows[0] - rows[1]) > 10
    inside = blockout("wide", scene=Scene("2", "INT. KITCHEN - DAY", "INT", "KITCHEN", "DAY"))
    assert not (inside.labels == SKY).any()
    depth = np.asarray(inside.depth.convert("L"))
    assert depth.min() < depth.max(), "the depth map varies"
    assert np.asarray(inside.edges.convert("L")).max() == 255


@pytest.mark.parametrize("aspect", ["2.39:1", "1.85:1"])
def test_frames_are_drawn_near_the_model_s_pixel_count_and_cut_to_the_exact_ratio(studio: Studio,
                                                                                aspect: str) -> None:
    width, height = frame_size(256, 256, aspect)
    assert width % 64 == height % 64 == 0 and abs(width * height - 256 * 256) < 256 * 256 * 0.3
    studio.scenes.import_script(TWO_SHOTS, project="Roof", actor=PRODUCER)
    result = studio.storyboards.build(StoryboardRequest("Roof", ["1"], aspect=aspect, width=48, height=48,
                                                                        steps=1),
                                      actor=PRODUCER)
    ratio = float(aspect.split(":")[0])
    for frame_id in result.drawn[:2]:
        frame = studio.frames.get(frame_id, actor=PRODUCER)
        generation = frame.record.generation
        assert generation.crop is not None and generation.crop.aspect == aspect
        assert (frame.width, frame.height) == (generation.crop.box[2] - generation.crop.box[0],
                                               generation.crop.box[3] - generation.crop.box[1])
        assert abs(frame.width / ratio - frame.height) <= 1, "exact ratio within a pixel's rounding"
        assert (generation.width, generation.height) == frame_size(48, 48, aspect)  # what was drawn


def test_a_project_aspect_is_kept_and_a_board_may_override_it(studio: Studio) -> None:
    studio.scenes.import_script(TWO_SHOTS, project="Roof", actor=PRODUCER)
    assert studio.storyboards.aspect("Roof", actor=PRODUCER) == "1:1"
    assert studio.storyboards.set_aspect("Roof", "16:9", actor=PRODUCER) == "16:9"
    with pytest.raises(InvalidRequest, match=r"2\.39:1"):
        studio.storyboards.set_aspect("Roof", "3:2", actor=PRODUCER)
    first = studio.storyboards.build(StoryboardRequest("Roof", ["1"], width=48, height=48, steps=1), actor=PRODUCER)
    frame = studio.frames.get(first.drawn[0], actor=PRODUCER)
    assert frame.record.generation.crop is not None and frame.record.generation.crop.aspect == "16:9"


def test_crop_box_cuts_only_the_long_side() -> None:
    assert crop_box(384, 192, "2.39:1") == (0, 15, 384, 176)
    assert crop_box(256, 256, "16:9")[2:] == (256, 128 + 72)
    with pytest.raises(InvalidRequest, match="ratio like"):
        frame_size(64, 64, "wide")


def test_the_tiny_controlnet_changes_the_pixels_and_the_record_says_so(tiny_generator) -> None:
    shot = blockout("medium")
    width, height = frame_size(64, 64, "16:9")
    depth = render(plan_shot(ROOF, Shot(1, "x", "medium", "eye level"), width, height)).depth
    plain = tiny_generator.generate(GenerationRequest("a rooftop at night", seed=5, width=width, height=height))[0]
    steered = tiny_generator.generate(GenerationRequest("a rooftop at night", seed=5, control_image=depth,
                                                        control_scale=0.8))[0]
    assert np.abs(np.asarray(plain.image, float) - np.asarray(steered.image, float)).mean() > 1.0
    control = steered.generation.control
    assert control is not None and (control.kind, control.scale) == ("depth", 0.8)
    assert steered.generation.pipeline == "StableDiffusionControlNetPipeline" and plain.generation.control is None
    assert shot.share(FIGURE) > 0


def test_a_storyboard_frame_names_its_blockout_as_an_ingredient_and_reproduces(studio: Studio) -> None:
    studio.scenes.import_script(TWO_SHOTS, project="Roof", actor=PRODUCER)
    result = studio.storyboards.build(StoryboardRequest("Roof", ["1"], width=48, height=48, steps=1, aspect="2.39:1"),
                                      actor=PRODUCER)
    frame = studio.frames.get(result.drawn[0], actor=PRODUCER)
    assert frame.record.details.blockout is not None and frame.record.details.blockout.method == "controlnet"
    assert {item.role for item in frame.record.inputs} == {"blockout", "blockout_depth"}
    with open(frame.path, "rb") as stream, c2pa.Reader("image/png", stream) as reader:
        store = json.loads(reader.json())
    titles = [item["title"] for item in store["manifests"][store["active_manifest"]]["ingredients"]]
    assert any(title.startswith("blockout of shot 1.") for title in titles)
    assert studio.frames.reproduce(frame.id, actor=PRODUCER).identical


def test_offline_the_sheet_shows_blockouts_six_to_a_page_with_the_camera_block(studio: Studio, tmp_path) -> None:
    studio.scenes.import_script(SIX_SHOTS, project="Roof", actor=PRODUCER)
    shots = len(studio.scenes.scene("Roof", "1", actor=PRODUCER).shots)
    assert shots >= 6
    studio.storyboards.build(StoryboardRequest("Roof", ["1"], width=48, height=48, steps=1, aspect="2.39:1"),
                             actor=PRODUCER)
    sheet = studio.storyboards.sheet("Roof", ["1"], actor=PRODUCER)
    first = PdfReader(io.BytesIO(sheet.pdf)).pages[0]
    text = first.extract_text()
    assert min(shots, 6) <= text.count("blockout — placeholder model")
    assert sum(f"1.{order}" in text for order in range(1, shots + 1)) >= 6, "six or more panels on page one"
    assert "85 mm" in text or "50 mm" in text or "24 mm" in text, "the lens is printed"
    width, height = first.mediabox.upper_right
    assert float(width) > float(height), "wide frames: a landscape page"


def test_the_cli_sets_a_project_aspect_and_draws_a_board_at_another(settings, capsys, monkeypatch,
                                                                   tmp_path) -> None:
    script = tmp_path / "roof.fountain"
    script.write_bytes(TWO_SHOTS)
    assert in_process(settings, capsys, monkeypatch, "import-script", str(script), "--project", "Roof")[0] == 0
    code, out, _ = in_process(settings, capsys, monkeypatch, "aspect", "--project", "Roof", "1.85:1")
    assert code == 0 and out.strip().endswith("1.85:1")
    assert in_process(settings, capsys, monkeypatch, "aspect", "--project", "Roof")[1].strip() == "1.85:1"
    code, _, err = in_process(settings, capsys, monkeypatch, "aspect", "--project", "Roof", "7:1")
    assert code == 1 and "is not one of" in err and err.count("\n") == 1
    code, out, _ = in_process(settings, capsys, monkeypatch, "storyboard", "--project", "Roof", "--scene", "1",
                              "--size", "48x48", "--steps", "1", "--aspect", "2.39:1", "--json")
    frame = json.loads(out)["drawn"][0]
    code, out, _ = in_process(settings, capsys, monkeypatch, "frames", "--project", "Roof", "--json")
    assert code == 0 and '"2.39:1"' in out and frame

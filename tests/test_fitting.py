"""Fitting requests are checked before work, become a figure and prompt text, and end on a labelled board."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from previs.errors import InvalidRequest
from previs.fitting.board import CAPTION_GAP, MARGIN, PANEL_WIDTH, compose_board
from previs.fitting.figures import CUSTOM_REGION, load_figure
from previs.fitting.request import (
    FittingRequest,
    check_fitting_request,
    costume_details,
    costume_summary,
    fitting_figure,
)
from previs.prompts import CostumeDetails, load_library

COAT = FittingRequest("double-breasted  greatcoat", fabric="wool melton", palette="navy, brass",
                      period="1810s", notes="high collar with frogging", character="Captain Holt")
PHOTO = Image.new("RGB", (600, 900), (120, 110, 100))


def test_a_costume_fills_the_prompt_librarys_costume_template() -> None:
    details = costume_details(COAT)
    assert details == CostumeDetails("double-breasted greatcoat, high collar with frogging", fabric="wool melton",
                                     palette="navy, brass", period="1810s", character="Captain Holt")
    prompt = load_library().render("costume", costume=details).prompt
    assert "double-breasted greatcoat, high collar with frogging" in prompt and "wool melton" in prompt
    assert costume_summary(COAT) == "double-breasted greatcoat · wool melton · navy, brass · 1810s · " \
                                    "high collar with frogging"
    assert costume_details(FittingRequest("tabard")) == CostumeDetails("tabard")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"garment": "  "}, "garment is empty"),
        ({"garment": "x" * 201}, "garment is limited to 200 characters"),
        ({"notes": "x" * 501}, "notes is limited to 500"),
        ({"palette": "red, " * 30}, "palette is limited to 100 characters"),
        ({"figure": "side"}, "unknown figure 'side': choose one of front, three_quarter, back"),
        ({"region": "cape"}, "unknown region 'cape': choose one of full_body"),
        ({"variants": 0}, "variants 0 is out of range: use 1 to 8"),
        ({"variants": 9}, "variants 9 is out of range"),
        ({"seed": -1}, "seed -1 is out of range"),
        ({"photo": PHOTO}, "needs the performer's name"),
        ({"photo": PHOTO, "performer": "Ann", "figure": "back"}, "either a built-in figure or a performer photo"),
        ({"performer": "Ann"}, "add the photo, or leave performer out"),
        ({"mask": Image.new("L", (512, 768), 255), "region": "headwear"}, "a drawn mask is the region"),
    ],
)
def test_bad_requests_are_refused_with_the_field_named(changes: dict, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        check_fitting_request(FittingRequest(**{"garment": "coat", **changes}))


def test_good_requests_pass_and_name_their_region() -> None:
    check_fitting_request(COAT)
    assert COAT.region_name == "full_body"
    drawn = FittingRequest("coat", mask=Image.new("L", (512, 768), 255))
    check_fitting_request(drawn)
    assert drawn.region_name == CUSTOM_REGION
    check_fitting_request(FittingRequest("boots", figure="back", region="footwear", variants=8, seed=0))


def test_the_figure_is_built_in_or_the_photo_plus_any_drawn_mask() -> None:
    assert fitting_figure(COAT).name == "front"
    assert fitting_figure(FittingRequest("coat", figure="back")).name == "back"
    photo = fitting_figure(FittingRequest("coat", photo=PHOTO, performer="Ann"))
    assert photo.name == "photo" and photo.source_size == (600, 900)
    mask = Image.new("L", (600, 900), 0)
    mask.paste(255, (100, 300, 500, 600))
    drawn = fitting_figure(FittingRequest("coat", photo=PHOTO, performer="Ann", mask=mask))
    assert np.asarray(drawn.regions[CUSTOM_REGION]).any()


def variants(count: int) -> list[tuple[Image.Image, list[str]]]:
    figure = load_figure("front").image
    return [
        (Image.new("RGB", figure.size, (200, 40 * index, 40)),
         [f"Variant {index + 1} · seed {100 + index}", costume_summary(COAT) + " and more words" * index])
        for index in range(count)
    ]


def ink(board: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Dark pixels (text) in a box of the board."""
    return int((np.asarray(board.crop(box).convert("L")) < 128).sum())


def test_a_board_puts_the_figure_and_variants_side_by_side_with_labels() -> None:
    figure = load_figure("front")
    board = compose_board(figure.image, variants(3), title="Captain Holt — ballroom", figure_label=figure.title)
    picture_h = PANEL_WIDTH * 768 // 512
    assert board.mode == "RGB" and board.width == 2 * MARGIN + 4 * PANEL_WIDTH + 3 * 18
    centre = MARGIN + PANEL_WIDTH + 18 + PANEL_WIDTH // 2
    top = next(y for y in range(board.height) if board.getpixel((centre, y)) == (200, 0, 40)) - 1  # the outline
    for column in range(4):
        x = MARGIN + column * (PANEL_WIDTH + 18)
        caption = (x, top + picture_h + CAPTION_GAP, x + PANEL_WIDTH, top + picture_h + 100)
        assert ink(board, caption) > 150, f"caption {column} is empty"
        if column:
            assert board.getpixel((x + PANEL_WIDTH // 2, top + 20)) == (200, 40 * (column - 1), 40)
    assert ink(board, (MARGIN, MARGIN, board.width - MARGIN, MARGIN + 30)) > 300  # the title
    gutter = (MARGIN + PANEL_WIDTH + 1, top + picture_h, MARGIN + PANEL_WIDTH + 17, top + picture_h + 110)
    assert ink(board, gutter) == 0  # wrapped captions stay inside their column


def test_a_board_is_deterministic_and_wraps_into_rows() -> None:
    figure = load_figure("front").image
    first = compose_board(figure, variants(8), title="Eight")
    assert first.tobytes() == compose_board(figure, variants(8), title="Eight").tobytes()
    one_row = compose_board(figure, variants(4), title="Four")
    assert first.width == one_row.width and first.height > one_row.height * 1.7


def test_a_board_needs_one_to_eight_variants() -> None:
    figure = load_figure("front").image
    with pytest.raises(InvalidRequest, match="1 to 8 variants, not 0"):
        compose_board(figure, [], title="None")
    with pytest.raises(InvalidRequest, match="not 9"):
        compose_board(figure, variants(9), title="Nine")

"""Storyboard sheets: pagination, the PDF read back with pypdf, the PNG pages, and text that must fit."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection, TTFont
from PIL import Image, ImageDraw, ImageFilter
from pypdf import PdfReader

from previs.errors import InvalidRequest, PrevisError
from previs.media.fonts import MISSING, REGULAR, load_font_set, sheet_fonts
from previs.media.wrapping import ELLIPSIS
from previs.sheets.layout import (
    AI_LABEL,
    CAPTION_H,
    MARGIN,
    PAGE_SIZES,
    TextRun,
    compose,
    sheet_geometry,
)
from previs.sheets.painters import FRAME_PPI, paint_pdf, paint_png
from previs.sheets.render import Panel, SheetHeader, layout_pages, render_pdf, render_png_pages
from previs.version import __version__

COLORS = [(200, 40, 40), (40, 160, 60), (40, 80, 200), (220, 180, 40), (150, 60, 170), (30, 170, 170)]
HEADER = SheetHeader("Nightfall", "Scene 12A — EXT. ROOFTOP - NIGHT", "Storyboard v3", "2025-03-14")
UNICODE = "Zoë’s map of 東京 — “now”"


def frame(number: int, size: tuple[int, int] = (64, 40)) -> Image.Image:
    image = Image.new("RGB", size, COLORS[number % len(COLORS)])
    ImageDraw.Draw(image).text((4, 4), str(number), fill="white")
    return image


def panel(number: int, **changes) -> Panel:
    fields = {
        "image": frame(number),
        "shot_label": f"12A.{number}",
        "slugline": f"EXT. ROOFTOP {number} - NIGHT",
        "description": f"Shot {number}: the city glows under the rain.",
        "dialogue": f"MARCUS: Line {number}.",
        "frame_id": f"frm-{number:04d}",
        "status": "approved" if number % 2 else "",
    } | changes
    return Panel(**fields)


def pdf_text(data: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(data))
    return reader, [page.extract_text() for page in reader.pages]


@pytest.fixture(scope="module")
def seven() -> list[Panel]:
    return [panel(number) for number in range(1, 8)]


@pytest.fixture(scope="module")
def seven_pdf(seven) -> bytes:
    return render_pdf(seven, HEADER)


def test_seven_panels_at_three_columns_on_a4_take_two_pages(seven):
    pages = layout_pages(seven)
    assert [len(page) for page in pages] == [6, 1]  # 2 rows x 3 columns of 16:10 frames on landscape A4
    assert [p for page in pages for p in page] == seven
    geometry = sheet_geometry(seven, 3, "A4")
    assert len(pages) == math.ceil(len(seven) / geometry.per_page)


def test_rows_follow_the_frames_aspect_ratio():
    def per_page(size: tuple[int, int], columns: int) -> int:
        return len(layout_pages([panel(1, image=frame(1, size))] * 40, columns=columns)[0])

    assert per_page((64, 36), 3) == 6  # 16:9
    assert per_page((64, 64), 3) == 9  # square frames go on a portrait page: three rows
    assert per_page((64, 20), 3) == 9  # wide 3.2:1 frames: three rows
    assert per_page((64, 36), 6) == 18


def test_pdf_pages_header_footer_and_metadata(seven, seven_pdf):
    reader, texts = pdf_text(seven_pdf)
    assert len(reader.pages) == len(layout_pages(seven)) == 2
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of 2" in text
        assert "Scene 12A — EXT. ROOFTOP - NIGHT" in text and "Nightfall" in text and "2025-03-14" in text
    assert reader.metadata.title == "Nightfall — Scene 12A — EXT. ROOFTOP - NIGHT"
    assert reader.metadata.creator == f"previs {__version__}"
    assert "7 frames" in reader.metadata.subject


def test_pdf_lists_every_shot_in_order_with_its_label_and_frame_id(seven, seven_pdf):
    text = "\n".join(pdf_text(seven_pdf)[1])
    positions = [text.find(p.shot_label) for p in seven]
    assert -1 not in positions and positions == sorted(positions)
    for p in seven:
        assert p.slugline in text and p.description in text and p.dialogue in text
        assert f"{AI_LABEL} · {p.frame_id}" in text
    assert text.count(AI_LABEL) >= len(seven)
    assert "approved" in text


@pytest.mark.parametrize(("page_size", "expected"), [("A4", (841.89, 595.28)), ("Letter", (792.0, 612.0))])
def test_pdf_pages_are_landscape(page_size, expected):
    reader, _ = pdf_text(render_pdf([panel(1)], HEADER, page_size=page_size))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(expected, abs=0.5)


def test_long_text_is_truncated_with_an_ellipsis_and_stays_in_its_cell():
    long = " ".join(["the rain keeps falling on the rooftop"] * 60) + " ZEPPELIN"
    panels = [panel(1, description=long, dialogue=long, slugline=long), panel(2), panel(3)]
    text = "\n".join(pdf_text(render_pdf(panels, HEADER))[1])
    assert ELLIPSIS in text and "ZEPPELIN" not in text
    assert "12A.2" in text and "12A.3" in text  # neighbours keep their own captions

    geometry = sheet_geometry(panels, 3, "A4")
    runs = [d for d in compose(panels, HEADER, geometry, sheet_fonts())[0] if isinstance(d, TextRun)]
    for slot in range(len(panels)):
        left, top = geometry.frame_origin(slot)
        bottom = top + geometry.frame_h + CAPTION_H
        caption = [r for r in runs if left <= r.x < left + geometry.frame_w and top < r.baseline <= bottom]
        assert caption
        assert max(r.x + r.width for r in caption) <= left + geometry.frame_w + 1e-6
    assert all(r.x >= MARGIN and r.x + r.width <= geometry.page_w - MARGIN + 1e-6 for r in runs)


def test_unicode_survives_in_the_pdf_text():
    odd = "𓀀"  # Egyptian hieroglyph: in no installed font, drawn as a box by the missing-glyph font
    panels = [panel(1, description=f"{UNICODE} {odd}", dialogue="ZOË: “Ça va?”", shot_label="1–3")]
    text = pdf_text(render_pdf(panels, SheetHeader("Café Ōkami", "Scenes 1–3")))[1][0]
    for snippet in ("Zoë’s", "東京", "—", "“now”", "ZOË: “Ça va?”", "Café Ōkami", "Scenes 1–3", odd):
        assert snippet in text


def test_found_font_covers_screenplay_punctuation():
    assert sheet_fonts().runs("Zoë — “Ça va?” ‘yes’ … 1–3") == [(REGULAR, "Zoë — “Ça va?” ‘yes’ … 1–3")]
    assert sheet_fonts().runs("𓀀") == [(MISSING, "𓀀")]


DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.mark.skipif(not DEJAVU.is_file(), reason="needs DejaVu Sans to stand in as a fallback font")
def test_characters_missing_from_the_primary_font_come_from_a_fallback_collection(tmp_path):
    vera = Path(pytest.importorskip("reportlab").__file__).parent / "fonts"
    collection = TTCollection()
    collection.fonts = [TTFont(vera / "Vera.ttf"), TTFont(DEJAVU)]
    collection.save(tmp_path / "fallback.ttc")  # like Noto Sans CJK, which ships as a .ttc
    fonts = load_font_set([(vera / "Vera.ttf", vera / "VeraBd.ttf")], [(tmp_path / "fallback.ttc", 1)])
    assert fonts.runs("Ж x", bold=True) == [("fallback0", "Ж"), ("bold", " x")]
    assert fonts.width("Ж", 10) == pytest.approx(10 * fonts.fallbacks[0].advances[ord("Ж")])

    panels = [panel(1, description="Жар-птица")]
    geometry = sheet_geometry(panels, 3, "A4")
    pages = compose(panels, HEADER, geometry, fonts)
    pdf = paint_pdf(pages, geometry, fonts, title="t", subject="s")
    assert "Жар-птица" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert len(paint_png(pages, geometry, fonts, dpi=50)) == 1


def test_no_font_at_all_is_a_clear_error(tmp_path):
    with pytest.raises(PrevisError, match="fonts-dejavu-core"):
        load_font_set([(tmp_path / "none.ttf", tmp_path / "none-bold.ttf")])


@pytest.mark.parametrize("columns", [0, 7, "3", True, 2.5])
def test_invalid_columns_are_refused_with_the_valid_range(columns):
    with pytest.raises(InvalidRequest, match="1 to 6"):
        layout_pages([panel(1)], columns=columns)


def test_invalid_page_size_is_refused_with_the_valid_ones():
    with pytest.raises(InvalidRequest, match="A4, Letter"):
        render_pdf([panel(1)], HEADER, page_size="A3")
    assert len(layout_pages([panel(1)], page_size="letter")) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda: layout_pages([]),
        lambda: render_pdf([], HEADER),
        lambda: render_png_pages([], HEADER),
    ],
)
def test_empty_panel_list_asks_for_frames_first(call):
    with pytest.raises(InvalidRequest, match="no frames to put on a sheet"):
        call()


def test_empty_image_is_refused():
    with pytest.raises(InvalidRequest, match="frm-0001 has an empty image"):
        render_pdf([panel(1, image=Image.new("RGB", (0, 0)))], HEADER)


def test_invalid_dpi_is_refused():
    with pytest.raises(InvalidRequest, match="dpi"):
        render_png_pages([panel(1)], HEADER, dpi=0)


@pytest.mark.parametrize(("page_size", "dpi"), [("A4", 100), ("Letter", 50)])
def test_png_pages_match_the_pdf_and_are_landscape_at_dpi(seven, page_size, dpi):
    pages = render_png_pages(seven, HEADER, page_size=page_size, dpi=dpi)
    reader, _ = pdf_text(render_pdf(seven, HEADER, page_size=page_size))
    assert len(pages) == len(reader.pages)
    width, height = PAGE_SIZES[page_size]
    assert all(page.size == (round(width * dpi / 72), round(height * dpi / 72)) for page in pages)
    assert pages[0].width > pages[0].height


def test_png_pages_put_each_frame_where_the_layout_says(seven):
    geometry = sheet_geometry(seven, 3, "A4")
    pages = render_png_pages(seven, HEADER, dpi=72)
    for index, p in enumerate(seven):
        x, y = geometry.frame_origin(index % geometry.per_page)
        center = (round(x + geometry.frame_w * 0.7), round(y + geometry.frame_h * 0.4))
        expected = p.image.getpixel((40, 16))
        assert pages[index // geometry.per_page].getpixel(center) == pytest.approx(expected, abs=8)


def test_png_pages_draw_unicode_captions():
    def page(description: str) -> Image.Image:
        return render_png_pages([panel(1, description=description, dialogue="")], HEADER, dpi=72)[0]

    assert page("").tobytes() != page(UNICODE).tobytes()


def test_frames_are_embedded_as_jpeg_no_larger_than_needed():
    def grainy_frame() -> Image.Image:
        bands = [Image.effect_noise((1024, 576), 30 + 10 * band) for band in range(3)]
        return Image.merge("RGB", bands).filter(ImageFilter.GaussianBlur(1))

    panels = [panel(number, image=grainy_frame()) for number in range(1, 10)]
    data = render_pdf(panels, HEADER)
    reader = PdfReader(io.BytesIO(data))
    geometry = sheet_geometry(panels, 3, "A4")
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 9
    assert all(image.name.endswith(".jpg") for image in images)
    assert all(image.image.width <= math.ceil(geometry.frame_w / 72 * FRAME_PPI) for image in images)
    assert len(data) < 1_500_000

"""A fitting board: the figure and its costume variants side by side, each labelled, as one picture.

Panels are all ``PANEL_WIDTH`` wide, up to ``MAX_COLUMNS`` to a row, each with a caption under it: the first
label line in bold (e.g. "Variant 2 · seed 1234"), the rest wrapped into at most ``TEXT_LINES`` lines, with
an ellipsis when text is left over. Text is set in the sheets' Unicode fonts (``previs.media.fonts``), a fallback
font per character where the main one lacks a glyph. The same input gives the same pixels.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from previs.errors import InvalidRequest
from previs.generation.limits import MAX_COUNT
from previs.media.fonts import FontSet, sheet_fonts
from previs.media.palette import HAIRLINE, INK, LETTERBOX, MUTED, PAPER, RULE, Colour
from previs.media.wrapping import Measure, ellipsize, wrap

PANEL_WIDTH = 320
MAX_COLUMNS = 5
MARGIN = 28
GUTTER = 18
ROW_GAP = 22
CAPTION_GAP = 8
TEXT_LINES = 4
AI_NOTE = "AI-generated previs costume fitting · concept only, not final imagery"

@dataclass(frozen=True)
class _Style:
    size: int
    bold: bool
    colour: Colour

    @property
    def leading(self) -> int:
        return round(self.size * 1.35)


TITLE = _Style(26, True, INK)
LABEL = _Style(17, True, INK)
TEXT = _Style(15, False, INK)
NOTE = _Style(13, False, MUTED)


def compose_board(
    figure_image: Image.Image,
    variants: Sequence[tuple[Image.Image, Sequence[str]]],
    *,
    title: str,
    figure_label: str = "Figure",
) -> Image.Image:
    """The figure, then each variant with its label lines, on one RGB board headed by ``title``."""
    if not 1 <= len(variants) <= MAX_COUNT:
        raise InvalidRequest(f"a fitting board shows 1 to {MAX_COUNT} variants, not {len(variants)}")
    cells = [(figure_image, [figure_label]), *((image, list(lines)) for image, lines in variants)]
    columns = min(len(cells), MAX_COLUMNS)
    rows = math.ceil(len(cells) / columns)
    picture_h = round(PANEL_WIDTH * figure_image.height / figure_image.width)
    cell_h = picture_h + CAPTION_GAP + LABEL.leading + TEXT_LINES * TEXT.leading
    header_h = TITLE.leading + 14
    width = 2 * MARGIN + columns * PANEL_WIDTH + (columns - 1) * GUTTER
    height = 2 * MARGIN + header_h + rows * cell_h + (rows - 1) * ROW_GAP + ROW_GAP + NOTE.leading
    board = Image.new("RGB", (width, height), PAPER)
    pen = _Pen(board, sheet_fonts())
    pen.lines(MARGIN, MARGIN, [title], TITLE, width - 2 * MARGIN, 1)
    pen.rule(MARGIN, MARGIN + TITLE.leading + 6, width - 2 * MARGIN)
    for index, (image, lines) in enumerate(cells):
        row, column = divmod(index, columns)
        x = MARGIN + column * (PANEL_WIDTH + GUTTER)
        y = MARGIN + header_h + row * (cell_h + ROW_GAP)
        _paste_fitted(board, image, (x, y, PANEL_WIDTH, picture_h))
        top = y + picture_h + CAPTION_GAP
        pen.lines(x, top, lines[:1], LABEL, PANEL_WIDTH, 1)
        pen.lines(x, top + LABEL.leading, lines[1:], TEXT, PANEL_WIDTH, TEXT_LINES)
    pen.lines(MARGIN, height - MARGIN - NOTE.leading, [AI_NOTE], NOTE, width - 2 * MARGIN, 1)
    return board


def _paste_fitted(board: Image.Image, image: Image.Image, box: tuple[int, int, int, int]) -> None:
    """``image`` scaled to fit the box, centred on a dark letterbox when its shape differs."""
    x, y, w, h = box
    board.paste(LETTERBOX, (x, y, x + w, y + h))
    scale = min(w / image.width, h / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    fitted = image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    board.paste(fitted, (x + (w - size[0]) // 2, y + (h - size[1]) // 2))
    ImageDraw.Draw(board).rectangle((x, y, x + w - 1, y + h - 1), outline=HAIRLINE)


class _Pen:
    """Sets wrapped text with per-character font fallback, measuring with the fonts that draw it."""

    def __init__(self, board: Image.Image, fonts: FontSet) -> None:
        self.draw = ImageDraw.Draw(board)
        self.fonts = fonts
        self.font = functools.cache(self._load_font)

    def lines(self, x: int, top: int, texts: Sequence[str], style: _Style, width: int, max_lines: int) -> None:
        """Each of ``texts`` wrapped to ``width``, all of them within ``max_lines`` lines from ``top``."""
        wrapped: list[str] = []
        for text in texts:
            wrapped += wrap(" ".join(text.split()), width, self._measure(style))
        if len(wrapped) > max_lines:
            wrapped = [*wrapped[: max_lines - 1], ellipsize(wrapped[max_lines - 1], width, self._measure(style))]
        for number, line in enumerate(wrapped):
            self._text(x, top + number * style.leading, line, style)

    def rule(self, x: int, y: int, width: int) -> None:
        self.draw.rectangle((x, y, x + width - 1, y + 1), fill=RULE)

    def _text(self, x: int, top: int, text: str, style: _Style) -> None:
        runs = self.fonts.runs(text, bold=style.bold)
        faces = self.fonts.faces(runs)
        for key, run in runs:
            font = self.font(key, style.size, faces[key].data, faces[key].collection_index or 0)
            self.draw.text((x, top), run, font=font, fill=style.colour)
            x += round(font.getlength(run))

    def _measure(self, style: _Style) -> Measure:
        return lambda text: self._width(text, style)

    def _width(self, text: str, style: _Style) -> float:
        runs = self.fonts.runs(text, bold=style.bold)
        faces = self.fonts.faces(runs)
        return sum(
            round(self.font(key, style.size, faces[key].data, faces[key].collection_index or 0).getlength(run))
            for key, run in runs
        )

    @staticmethod
    def _load_font(key: str, size: int, data: bytes, index: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(io.BytesIO(data), size, index=index)

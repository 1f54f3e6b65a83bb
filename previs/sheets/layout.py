"""Where everything on a storyboard sheet goes, decided once for both the PDF and the PNG pages.

Layout emits plain drawing operations in points (origin top-left, y down, text placed at its baseline, already
wrapped, truncated and split into per-font runs). The painters only translate them, so the PDF and the PNG
pages cannot disagree about geometry, and no caption can overflow into its neighbour in one but not the other.
"""

from __future__ import annotations

import math
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from previs.errors import InvalidRequest
from previs.media.fonts import FontSet
from previs.media.palette import (
    DIALOGUE_INK,
    HAIRLINE,
    INK,
    LETTERBOX,
    MUTED,
    RULE,
    STATUS_INK,
    TAG_INK,
    Colour,
)
from previs.media.wrapping import Measure, ellipsize, wrap
from previs.version import __version__

# Landscape page sizes in points, as fpdf2 defines them.
PAGE_SIZES: dict[str, tuple[float, float]] = {"A4": (841.89, 595.28), "Letter": (792.0, 612.0)}
MIN_COLUMNS, MAX_COLUMNS = 1, 6
AI_LABEL = "AI-generated previs"
STROKE = 0.6  # outline width, points

MARGIN = 28.0
HEADER_H = 44.0
FOOTER_H = 16.0
GUTTER = 14.0
ROW_GAP = 14.0
CAPTION_GAP = 4.0
BODY_LINES = 4  # description and dialogue share these caption lines
MIN_PANELS = 6  # an automatic grid holds at least this many panels a page when the frames stay readable
MIN_FRAME_H = 60.0  # points: the smallest frame an automatic grid shrinks to for MIN_PANELS
PORTRAIT_BELOW = 1.5  # frames narrower than this (4:3, 1:1) are laid out on portrait pages
DIALOGUE_MIN_LINES = 2  # dialogue keeps at least this many of them when both overflow

@dataclass(frozen=True)
class Panel:
    """One storyboard frame and the screenplay text printed under it."""

    image: Image.Image
    shot_label: str  # e.g. "12A.3"
    slugline: str
    description: str
    dialogue: str
    frame_id: str
    status: str = ""
    camera: str = ""  # the camera block, "MCU · 50 mm · low · dolly in"
    notice: str = ""  # printed over the picture, e.g. "blockout — placeholder model"


@dataclass(frozen=True)
class SheetHeader:
    """What every page of a sheet is headed with."""

    project: str
    title: str  # e.g. "Scene 12A — EXT. ROOFTOP - NIGHT" or "Scenes 1–3"
    subtitle: str = ""
    generated_on: str = ""


@dataclass(frozen=True)
class Style:
    size: float
    bold: bool
    color: Colour

    @property
    def leading(self) -> float:
        return self.size * 1.3


PROJECT = Style(8, False, MUTED)
TITLE = Style(14, True, INK)
SUBTITLE = Style(9, False, INK)
LABEL = Style(9.5, True, INK)
STATUS = Style(7, True, STATUS_INK)
SLUGLINE = Style(7.5, True, MUTED)
DESCRIPTION = Style(7.5, False, INK)
DIALOGUE = Style(7.5, False, DIALOGUE_INK)
TAG = Style(6, False, TAG_INK)
CAMERA = Style(7.5, True, DIALOGUE_INK)
NOTICE = Style(7, True, TAG_INK)
FOOTER = Style(7, False, MUTED)
CAPTION_H = CAPTION_GAP + LABEL.leading + CAMERA.leading + SLUGLINE.leading + BODY_LINES * DESCRIPTION.leading


@dataclass(frozen=True)
class TextRun:
    """Text in one face on one baseline; ``width`` is its advance, for checks that nothing overflows."""

    x: float
    baseline: float
    text: str
    face: str
    size: float
    color: Colour
    width: float


@dataclass(frozen=True)
class Box:
    """A rectangle, filled and/or outlined with ``STROKE``."""

    x: float
    y: float
    w: float
    h: float
    fill: Colour | None = None
    stroke: Colour | None = None


@dataclass(frozen=True)
class Picture:
    """A frame image scaled to exactly this rectangle (its aspect is already preserved)."""

    x: float
    y: float
    w: float
    h: float
    image: Image.Image


Drawing = TextRun | Box | Picture


@dataclass(frozen=True)
class SheetGeometry:
    """The page grid: computed once per sheet from page size, columns and the frames' aspect ratio."""

    page_w: float
    page_h: float
    columns: int
    rows: int
    frame_w: float
    frame_h: float
    grid_x: float
    grid_y: float

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def frame_origin(self, slot: int) -> tuple[float, float]:
        """Top-left corner of the frame in grid slot ``slot`` (row-major)."""
        row, column = divmod(slot, self.columns)
        return (
            self.grid_x + column * (self.frame_w + GUTTER),
            self.grid_y + row * (self.frame_h + CAPTION_H + ROW_GAP),
        )


def sheet_geometry(panels: Sequence[Panel], columns: int, page_size: str, rows: int | None = None) -> SheetGeometry:
    """Validate the request and fit the grid: ``rows`` rows, or the row count giving most picture area with
    captions whole among those holding MIN_PANELS a page (while frames stay MIN_FRAME_H tall).

    Frames take the median aspect ratio of the panels (odd ones are letterboxed inside); their width is the
    column width unless that would leave no room for the captions of the chosen number of rows. Wide frames
    (PORTRAIT_BELOW and up) go on landscape pages, narrower ones on portrait pages.
    """
    if not panels:
        raise InvalidRequest("no frames to put on a sheet: generate the scene's shots first")
    if isinstance(columns, bool) or not isinstance(columns, int) or not MIN_COLUMNS <= columns <= MAX_COLUMNS:
        raise InvalidRequest(
            f"columns must be a whole number from {MIN_COLUMNS} to {MAX_COLUMNS}, not {columns!r}"
        )
    page_w, page_h = PAGE_SIZES[_page_name(page_size)]
    empty = [panel.frame_id for panel in panels if not panel.image.width or not panel.image.height]
    if empty:
        raise InvalidRequest(f"frame {empty[0]} has an empty image: regenerate it before making a sheet")
    aspect = statistics.median(panel.image.width / panel.image.height for panel in panels)
    if aspect < PORTRAIT_BELOW:
        page_w, page_h = page_h, page_w
    content_w = page_w - 2 * MARGIN
    content_h = page_h - 2 * MARGIN - HEADER_H - FOOTER_H
    natural_h = (content_w - (columns - 1) * GUTTER) / columns / aspect

    def frame_h(rows: int) -> float:
        return min(natural_h, (content_h - (rows - 1) * ROW_GAP) / rows - CAPTION_H)

    most = math.floor(content_h / CAPTION_H)
    if rows is not None and (isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= most):
        raise InvalidRequest(f"rows must be a whole number from 1 to {most} on this page, not {rows!r}")
    if rows is None:
        readable = [r for r in range(1, most + 1) if columns * r >= MIN_PANELS and frame_h(r) >= MIN_FRAME_H]
        rows = max(readable or range(1, most + 1), key=lambda r: r * max(frame_h(r), 0.0) ** 2)
    height = frame_h(rows)
    width = height * aspect
    return SheetGeometry(
        page_w=page_w,
        page_h=page_h,
        columns=columns,
        rows=rows,
        frame_w=width,
        frame_h=height,
        grid_x=(page_w - columns * width - (columns - 1) * GUTTER) / 2,
        grid_y=MARGIN + HEADER_H,
    )


def _page_name(page_size: str) -> str:
    names = {name.lower(): name for name in PAGE_SIZES}
    name = names.get(page_size.lower()) if isinstance(page_size, str) else None
    if name is None:
        raise InvalidRequest(f"page_size must be one of {', '.join(PAGE_SIZES)}, not {page_size!r}")
    return name


def paginate(panels: Sequence[Panel], geometry: SheetGeometry) -> list[list[Panel]]:
    """Split panels, in order, into pages of ``geometry.per_page``."""
    step = geometry.per_page
    return [list(panels[start : start + step]) for start in range(0, len(panels), step)]


def compose(
    panels: Sequence[Panel], header: SheetHeader, geometry: SheetGeometry, fonts: FontSet
) -> list[list[Drawing]]:
    """Every page's drawing operations, in painting order."""
    pages = paginate(panels, geometry)
    return [
        _Page(geometry, fonts).draw(page, header, f"Page {number} of {len(pages)}")
        for number, page in enumerate(pages, start=1)
    ]


class _Page:
    """Collects one page's drawings; knows how to fit text into a width with the sheet's fonts."""

    def __init__(self, geometry: SheetGeometry, fonts: FontSet) -> None:
        self.geometry = geometry
        self.fonts = fonts
        self.drawings: list[Drawing] = []

    def draw(self, panels: Sequence[Panel], header: SheetHeader, page_label: str) -> list[Drawing]:
        self._header(header)
        self._footer(page_label)
        for slot, panel in enumerate(panels):
            self._panel(panel, *self.geometry.frame_origin(slot))
        return self.drawings

    def _header(self, header: SheetHeader) -> None:
        left, right = MARGIN, self.geometry.page_w - MARGIN
        top_baseline = MARGIN + PROJECT.size
        title_baseline = top_baseline + TITLE.leading
        self._line(left, right, top_baseline, (header.project, PROJECT), (header.generated_on, PROJECT))
        title, subtitle = (header.title, TITLE), (header.subtitle, SUBTITLE)
        self._line(left, right, title_baseline, title, subtitle, end_share=0.4)
        self.drawings.append(Box(left, title_baseline + 6, right - left, 0.8, fill=RULE))

    def _footer(self, page_label: str) -> None:
        left, right = MARGIN, self.geometry.page_w - MARGIN
        baseline = self.geometry.page_h - MARGIN
        self.drawings.append(Box(left, baseline - FOOTER.size - 5, right - left, 0.4, fill=HAIRLINE))
        note = f"{AI_LABEL} storyboard for review, not final imagery · previs {__version__}"
        self._line(left, right, baseline, (note, FOOTER), (page_label, FOOTER))

    def _panel(self, panel: Panel, x: float, y: float) -> None:
        w, h = self.geometry.frame_w, self.geometry.frame_h
        image = panel.image
        scale = min(w / image.width, h / image.height)
        pw, ph = image.width * scale, image.height * scale
        self.drawings += [
            Box(x, y, w, h, fill=LETTERBOX),
            Picture(x + (w - pw) / 2, y + (h - ph) / 2, pw, ph, image),
            Box(x, y, w, h, stroke=HAIRLINE),
        ]
        self._tag(panel.frame_id, x, y + h)
        if panel.notice:
            self._notice(panel.notice, x, y)
        self._caption(panel, x, y + h + CAPTION_GAP, w)

    def _notice(self, notice: str, x: float, top: float) -> None:
        """The panel's notice on a dark band across the top of the frame, where no crop of it loses it."""
        pad = 3.0
        line = "".join(self._fit(_clean(notice), NOTICE, self.geometry.frame_w - 2 * pad, 1))
        self.drawings.append(Box(x, top, self.geometry.frame_w, NOTICE.leading + pad, fill=LETTERBOX))
        self._runs(x + pad, top + pad / 2 + NOTICE.size, line, NOTICE)

    def _tag(self, frame_id: str, x: float, bottom: float) -> None:
        """The AI label and frame id over the frame's bottom-left corner, so crops of the frame keep them.

        One line where it fits, else the id goes on a second line, truncated to the frame's width.
        """
        pad = 3.0
        room = self.geometry.frame_w - 2 * pad
        one_line = f"{AI_LABEL} · {_clean(frame_id)}"
        fits = self._width(one_line, TAG) <= room
        lines = [one_line] if fits else [AI_LABEL, *self._fit(_clean(frame_id), TAG, room, 1)]
        height = len(lines) * TAG.leading + pad
        width = max(self._width(line, TAG) for line in lines) + 2 * pad
        self.drawings.append(Box(x, bottom - height, width, height, fill=LETTERBOX))
        for number, line in enumerate(lines):
            self._runs(x + pad, bottom - height + pad / 2 + TAG.size + number * TAG.leading, line, TAG)

    def _caption(self, panel: Panel, x: float, top: float, width: float) -> None:
        baseline = top + LABEL.size
        self._line(x, x + width, baseline, (panel.shot_label, LABEL), (panel.status, STATUS), end_share=0.5)
        baseline += CAMERA.leading
        self._line(x, x + width, baseline, (panel.camera, CAMERA))
        baseline += SLUGLINE.leading
        self._line(x, x + width, baseline, (panel.slugline, SLUGLINE))
        description, dialogue = _clean(panel.description), _clean(panel.dialogue)
        described = len(self._wrap(description, DESCRIPTION, width, BODY_LINES))
        spoken = len(self._wrap(dialogue, DIALOGUE, width, BODY_LINES))
        dialogue_lines = min(spoken, max(DIALOGUE_MIN_LINES, BODY_LINES - described))
        for text, style, lines in (
            (description, DESCRIPTION, BODY_LINES - dialogue_lines),
            (dialogue, DIALOGUE, dialogue_lines),
        ):
            for line in self._fit(text, style, width, lines):
                baseline += style.leading
                self._runs(x, baseline, line, style)

    def _line(
        self,
        left: float,
        right: float,
        baseline: float,
        start: tuple[str, Style],
        end: tuple[str, Style] = ("", DESCRIPTION),
        end_share: float = 1.0,
    ) -> None:
        """One line between ``left`` and ``right``: ``start`` text left-aligned, ``end`` text right-aligned.

        The end text (a date, a status, the page number) is truncated to ``end_share`` of the width first; the
        start text gets what remains, so the two never collide.
        """
        end_text = "".join(self._fit(_clean(end[0]), end[1], end_share * (right - left), 1))
        end_width = self._width(end_text, end[1])
        room = right - left - end_width - (GUTTER if end_width else 0)
        self._runs(left, baseline, "".join(self._fit(_clean(start[0]), start[1], room, 1)), start[1])
        self._runs(right - end_width, baseline, end_text, end[1])

    def _fit(self, text: str, style: Style, width: float, max_lines: int) -> list[str]:
        """Wrap into at most ``max_lines`` lines; if text is left over the last line ends in an ellipsis."""
        if max_lines < 1:
            return []
        lines = self._wrap(text, style, width, max_lines + 1)
        if len(lines) <= max_lines:
            return lines
        return [*lines[: max_lines - 1], ellipsize(lines[max_lines - 1], width, self._measure(style))]

    def _wrap(self, text: str, style: Style, width: float, limit: int) -> list[str]:
        measure = self._measure(style)
        return wrap(text, width, measure, limit=limit,
                    break_word=lambda word: self._prefix_that_fits(word, style, width))

    def _prefix_that_fits(self, text: str, style: Style, width: float) -> int:
        """Length of the longest prefix of ``text`` no wider than ``width`` (at least one character), by summing
        character widths: linear in the word, where measuring every prefix would be quadratic."""
        used = 0.0
        for index, char in enumerate(text):
            used += self._width(char, style)
            if used > width:
                return max(index, 1)
        return len(text)

    def _runs(self, x: float, baseline: float, text: str, style: Style) -> None:
        for face, run in self.fonts.runs(text, bold=style.bold):
            width = self.fonts.width(run, style.size, bold=style.bold)
            self.drawings.append(TextRun(x, baseline, run, face, style.size, style.color, width))
            x += width

    def _measure(self, style: Style) -> Measure:
        return lambda text: self._width(text, style)

    def _width(self, text: str, style: Style) -> float:
        return self.fonts.width(text, style.size, bold=style.bold)


def _clean(text: str) -> str:
    """Printable text on one line: NFC-composed, control/format characters dropped, whitespace collapsed."""
    composed = unicodedata.normalize("NFC", text)
    printable = (c for c in composed if c.isspace() or unicodedata.category(c)[0] != "C")
    return " ".join("".join(printable).split())

"""Storyboard sheets: a scene's frames with their screenplay text, as a multi-page PDF or as PNG pages.

Producers review previs on paper and in mail, so sheets are landscape A4 or US Letter with the project and
scene on every page, "Page N of M", frames in shot order and, under each frame, its shot number, slugline,
description and dialogue cut to fit. Every frame carries an "AI-generated previs" label and its frame id.

Both outputs are painted from one composition (``previs.sheets.layout``), so they always agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from previs.errors import InvalidRequest
from previs.media.fonts import sheet_fonts
from previs.sheets.layout import AI_LABEL, Panel, SheetHeader, compose, paginate, sheet_geometry
from previs.sheets.painters import paint_pdf, paint_png

__all__ = ["Panel", "SheetHeader", "layout_pages", "render_pdf", "render_png_pages"]

MIN_DPI, MAX_DPI = 36, 300


def layout_pages(panels: Sequence[Panel], *, columns: int = 3, rows: int | None = None,
                 page_size: str = "A4") -> list[list[Panel]]:
    """Panels grouped into pages, in order; rows per page follow from the page and the frames' aspect."""
    return paginate(panels, sheet_geometry(panels, columns, page_size, rows))


def render_pdf(
    panels: Sequence[Panel], header: SheetHeader, *, columns: int = 3, rows: int | None = None, page_size: str = "A4"
) -> bytes:
    """The sheet as a PDF document (landscape, fonts embedded, text extractable)."""
    geometry = sheet_geometry(panels, columns, page_size, rows)
    fonts = sheet_fonts()
    return paint_pdf(
        compose(panels, header, geometry, fonts),
        geometry,
        fonts,
        title=" — ".join(part for part in (header.project, header.title) if part),
        subject=f"Storyboard sheet: {len(panels)} frame{'s' if len(panels) != 1 else ''}, {AI_LABEL}",
    )


def render_png_pages(
    panels: Sequence[Panel], header: SheetHeader, *, columns: int = 3, rows: int | None = None,
    page_size: str = "A4", dpi: int = 100,
) -> list[Image.Image]:
    """The same sheet as one RGB image per page at ``dpi``."""
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not MIN_DPI <= dpi <= MAX_DPI:
        raise InvalidRequest(f"dpi must be a whole number from {MIN_DPI} to {MAX_DPI}, not {dpi!r}")
    geometry = sheet_geometry(panels, columns, page_size, rows)
    fonts = sheet_fonts()
    return paint_png(compose(panels, header, geometry, fonts), geometry, fonts, dpi=dpi)

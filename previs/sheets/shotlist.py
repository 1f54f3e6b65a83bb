"""The shot list: every shot's camera block, text and review state as a CSV table or an A4 landscape PDF.

A camera team and a producer read the same table: the CSV goes into a spreadsheet (so a cell that starts with
``= + - @``, or a tab or carriage return, is prefixed with ``'`` and is never run as a formula), the PDF is
printed. The PDF is drawn with fpdf2 and the sheets' fonts (``media.fonts.sheet_fonts``), text extractable.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from previs.media.fonts import sheet_fonts
from previs.version import __version__

COLUMNS: tuple[str, ...] = ("scene", "shot", "size", "angle", "lens", "movement", "description", "dialogue",
                            "characters", "status", "frame id")
"""The shot list's columns, in order (CSV header and PDF table head)."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Relative widths of the PDF columns: the text columns get the room.
_WIDTHS = (5, 4, 9, 9, 5, 7, 28, 22, 10, 7, 5)


@dataclass(frozen=True)
class ShotListRow:
    """One shot as the list prints it; ``lens`` is "50 mm", ``frame_id`` "" when the shot is not drawn yet."""

    scene: str
    shot: str
    size: str
    angle: str
    lens: str
    movement: str
    description: str
    dialogue: str
    characters: str
    status: str
    frame_id: str


def shot_list_csv(rows: Sequence[ShotListRow]) -> bytes:
    """UTF-8 CSV (with a BOM, so spreadsheets read the accents) with the header row first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_inert(value) for value in astuple(row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _inert(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def shot_list_pdf(rows: Sequence[ShotListRow], *, title: str) -> bytes:
    """The list as an A4 landscape table, its head repeated on every page, with the title and page numbers."""
    fonts = sheet_fonts()
    pdf = _ShotListPdf(title, orientation="landscape", unit="pt", format="A4")
    pdf.set_title(title)
    pdf.set_creator(f"previs {__version__}")
    pdf.set_subject(f"Shot list: {len(rows)} shot{'s' if len(rows) != 1 else ''}")
    with tempfile.TemporaryDirectory(prefix="previs-fonts-") as folder:
        for style, face in (("", fonts.regular), ("B", fonts.bold)):
            path = Path(folder) / f"{face.key}{face.suffix}"
            path.write_bytes(face.data)
            pdf.add_font("sheet", style, path, collection_font_number=face.collection_index or 0)
        pdf.set_margins(28, 28, 28)
        pdf.set_auto_page_break(True, margin=32)
        pdf.add_page()
        pdf.set_font("sheet", size=7.5)
        with pdf.table(col_widths=_WIDTHS, headings_style=FontFace(emphasis="BOLD", fill_color=(225, 225, 225)),
                       line_height=10, padding=2, repeat_headings=1) as table:
            table.row(COLUMNS)
            for row in rows:
                table.row(astuple(row))
        return bytes(pdf.output())


class _ShotListPdf(FPDF):
    """FPDF with the list's title on every page and "Page N of M" at the foot."""

    def __init__(self, title: str, **options: str) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.list_title = title
        self.alias_nb_pages()

    def header(self) -> None:
        self.set_font("sheet", "B", 11)
        self.cell(0, 16, self.list_title, new_x="LMARGIN", new_y="NEXT")
        self.ln(4)
        self.set_font("sheet", "", 7.5)

    def footer(self) -> None:
        self.set_y(-24)
        self.set_font("sheet", "", 7)
        self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="R")

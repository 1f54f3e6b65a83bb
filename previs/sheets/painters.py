"""Paint composed sheet pages as a PDF (fpdf2) or as PNG page images (Pillow); layout is decided upstream.

Frames go into the PDF as JPEG, quality 88, downsampled to 200 pixels per inch of their printed size (never
upsampled). Storyboard frames are photographic diffusion output, where PNG costs several times the bytes of a
JPEG that looks the same on screen and on paper; this keeps a sheet small enough to mail. The sheet is a
review copy: the lossless originals and their provenance stay in the frame store.
"""

from __future__ import annotations

import functools
import io
import tempfile
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from previs.media.fonts import Face, FontSet
from previs.sheets.layout import STROKE, Box, Drawing, Picture, SheetGeometry, TextRun
from previs.version import __version__

FRAME_PPI = 200
JPEG_QUALITY = 88


def paint_pdf(
    pages: Sequence[Sequence[Drawing]], geometry: SheetGeometry, fonts: FontSet, *, title: str, subject: str
) -> bytes:
    """The pages as one PDF document with embedded (subset) fonts and extractable text."""
    pdf = FPDF(unit="pt", format=(geometry.page_w, geometry.page_h))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(title)
    pdf.set_subject(subject)
    pdf.set_creator(f"previs {__version__}")
    pdf.set_keywords("storyboard, previs, AI-generated")
    with tempfile.TemporaryDirectory(prefix="previs-fonts-") as folder:
        for key, face in _faces(pages, fonts).items():
            path = Path(folder) / f"{key}{face.suffix}"
            path.write_bytes(face.data)
            pdf.add_font(key, "", path, collection_font_number=face.collection_index or 0)
        for page in pages:
            pdf.add_page()
            for drawing in page:
                _draw_pdf(pdf, drawing)
        return bytes(pdf.output())


def _draw_pdf(pdf: FPDF, drawing: Drawing) -> None:
    match drawing:
        case TextRun(x=x, baseline=baseline, text=text, face=face, size=size, color=color):
            pdf.set_font(face, size=size)
            pdf.set_text_color(*color)
            pdf.text(x, baseline, text)
        case Box(x=x, y=y, w=w, h=h, fill=fill, stroke=stroke):
            if fill:
                pdf.set_fill_color(*fill)
            if stroke:
                pdf.set_draw_color(*stroke)
                pdf.set_line_width(STROKE)
            pdf.rect(x, y, w, h, style=("F" if fill else "") + ("D" if stroke else ""))
        case Picture(x=x, y=y, w=w, h=h, image=image):
            pdf.image(_jpeg(image, w, h), x, y, w, h)


def _jpeg(image: Image.Image, width_pt: float, height_pt: float) -> io.BytesIO:
    """The frame as a JPEG no larger than FRAME_PPI at its printed size."""
    rgb = image.convert("RGB")
    target = (max(1, round(width_pt / 72 * FRAME_PPI)), max(1, round(height_pt / 72 * FRAME_PPI)))
    if rgb.width > target[0]:
        rgb = rgb.resize(target, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    buffer.seek(0)
    return buffer


def paint_png(
    pages: Sequence[Sequence[Drawing]], geometry: SheetGeometry, fonts: FontSet, *, dpi: int
) -> list[Image.Image]:
    """The pages as RGB images at ``dpi``."""
    painter = _PngPainter(_faces(pages, fonts), dpi / 72)
    size = (round(geometry.page_w * painter.scale), round(geometry.page_h * painter.scale))
    return [painter.paint(page, size) for page in pages]


class _PngPainter:
    """Draws pages with Pillow at ``scale`` pixels per point, caching one FreeType font per face and size."""

    def __init__(self, faces: dict[str, Face], scale: float) -> None:
        self.faces = faces
        self.scale = scale
        self.font = functools.cache(self._load_font)

    def paint(self, page: Sequence[Drawing], size: tuple[int, int]) -> Image.Image:
        sheet = Image.new("RGB", size, "white")
        draw = ImageDraw.Draw(sheet)
        for drawing in page:
            match drawing:
                case TextRun():
                    self._text(draw, drawing)
                case Box(fill=fill, stroke=stroke):
                    width = max(1, round(STROKE * self.scale)) if stroke else 0
                    draw.rectangle(_pixels(drawing, self.scale), fill=fill, outline=stroke, width=width)
                case Picture(image=image):
                    left, top, right, bottom = _pixels(drawing, self.scale)
                    size = (right - left + 1, bottom - top + 1)
                    sheet.paste(image.convert("RGB").resize(size, Image.Resampling.LANCZOS), (left, top))
        return sheet

    def _text(self, draw: ImageDraw.ImageDraw, run: TextRun) -> None:
        """Glyph by glyph at the advances layout measured, as in the PDF.

        Drawing the run whole would use hinted whole-pixel advances, which drift a few pixels per line and
        push right-aligned and full-width lines past their edge.
        """
        font = self.font(run.face, run.size)
        advances = self.faces[run.face].advances
        x, y = run.x * self.scale, run.baseline * self.scale
        for char in run.text:
            if not char.isspace():
                draw.text((x, y), char, font=font, fill=run.color, anchor="ls")
            x += advances[ord(char)] * run.size * self.scale

    def _load_font(self, key: str, size: float) -> ImageFont.FreeTypeFont:
        face = self.faces[key]
        index = face.collection_index or 0
        return ImageFont.truetype(io.BytesIO(face.data), size * self.scale, index=index)


def _pixels(drawing: Box | Picture, scale: float) -> tuple[int, int, int, int]:
    """Inclusive pixel rectangle of a drawing, at least one pixel each way so hairline rules stay visible."""
    left, top = round(drawing.x * scale), round(drawing.y * scale)
    right = max(left, round((drawing.x + drawing.w) * scale) - 1)
    bottom = max(top, round((drawing.y + drawing.h) * scale) - 1)
    return left, top, right, bottom


def _faces(pages: Sequence[Sequence[Drawing]], fonts: FontSet) -> dict[str, Face]:
    texts = [drawing for page in pages for drawing in page if isinstance(drawing, TextRun)]
    return fonts.faces((text.face, text.text) for text in texts)

"""Unicode fonts for printed material, found without network, and a last-resort font so no character is lost.

fpdf2's core fonts (Helvetica, ...) are Latin-1 only, and screenplays carry curly quotes, em dashes and
names in any script, so sheets embed a TrueType font. The primary family is the first one found of:

1. DejaVu Sans, from the OS (Debian/Ubuntu ``fonts-dejavu-core``, Fedora, Arch, Alpine) or matplotlib's
   bundled copy: Latin, Greek, Cyrillic, Hebrew, Arabic, typographic punctuation and symbols.
2. Bitstream Vera, shipped inside reportlab, which every previs install has (``screenplain`` depends on it):
   Latin-1 plus typographic punctuation, so a pip-only machine still renders ordinary screenplay text.

Neither covers CJK; Noto Sans CJK, Droid Sans Fallback or WenQuanYi are used per character when installed.
A character no font has is drawn with a font generated on the fly whose glyphs are hollow boxes: the sheet
shows where a glyph is missing, while the PDF's text layer still carries the real character, so names stay
searchable and copyable instead of silently vanishing.

Text is measured from each font's own advance widths (no kerning, no shaping), which is exactly how fpdf2 sets
text and close to Pillow's basic layout, so wrapping decided once fits both the PDF and the PNG pages.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph

from previs.errors import PrevisError

REGULAR = "regular"
BOLD = "bold"
MISSING = "missing"

_OS_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
)
_CJK_FALLBACKS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", None),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)
# Advance widths of the generated box glyphs, in em.
_BOX_NARROW, _BOX_WIDE = 0.6, 1.0
_BOX_UPEM = 1000


@dataclass(frozen=True, eq=False)
class Face:
    """One font file: its bytes (to embed or rasterise) and advance widths in em (to measure)."""

    key: str
    data: bytes
    advances: Mapping[int, float]
    collection_index: int | None = None

    @classmethod
    def load(cls, key: str, path: Path, collection_index: int | None = None) -> Face:
        """Read a .ttf/.otf (or one face of a .ttc collection) and index its character widths."""
        data = path.read_bytes()
        font = TTFont(io.BytesIO(data), fontNumber=-1 if collection_index is None else collection_index)
        units = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        advances = {code: metrics[glyph][0] / units for code, glyph in font.getBestCmap().items()}
        return cls(key, data, advances, collection_index)

    @property
    def suffix(self) -> str:
        """File extension fpdf2 needs to accept the font."""
        return ".ttc" if self.collection_index is not None else ".ttf"


@dataclass(frozen=True)
class FontSet:
    """A regular and a bold face plus per-character fallbacks; splits text into runs and measures it."""

    regular: Face
    bold: Face
    fallbacks: tuple[Face, ...] = ()

    def runs(self, text: str, *, bold: bool = False) -> list[tuple[str, str]]:
        """Split ``text`` into ``(face key, text)`` runs, each drawn by the first face that has its glyphs."""
        runs: list[tuple[str, str]] = []
        for char in text:
            face = self._face_for(char, bold)
            key = face.key if face else MISSING
            if runs and runs[-1][0] == key:
                runs[-1] = (key, runs[-1][1] + char)
            else:
                runs.append((key, char))
        return runs

    def width(self, text: str, size: float, *, bold: bool = False) -> float:
        """Advance width of ``text`` at ``size`` points, in points."""
        total = 0.0
        for char in text:
            face = self._face_for(char, bold)
            total += face.advances[ord(char)] if face else _box_advance(char)
        return size * total

    def faces(self, runs: Iterable[tuple[str, str]]) -> dict[str, Face]:
        """The faces ``runs`` use, by key; the missing-glyph font is made for just the characters it draws."""
        by_key = {face.key: face for face in (self.regular, self.bold, *self.fallbacks)}
        used: dict[str, Face] = {}
        missing: set[str] = set()
        for key, text in runs:
            if key == MISSING:
                missing.update(text)
            else:
                used[key] = by_key[key]
        if missing:
            used[MISSING] = missing_glyph_face(missing)
        return used

    def _face_for(self, char: str, bold: bool) -> Face | None:
        """The first face with a glyph for ``char``; None when only the missing-glyph font can draw it."""
        code = ord(char)
        for face in (self.bold if bold else self.regular, self.regular, *self.fallbacks):
            if code in face.advances:
                return face
        return None


def _box_advance(char: str) -> float:
    """Advance width in em of the generated box glyph: full width for East Asian wide characters."""
    return _BOX_WIDE if unicodedata.east_asian_width(char) in "WF" else _BOX_NARROW


def missing_glyph_face(chars: Iterable[str]) -> Face:
    """A generated TrueType font drawing ``chars`` as hollow boxes: missing glyphs show yet still extract."""
    advances = {ord(char): _box_advance(char) for char in chars}
    glyph_names = {_BOX_NARROW: "box.narrow", _BOX_WIDE: "box.wide"}
    builder = FontBuilder(_BOX_UPEM, isTTF=True)
    builder.setupGlyphOrder([".notdef", *glyph_names.values()])
    builder.setupCharacterMap({code: glyph_names[em] for code, em in advances.items()})
    widths = {".notdef": _BOX_NARROW} | {name: em for em, name in glyph_names.items()}
    builder.setupGlyf({name: _box_glyph(em) for name, em in widths.items()})
    builder.setupHorizontalMetrics({name: (round(em * _BOX_UPEM), 60) for name, em in widths.items()})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "previs missing glyph", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    buffer = io.BytesIO()
    builder.save(buffer)
    return Face(MISSING, buffer.getvalue(), advances)


def _box_glyph(em: float) -> Glyph:
    """A hollow rectangle from just below the baseline to cap height, inset within the advance width."""
    pen = TTGlyphPen(None)
    left, right, bottom, top, stroke = 60, round(em * _BOX_UPEM) - 60, -60, 740, 50
    _rectangle(pen, (left, bottom), (left, top), (right, top), (right, bottom))  # outer contour: clockwise
    inner = (left + stroke, bottom + stroke), (right - stroke, top - stroke)
    _rectangle(pen, inner[0], (inner[1][0], inner[0][1]), inner[1], (inner[0][0], inner[1][1]))  # the hole
    return pen.glyph()


def _rectangle(pen: TTGlyphPen, *corners: tuple[int, int]) -> None:
    pen.moveTo(corners[0])
    for corner in corners[1:]:
        pen.lineTo(corner)
    pen.closePath()


def load_font_set(
    families: Iterable[tuple[Path, Path]], fallbacks: Iterable[tuple[Path, int | None]] = ()
) -> FontSet:
    """Build a FontSet from the first existing ``(regular, bold)`` family and every existing fallback file."""
    for regular, bold in families:
        if regular.is_file():
            regular_face = Face.load(REGULAR, regular)
            bold_face = Face.load(BOLD, bold) if bold.is_file() else regular_face
            extra = tuple(
                Face.load(f"fallback{number}", path, index)
                for number, (path, index) in enumerate((p, i) for p, i in fallbacks if p.is_file())
            )
            return FontSet(regular_face, bold_face, extra)
    raise PrevisError(
        "no Unicode TrueType font found for sheets: install the 'fonts-dejavu-core' package or reinstall "
        "previs so that reportlab (a screenplain dependency) is present"
    )


@functools.cache
def sheet_fonts() -> FontSet:
    """The FontSet found on this machine (looked up once per process; fonts don't move while running)."""
    return load_font_set(_candidate_families(), [(Path(path), index) for path, index in _CJK_FALLBACKS])


def _candidate_families() -> list[tuple[Path, Path]]:
    dejavu_dirs = [Path(folder) for folder in _OS_FONT_DIRS]
    matplotlib_dir = _package_dir("matplotlib")
    if matplotlib_dir:
        dejavu_dirs.append(matplotlib_dir / "mpl-data" / "fonts" / "ttf")
    families = [(folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf") for folder in dejavu_dirs]
    reportlab_dir = _package_dir("reportlab")
    if reportlab_dir:
        families.append((reportlab_dir / "fonts" / "Vera.ttf", reportlab_dir / "fonts" / "VeraBd.ttf"))
    return families


def _package_dir(name: str) -> Path | None:
    """Where an installed package lives, found without importing it (matplotlib's import is slow)."""
    spec = importlib.util.find_spec(name)
    return Path(spec.origin).parent if spec and spec.origin else None

"""Active content in consent evidence documents: what a lawyer's PDF or a typed note must never carry.

Evidence is opened later by producers and lawyers, in PDF readers and browsers, so a document that can act
when opened is refused: a PDF with JavaScript, launch or submit actions, embedded files, rich media or XFA
forms, or with bytes after its last end-of-file marker (a ZIP or a script appended to a real PDF); text that
is a script (``#!``) or web markup. PDF names are compared after their ``#xx`` escapes are decoded, and
Flate-compressed streams (object streams included) are inflated, within a budget, and searched too.
Not covered: names hidden behind other stream filters (ASCII85, LZW) — such a PDF is refused only if it
also trips one of the checks above.
"""

from __future__ import annotations

import re
import zlib

_ACTIVE_NAMES = frozenset({"JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia", "XFA",
                           "SubmitForm", "ImportData", "GoToE"})
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_MARKUP = re.compile(r"<\s*(script|html|!doctype|\?php|svg|iframe|object|embed|body|head|meta|style|link|form|img"
                     r"|a\s+href)\b|javascript:", re.IGNORECASE)
INFLATE_BUDGET = 100_000_000  # bytes all of a PDF's streams may inflate to: more is a compression bomb


def pdf_problem(content: bytes) -> str | None:
    """Why this PDF may not be kept as evidence, or None."""
    if not content.rstrip().endswith(b"%%EOF"):
        return ("has data after its end-of-file marker (something appended to the PDF) or no end-of-file "
                "marker at all; upload the document as the signing software saved it")
    names = set(_names(content))
    budget = INFLATE_BUDGET
    for match in _PDF_STREAM.finditer(content):
        inflated = _inflate(match.group(1), budget)
        if inflated is None:
            continue
        budget -= len(inflated)
        if budget <= 0:
            return "inflates to more than 100 MB (a compression bomb); upload a plain scan instead"
        names.update(_names(inflated))
    active = sorted(names & _ACTIVE_NAMES)
    if active:
        return (f"carries active content ({', '.join('/' + name for name in active)}), which could run when "
                "someone opens it; print it to a flat PDF or scan it, then upload that")
    return None


def text_problem(text: str) -> str | None:
    """Why this plain text may not be kept as evidence, or None."""
    if text.lstrip("\ufeff").startswith("#!"):
        return "is a script, not a document; upload the signed release (PDF, PNG, JPEG or its plain text)"
    if _MARKUP.search(text):
        return ("contains web markup or script, which could run when opened in a browser; upload the release "
                "as PDF, an image, or text without markup")
    return None


def _names(data: bytes) -> list[str]:
    """The PDF names in ``data``, ``#xx`` escapes decoded (``/J#61vaScript`` is ``/JavaScript``)."""
    return [_NAME_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), raw).decode("latin-1")
            for raw in _PDF_NAME.findall(data)]


def _inflate(data: bytes, budget: int) -> bytes | None:
    """``data`` inflated (at most ``budget`` + 1 bytes, so a bomb stops early), or None when it is not Flate."""
    try:
        return zlib.decompressobj().decompress(data, max(budget, 0) + 1)
    except zlib.error:
        return None

"""Raw upload bytes → Screenplay, refusing what is not a Fountain text file with a message that says why.

Checks run cheapest first, and the size check runs before anything reads the content, so a 50 MB upload
costs nothing to refuse.
"""

from __future__ import annotations

import codecs

from previs.errors import ScriptImportError
from previs.scenes.fountain import parse_fountain
from previs.scenes.model import Screenplay

_EXPORT_HINT = "export the script from your screenwriting app as Fountain (.fountain, plain UTF-8 text)"
_SIGNATURES = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP archive (a .docx, .highland or other packaged document)",
    b"\xd0\xcf\x11\xe0": "an old Microsoft Office document (.doc)",
    b"{\\rtf": "an RTF document",
}
_SNIFF_BYTES = 8192
_MAX_CONTROL_SHARE = 0.05
_TEXT_CONTROLS = frozenset(b"\t\n\r\f")


def load_screenplay(data: bytes, *, max_bytes: int = 5_000_000) -> Screenplay:
    """Validate and parse an uploaded Fountain file; raise ScriptImportError saying what is wrong.

    A UTF-8 byte order mark is accepted. Refused: more than ``max_bytes``, empty, binary (NUL bytes or
    many control characters), known non-Fountain formats (PDF, Word, RTF, Final Draft), text that is not
    UTF-8 (the message gives the byte offset), and scripts with no scene headings.
    """
    if len(data) > max_bytes:
        raise ScriptImportError(
            f"The file is {len(data) / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit for a "
            f"screenplay. Check this is the script itself; if it is, {_EXPORT_HINT} without embedded images."
        )
    if not data.strip():
        raise ScriptImportError(f"The file is empty. Choose the screenplay file again, or {_EXPORT_HINT}.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ScriptImportError(
            "The file is UTF-16 text. Re-save it as UTF-8 plain text and upload it again."
        )
    kind = next((name for magic, name in _SIGNATURES.items() if data.startswith(magic)), None)
    if kind or _looks_binary(data[:_SNIFF_BYTES]):
        raise ScriptImportError(f"The file is {kind or 'binary, not text'}. To import it, {_EXPORT_HINT}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ScriptImportError(
            f"The file is not UTF-8: byte 0x{data[err.start]:02X} at offset {err.start} (line {line}) is "
            "invalid. It was probably saved as Latin-1 or Windows-1252; re-save it as UTF-8 in your editor "
            "and upload it again."
        ) from None
    if "<FinalDraft" in text[:_SNIFF_BYTES]:
        raise ScriptImportError(f"The file is a Final Draft (.fdx) document. To import it, {_EXPORT_HINT}.")
    return parse_fountain(text)


def _looks_binary(sample: bytes) -> bool:
    """NUL bytes, or more than a few control characters, mean this is no text file."""
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in _TEXT_CONTROLS)
    return b"\x00" in sample or controls > _MAX_CONTROL_SHARE * len(sample)

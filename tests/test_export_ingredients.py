"""Issue #18 item 6: a JPEG export is a derived manifest with the frame's PNG manifest as its parent."""

from __future__ import annotations

import io
import json
from pathlib import Path

import c2pa

from previs.app.requests import FrameRequest
from previs.app.studio import Studio


def test_a_jpeg_export_names_the_png_manifest_as_parent(studio: Studio) -> None:
    frame = studio.frames.generate(FrameRequest("quay at night", seed=5, width=64, height=64),
                                   actor=studio.local_actor)[0]
    png = Path(frame.path).read_bytes()
    with c2pa.Reader("image/png", io.BytesIO(png)) as reader:
        png_manifest = json.loads(reader.json())["active_manifest"]
    exported = studio.provenance.export(frame.id, image_format="jpeg", actor=studio.local_actor)
    with c2pa.Reader("image/jpeg", io.BytesIO(exported.data)) as reader:
        store = json.loads(reader.json())
    manifest = store["manifests"][store["active_manifest"]]
    [parent] = manifest["ingredients"]
    assert parent["relationship"] == "parentOf" and parent["active_manifest"] == png_manifest
    assert png_manifest in store["manifests"]
    actions = [a["action"] for x in manifest["assertions"] if x["label"].startswith("c2pa.actions")
               for a in x["data"]["actions"]]
    assert actions == ["c2pa.opened", "c2pa.transcoded"]
    assert studio.provenance.verify(exported.data, actor=studio.local_actor).status == "verified"

"""Issue #18 item 6: a fitting board's variant ingredients are the variants' signed files, manifests and all."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import c2pa

from previs.access.permissions import Actor, Role
from previs.app.studio import Studio
from previs.fitting.request import FittingRequest

DESIGNER = Actor("cole", Role.COSTUME_DESIGNER)


def test_a_board_names_each_variants_signed_manifest_and_file_digest(studio: Studio) -> None:
    result = studio.fittings.fit(FittingRequest("tailcoat", region="headwear", variants=2, seed=3),
                                project="Ballroom", actor=DESIGNER)
    variant_manifests = []
    for variant in result.variants:
        with c2pa.Reader("image/png", io.BytesIO(Path(variant.path).read_bytes())) as reader:
            variant_manifests.append(json.loads(reader.json())["active_manifest"])
    with c2pa.Reader("image/png", io.BytesIO(Path(result.board.path).read_bytes())) as reader:
        store = json.loads(reader.json())
    ingredients = store["manifests"][store["active_manifest"]]["ingredients"]
    by_title = {item["title"]: item for item in ingredients}
    assert [by_title[f"variant {i}"].get("active_manifest") for i in (1, 2)] == variant_manifests
    assert all(manifest in store["manifests"] for manifest in variant_manifests)

    recorded = {item["title"]: item["sha256"] for item in result.board.record.to_json()["inputs"]
                if item["role"] == "variant"}
    stored = [hashlib.sha256(Path(variant.path).read_bytes()).hexdigest() for variant in result.variants]
    assert [recorded["variant 1"], recorded["variant 2"]] == stored == [v.file_sha256 for v in result.variants]
    assert studio.provenance.verify(Path(result.board.path).read_bytes(), actor=studio.local_actor).status \
        == "verified"

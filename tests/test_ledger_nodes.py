"""Issue #18: the ledger's Merkle nodes are persisted with the entries (a fresh process proves from O(log n)
nodes), and an older ledger without them is backfilled on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from previs.app.requests import FrameRequest
from previs.app.studio import open_studio
from previs.generation.generator import Generator
from previs.provenance import merkle
from previs.settings import Settings


def nodes(home: Path) -> list[tuple[int, int, str]]:
    with sqlite3.connect(home / "previs.db") as connection:
        return connection.execute("SELECT level, position, hash FROM ledger_nodes ORDER BY level, position").fetchall()


def test_nodes_are_written_with_the_entries_and_backfilled_for_an_older_ledger(settings: Settings,
                                                                               tiny_generator: Generator) -> None:
    studio = open_studio(settings, generator=tiny_generator)
    frames = studio.frames.generate(FrameRequest("quay at night", seed=5, width=64, height=64, count=3),
                                    actor=studio.local_actor)
    studio.provenance.export(frames[0].id, image_format="jpeg", actor=studio.local_actor)  # a 4th entry
    proof = studio.provenance.verify(Path(frames[2].path).read_bytes(), actor=studio.local_actor).log_inclusion
    studio.close()
    written = nodes(settings.home)
    assert [(level, position) for level, position, _ in written] == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1),
                                                                     (2, 0)]
    assert proof is not None and proof["verified"] and proof["tree_size"] == 4
    assert written[-1][2] == proof["root_hash"]
    leaves = [bytes.fromhex(digest) for level, _, digest in written if level == 0]
    assert merkle.root(leaves).hex() == proof["root_hash"]

    with sqlite3.connect(settings.home / "previs.db") as connection:  # a ledger written before 0012
        connection.execute("DELETE FROM ledger_nodes")
    studio = open_studio(settings, generator=tiny_generator)
    assert nodes(settings.home) == written, "backfilled on open, node for node"
    again = studio.provenance.verify(Path(frames[2].path).read_bytes(), actor=studio.local_actor).log_inclusion
    assert again is not None and again["root_hash"] == proof["root_hash"] and again["verified"]
    assert studio.provenance.verify_ledger(actor=studio.local_actor).ok
    studio.close()

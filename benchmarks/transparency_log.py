"""The ledger as a transparency log at 100,000 entries: append, inclusion proof, consistency proof, checkpoint.

    .venv/bin/python -m benchmarks.transparency_log
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.harness import Table, parse, parser, per_call, report
from previs.provenance import checkpoint, merkle
from previs.provenance.checkpoint import Checkpoint
from previs.provenance.identity import load_or_create_identity
from previs.provenance.ledger import LedgerEntry, leaf_bytes, make_entry


def _entries(count: int) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    for index in range(count):
        digest = hashlib.sha256(str(index).encode()).hexdigest()
        entries.append(make_entry(entries[-1] if entries else None, frame_sha256=digest, pixel_sha256=digest,
                                  record_sha256=digest, created_at="2026-01-01T00:00:00+00:00"))
    return entries


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--entries", type=int, default=100_000, help="ledger entries in the log")
    parsed = parse(arguments, argv)
    entries = _entries(parsed.entries)
    started = time.perf_counter()
    tree = merkle.tree_of([merkle.leaf_hash(leaf_bytes(entry, index + 1)) for index, entry in enumerate(entries)])
    build = time.perf_counter() - started
    size, root = tree.size, tree.root()
    identity = load_or_create_identity(Path(tempfile.mkdtemp()) / "signing")
    middle = size // 2

    def prove() -> bool:
        proof = merkle.inclusion_proof(middle, size, tree.subtree)
        note = checkpoint.sign(Checkpoint("previs/bench", size, tree.root()), identity)
        kept = checkpoint.parse(note, identity)
        return merkle.verify_inclusion(middle, size, tree.levels[0][middle], proof, kept.root)

    rows = Table(["operation at " + f"{size:,} entries", "ms"])
    rows.add("build the tree from every row's leaf (a process's first proof)", build * 1e3)
    rows.add("root", per_call(tree.root, parsed.runs, 200) * 1e3)
    rows.add("inclusion proof + signed checkpoint + both checked", per_call(prove, parsed.runs, 20) * 1e3)
    rows.add("consistency proof from half the log, checked",
             per_call(lambda: merkle.verify_consistency(middle, size, tree.root(middle), root,
                                                        merkle.consistency_proof(middle, size, tree.subtree)),
                      parsed.runs, 50) * 1e3)
    rows.add("checkpoint: sign", per_call(lambda: checkpoint.sign(Checkpoint("previs/bench", size, root), identity),
                                          parsed.runs, 20) * 1e3)
    assert prove()
    notes = ["Pure functions of `previs/provenance/merkle.py` and `checkpoint.py` (ECDSA P-256), the tree held in "
             "memory level by level as `LogKeeper` (`previs/app/transparency.py`) holds it; a process reads the "
             "rows once (build), then only new rows. Reading 100,000 rows from the database for that first build "
             "is not included."]
    return report("transparency_log", "Transparency log", [("", rows)], notes, arguments=parsed)


if __name__ == "__main__":
    main()

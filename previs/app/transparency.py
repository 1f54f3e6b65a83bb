"""The ledger as a transparency log: its rows are the leaves of an RFC 9162 Merkle tree, checkpoints signed.

The recorder keeps the signed checkpoint of the committed log in ``ledger.checkpoint`` beside ``ledger.head``
(both written under ``ledger.head.lock``). ``LogKeeper`` keeps the tree's right edge in memory, so each append
reads only the new rows and hashes O(log n); audits (``ledger verify``) and proofs recompute from every row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from previs.errors import InvalidRequest
from previs.provenance import checkpoint, merkle
from previs.provenance.checkpoint import Checkpoint
from previs.provenance.identity import SigningIdentity
from previs.provenance.ledger import ChainProblem, LedgerEntry, leaf_bytes
from previs.storage import Database
from previs.storage.tables import LedgerRow

CHECKPOINT_FILE = "ledger.checkpoint"


def ledger_entry(row: LedgerRow) -> LedgerEntry:
    return LedgerEntry(sequence=row.sequence, frame_sha256=row.frame_sha256, pixel_sha256=row.pixel_sha256,
                       record_sha256=row.record_sha256, created_at=row.created_at, prev_hash=row.prev_hash,
                       entry_hash=row.entry_hash)


def row_leaf(row: LedgerRow) -> bytes:
    """The leaf hash of a stored row, recomputed from its fields (frame id included)."""
    return merkle.leaf_hash(leaf_bytes(ledger_entry(row), row.frame_id))


def leaves(rows: Sequence[LedgerRow]) -> list[bytes]:
    return [row_leaf(row) for row in rows]


class LogKeeper:
    """Signs checkpoints of the studio's log; one per recorder."""

    def __init__(self, database: Database, identity: SigningIdentity, origin: str):
        self.database = database
        self.identity = identity
        self.origin = origin
        self._tree = merkle.Tree()

    def current(self) -> merkle.Tree:
        """The tree of every committed row as this process appended or read it (reads only the new rows)."""
        with self.database.unit_of_work() as work:
            for row in work.ledger.after(self._tree.size):
                self._tree.append(row_leaf(row))
        return self._tree

    def signed_current(self) -> str:
        """The signed checkpoint of every committed row."""
        tree = self.current()
        return checkpoint.sign(Checkpoint(self.origin, tree.size, tree.root()), self.identity)

    def inclusion(self, sequence: int) -> dict[str, Any]:
        """Entry ``sequence``'s leaf, its RFC 9162 audit path and the signed checkpoint it is proven against."""
        tree = self.current()
        index = sequence - 1
        note = checkpoint.sign(Checkpoint(self.origin, tree.size, tree.root()), self.identity)
        proof = merkle.inclusion_proof(index, tree.size, tree.subtree)
        leaf = tree.levels[0][index]
        return {"log_origin": self.origin, "leaf_index": index, "tree_size": tree.size,
                "leaf_hash": leaf.hex(), "root_hash": tree.root().hex(), "audit_path": [node.hex() for node in proof],
                "checkpoint": note,
                "verified": merkle.verify_inclusion(index, tree.size, leaf, proof, tree.root())}

    def check_carried(self, claim: Mapping[str, Any]) -> dict[str, Any]:
        """An export's carried ``previs.log-inclusion`` claim, checked: the checkpoint signed by the studio's key
        for this log, its size and root the claim's, the audit path proving the leaf under that root, and the
        leaf still today's leaf at that index. ``detail`` names the first thing that does not hold."""
        index = claim.get("leaf_index")
        report: dict[str, Any] = {"leaf_index": index, "tree_size": claim.get("tree_size")}
        try:
            kept = self.parse(str(claim.get("checkpoint", "")), what="the export's log checkpoint")
            index, size = int(claim["leaf_index"]), int(claim["tree_size"])
            leaf, root = bytes.fromhex(claim["leaf_hash"]), bytes.fromhex(claim["root_hash"])
            path = [bytes.fromhex(node) for node in claim["audit_path"]]
        except InvalidRequest as error:
            return {**report, "verified": False, "detail": str(error)}
        except (KeyError, TypeError, ValueError):
            return {**report, "verified": False, "detail": "the export's log-inclusion claim is malformed (leaf "
                                                           "index, tree size, hex hashes and audit path expected)"}
        tree = self.current()
        if (kept.size, kept.root) != (size, root):
            detail = "its tree size and root hash are not those of the signed checkpoint it carries"
        elif not merkle.verify_inclusion(index, size, leaf, path, root):
            detail = (f"its audit path does not prove leaf {index} in the signed tree of {size} entries: the proof "
                      "was forged or damaged")
        elif not 0 <= index < tree.size or tree.levels[0][index] != leaf:
            detail = f"the proven leaf is not entry {index + 1} of today's log (the log was rewritten)"
        else:
            return {**report, "verified": True,
                    "detail": f"entry {index + 1} is proven in the signed checkpoint of {size} entries"}
        return {**report, "verified": False, "detail": detail}

    def signed_at(self, size: int) -> str:
        """The signed checkpoint of the first ``size`` rows (recovery adopting a dead writer's head)."""
        with self.database.unit_of_work() as work:
            hashes = leaves(work.ledger.all())
        return checkpoint.sign(Checkpoint(self.origin, size, merkle.root(hashes[:size])), self.identity)

    def parse(self, note: str, *, what: str) -> Checkpoint:
        kept = checkpoint.parse(note, self.identity, what=what)
        if kept.origin != self.origin:
            raise InvalidRequest(f"{what} is for the log {kept.origin!r}, not this studio's {self.origin!r}")
        return kept


@dataclass(frozen=True)
class Extension:
    """Whether today's log extends a checkpoint, with the RFC 9162 consistency proof that shows it."""

    ok: bool
    detail: str
    old_size: int
    size: int
    proof: tuple[str, ...]  # hex


def extends(kept: Checkpoint, hashes: Sequence[bytes]) -> Extension:
    """Prove with a consistency proof that the tree over ``hashes`` extends the checkpoint ``kept``."""
    tree = merkle.tree_of(hashes)
    size, new_root = tree.size, tree.root()
    if kept.size > size:
        return Extension(False, f"the checkpoint has {kept.size} entries but the log only {size}: its tail "
                                f"(entries {size + 1}..{kept.size}) was cut off", kept.size, size, ())
    if kept.size == 0:
        return Extension(True, f"an empty checkpoint; the log has {size} entries", 0, size, ())
    proof = merkle.consistency_proof(kept.size, size, tree.subtree)
    if not merkle.verify_consistency(kept.size, size, kept.root, new_root, proof):
        return Extension(False, f"the log's first {kept.size} entries no longer hash to the checkpoint's root: "
                                "an entry was rewritten, removed or reordered since it was signed",
                         kept.size, size, tuple(node.hex() for node in proof))
    return Extension(True, f"the log ({size} entries) extends the checkpoint of {kept.size} entries",
                     kept.size, size, tuple(node.hex() for node in proof))


def check_kept(note: str | None, head_sequence: int, rows: Sequence[LedgerRow], keeper: LogKeeper
               ) -> list[ChainProblem]:
    """The kept signed checkpoint against the rows and the kept head: missing, forged, behind the head, cut
    tail or rewritten entry, each named. The recorder signs it before writing the head, so it is never
    legitimately behind the head."""
    last = rows[-1].sequence if rows else 0
    if note is None:
        if not rows:
            return []
        return [ChainProblem(last, "checkpoint", f"the signed checkpoint {CHECKPOINT_FILE} is missing while the "
                                                 f"ledger holds {len(rows)} entries: it was deleted")]
    try:
        kept = keeper.parse(note, what=f"the kept {CHECKPOINT_FILE}")
    except InvalidRequest as error:
        return [ChainProblem(last, "checkpoint", str(error))]
    if kept.size < head_sequence:
        return [ChainProblem(kept.size + 1, "checkpoint", f"the kept head names entry {head_sequence} but the "
                                                          f"signed checkpoint covers only {kept.size} entries: "
                                                          "entries were added and the head rewritten without "
                                                          "the studio's key")]
    extension = extends(kept, leaves(rows))
    return [] if extension.ok else [ChainProblem(min(kept.size, last + 1), "checkpoint", extension.detail)]

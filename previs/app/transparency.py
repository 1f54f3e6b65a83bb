"""The ledger as a transparency log: its rows are the leaves of an RFC 9162 Merkle tree, checkpoints signed.

The recorder keeps the signed checkpoint of the committed log in ``ledger.checkpoint`` beside ``ledger.head``
(both written under ``ledger.head.lock``). The tree's nodes are persisted in ``ledger_nodes``, written by
``LogKeeper.record`` in the transaction that appends the entries (the recorder's commit) and backfilled on open
for older ledgers, so a proof or checkpoint reads only the O(log n) nodes it needs, in any process. Audits
(``ledger verify``) still recompute from every row: the nodes are a cache of the rows, never trusted over them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from previs.errors import InvalidRequest
from previs.provenance import checkpoint, merkle
from previs.provenance.checkpoint import Checkpoint
from previs.provenance.identity import SigningIdentity
from previs.provenance.ledger import ChainProblem, LedgerEntry, leaf_bytes
from previs.storage import Database, UnitOfWork
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


class LogTree(Protocol):
    """A Merkle tree as proofs read it: in memory (``merkle.Tree``) or persisted (``StoredTree``)."""

    @property
    def size(self) -> int: ...

    def leaf(self, index: int) -> bytes: ...

    def subtree(self, start: int, end: int) -> bytes: ...

    def root(self, size: int | None = None) -> bytes: ...


@dataclass(frozen=True)
class StoredTree:
    """The first ``size`` leaves' tree as persisted in ``ledger_nodes``, read node by node (O(log n) a proof)."""

    perfect: merkle.Perfect
    size: int

    def leaf(self, index: int) -> bytes:
        return self.perfect(0, index)

    def subtree(self, start: int, end: int) -> bytes:
        return merkle.subtree_of(self.perfect, start, end)

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        return merkle.EMPTY_ROOT if size == 0 else self.subtree(0, size)


class LogKeeper:
    """Signs checkpoints of the studio's log and keeps its persisted tree; one per recorder."""

    def __init__(self, database: Database, identity: SigningIdentity, origin: str):
        self.database = database
        self.identity = identity
        self.origin = origin
        self._tree = merkle.Tree()  # only for a ledger whose nodes are not persisted (a read-only old snapshot)

    def record(self, work: UnitOfWork, entry: LedgerEntry, frame_id: int | None) -> None:
        """Persist an appended entry's leaf and the nodes it completes, in the appending transaction."""
        self._persist(work, [(entry.sequence - 1, merkle.leaf_hash(leaf_bytes(entry, frame_id)))])

    def backfill(self) -> None:
        """On open: persist the nodes of entries appended before ``ledger_nodes`` existed."""
        with self.database.unit_of_work(serialised=True) as work:
            self._persist(work, [(row.sequence - 1, row_leaf(row))
                                 for row in work.ledger.after(work.ledger_nodes.leaf_count())])

    @staticmethod
    def _persist(work: UnitOfWork, leaves: Sequence[tuple[int, bytes]]) -> None:
        added: dict[tuple[int, int], bytes] = {}

        def perfect(level: int, position: int) -> bytes:
            return added.get((level, position)) or work.ledger_nodes.get(level, position)

        for index, leaf in leaves:
            added.update({(level, position): digest
                          for level, position, digest in merkle.completed_nodes(index, leaf, perfect)})
        work.ledger_nodes.add_many([(level, position, digest) for (level, position), digest in added.items()])

    def _tree_in(self, work: UnitOfWork) -> LogTree:
        """The tree of every committed row: the persisted one, else (nodes not backfilled: a read-only snapshot
        of an older ledger) the rows hashed in memory, reading only rows this process has not read yet."""
        last = work.ledger.last()
        size = 0 if last is None else last.sequence
        if work.ledger_nodes.leaf_count() == size:
            return StoredTree(work.ledger_nodes.get, size)
        for row in work.ledger.after(self._tree.size):
            self._tree.append(row_leaf(row))
        return self._tree

    def signed_current(self) -> str:
        """The signed checkpoint of every committed row."""
        with self.database.unit_of_work() as work:
            tree = self._tree_in(work)
            return checkpoint.sign(Checkpoint(self.origin, tree.size, tree.root()), self.identity)

    def inclusion(self, sequence: int) -> dict[str, Any]:
        """Entry ``sequence``'s leaf, its RFC 9162 audit path and the signed checkpoint it is proven against."""
        index = sequence - 1
        with self.database.unit_of_work() as work:
            tree = self._tree_in(work)
            size, root, leaf = tree.size, tree.root(), tree.leaf(index)
            proof = merkle.inclusion_proof(index, size, tree.subtree)
        note = checkpoint.sign(Checkpoint(self.origin, size, root), self.identity)
        return {"log_origin": self.origin, "leaf_index": index, "tree_size": size,
                "leaf_hash": leaf.hex(), "root_hash": root.hex(), "audit_path": [node.hex() for node in proof],
                "checkpoint": note, "verified": merkle.verify_inclusion(index, size, leaf, proof, root)}

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
        with self.database.unit_of_work() as work:
            tree = self._tree_in(work)
            today = tree.leaf(index) if 0 <= index < tree.size else None
        if (kept.size, kept.root) != (size, root):
            detail = "its tree size and root hash are not those of the signed checkpoint it carries"
        elif not merkle.verify_inclusion(index, size, leaf, path, root):
            detail = (f"its audit path does not prove leaf {index} in the signed tree of {size} entries: the proof "
                      "was forged or damaged")
        elif today != leaf:
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

"""A hash-chained, tamper-evident ledger of every frame previs made, as pure functions over its rows.

Each entry commits to the frame file, its pixels, its generation record, its time and the previous entry's
hash, so editing, removing or inserting a row breaks the chain at that row and ``verify_chain`` names it.
Storage persists the ``LedgerEntry`` fields as they are and hands the rows back in any order.

What no chain can show on its own: rows cut off the end (the shorter chain is still consistent), or every
row from some point on rewritten and re-hashed. Both are caught only against a head kept apart from the
ledger, somewhere its writer cannot rewrite (an audit log, a second database, a signed export):
store ``chain_head(last_entry)`` after each append and pass it back as ``verify_chain(..., expected_head=)``.
The head names the sequence number as well as the hash, so a cut-off tail is reported at the exact row.

The head is published after each commit, so a reader can find rows that run past a head which matches its
own row: entries committed after the head was read (a writer at work), or whose head was never written (a
crash, a full disk). ``runs_past_head`` tells that case apart; the reader retries it for a moment before
reporting those rows as inserted (``ProvenanceDesk.verify_ledger``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, TypedDict

from previs.errors import InvalidRequest
from previs.media.imaging import canonical_json, sha256_bytes

GENESIS_HASH = "0" * 64
_DIGEST = re.compile(r"[0-9a-f]{64}")

ProblemKind = Literal["changed", "deleted", "inserted", "relinked", "checkpoint", "record"]
_Report = Callable[[int, ProblemKind, str], None]  # how verify_chain's checks record a problem


@dataclass(frozen=True)
class LedgerEntry:
    """One frame's row; ``entry_hash`` covers every other field, ``prev_hash`` is the previous row's hash."""

    sequence: int  # 1, 2, 3, ... with no gaps
    frame_sha256: str  # the frame file as stored (signed)
    pixel_sha256: str  # imaging.pixel_sha256: survives metadata being stripped
    record_sha256: str  # record_sha256(record)
    created_at: str  # ISO-8601 UTC
    prev_hash: str
    entry_hash: str


class _HashedFields(TypedDict):
    """The fields ``entry_hash`` covers: every ``LedgerEntry`` field but entry_hash itself."""

    sequence: int
    frame_sha256: str
    pixel_sha256: str
    record_sha256: str
    created_at: str
    prev_hash: str


@dataclass(frozen=True)
class ChainProblem:
    """Where the chain breaks: the first row that may be bad, and how.

    changed   the row's fields no longer match its own entry_hash (edited in place)
    deleted   the row with this sequence number is missing (a gap, or a tail cut off before the kept head)
    inserted  an extra row: a second row with this sequence number that nothing links to, a row the next
              row links past, or a row appended after the kept head
    relinked  rows ``sequence`` and ``sequence + 1`` each match their own hash but no longer link: row
              ``sequence`` was rewritten and re-hashed, or the next row was re-pointed
    checkpoint the kept head or signed checkpoint is missing, forged, or no longer matches the log's leaves
    record    a frames row (its record, file or pixel digest, or id) does not match its log leaf
    """

    sequence: int
    kind: ProblemKind
    detail: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int  # rows examined
    problems: tuple[ChainProblem, ...]  # ordered by sequence: the first is the first bad row
    # The database file's own integrity check: () sound, the problems it found, or None where none was run.
    integrity: tuple[str, ...] | None = None

    def with_integrity(self, found: list[str] | None) -> ChainReport:
        """This report and the database's integrity check: rows on a damaged file are never intact."""
        return replace(self, ok=self.ok and not found, integrity=None if found is None else tuple(found))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types, for API responses and ``--json`` output."""
        integrity: str | list[str] = "not checked" if self.integrity is None else list(self.integrity) or "ok"
        return {"ok": self.ok, "checked": self.checked, "problems": [asdict(problem) for problem in self.problems],
                "integrity": integrity}


def entry_hash(
    *,
    sequence: int,
    frame_sha256: str,
    pixel_sha256: str,
    record_sha256: str,
    created_at: str,
    prev_hash: str,
) -> str:
    """sha256 over the canonical JSON of every entry field except entry_hash itself."""
    return sha256_bytes(canonical_json({
        "sequence": sequence,
        "frame_sha256": frame_sha256,
        "pixel_sha256": pixel_sha256,
        "record_sha256": record_sha256,
        "created_at": created_at,
        "prev_hash": prev_hash,
    }).encode())


def leaf_bytes(entry: LedgerEntry, frame_id: int | None) -> bytes:
    """What the Merkle tree's leaf for ``entry`` commits to: every field of the entry and the frame it is for
    (so ``frame_id`` is inside the hash; the record digest covers the record, consent grants included)."""
    return canonical_json({  # spelled out: dataclasses.asdict costs more than the hashing (100,000 rows on open)
        "sequence": entry.sequence, "frame_sha256": entry.frame_sha256, "pixel_sha256": entry.pixel_sha256,
        "record_sha256": entry.record_sha256, "created_at": entry.created_at, "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash, "frame_id": frame_id,
    }).encode()


def record_sha256(record: Mapping[str, Any]) -> str:
    """The digest a ledger entry keeps of a generation record (canonical JSON: key order is irrelevant)."""
    return sha256_bytes(canonical_json(record).encode())


def make_entry(
    previous: LedgerEntry | None, *, frame_sha256: str, pixel_sha256: str, record_sha256: str, created_at: str
) -> LedgerEntry:
    """The entry that follows ``previous`` (or starts the ledger when it is None)."""
    for name, digest in (("frame_sha256", frame_sha256), ("pixel_sha256", pixel_sha256),
                         ("record_sha256", record_sha256)):
        if not _DIGEST.fullmatch(digest):
            raise InvalidRequest(f"{name} must be 64 lowercase hex digits, got {digest!r}")
    _require_utc(created_at)
    fields: _HashedFields = {
        "sequence": 1 if previous is None else previous.sequence + 1,
        "frame_sha256": frame_sha256,
        "pixel_sha256": pixel_sha256,
        "record_sha256": record_sha256,
        "created_at": created_at,
        "prev_hash": GENESIS_HASH if previous is None else previous.entry_hash,
    }
    return LedgerEntry(**fields, entry_hash=entry_hash(**fields))


def chain_head(last: LedgerEntry | None) -> str:
    """The token to keep apart from the ledger after each append: ``"<sequence>:<entry_hash>"``."""
    return "0:" + GENESIS_HASH if last is None else f"{last.sequence}:{last.entry_hash}"


def verify_chain(entries: Iterable[LedgerEntry], *, expected_head: str | None = None) -> ChainReport:
    """Check every row's own hash and every link; report each problem at the first row that may be bad."""
    rows = sorted(entries, key=lambda row: row.sequence)
    head = None if expected_head is None else _parse_head(expected_head)
    problems: dict[tuple[int, str], ChainProblem] = {}

    def report(sequence: int, kind: ProblemKind, detail: str) -> None:
        problems.setdefault((sequence, kind), ChainProblem(sequence, kind, detail))

    chain = _without_duplicates(rows, head, report)
    _check_links(chain, report)
    if head is not None:
        _check_head(chain, head, report)
    ordered = tuple(sorted(problems.values(), key=lambda problem: problem.sequence))
    return ChainReport(ok=not ordered, checked=len(rows), problems=ordered)


def runs_past_head(entries: Iterable[LedgerEntry], expected_head: str) -> bool:
    """Whether the chain is sound and the kept head matches its row, with rows after it: unpublished, not cut."""
    rows = sorted(entries, key=lambda row: row.sequence)
    head_sequence, _ = _parse_head(expected_head)
    if not rows or rows[-1].sequence <= head_sequence or not verify_chain(rows).ok:
        return False
    return verify_chain([row for row in rows if row.sequence <= head_sequence], expected_head=expected_head).ok


def _without_duplicates(
    rows: list[LedgerEntry], head: tuple[int, str] | None, report: _Report
) -> list[LedgerEntry]:
    """Keep one row per sequence number: the one a later row (or the head) links to, else an intact one."""
    linked = {row.prev_hash for row in rows} | ({head[1]} if head else set())
    chain = []
    for sequence, group in itertools.groupby(rows, key=lambda row: row.sequence):
        candidates = list(group)
        genuine = max(candidates, key=lambda row: (row.entry_hash in linked, _intact(row)))
        chain.append(genuine)
        if len(candidates) > 1:
            report(sequence, "inserted", f"{len(candidates)} rows claim sequence {sequence}; one is genuine")
    return chain


def _check_links(chain: list[LedgerEntry], report: _Report) -> None:
    expected_sequence, expected_prev, previous_sequence = 1, GENESIS_HASH, 0
    for index, row in enumerate(chain):
        following = chain[index + 1] if index + 1 < len(chain) else None
        gap = row.sequence > expected_sequence
        if gap:
            report(expected_sequence, "deleted",
                   f"rows {expected_sequence}..{row.sequence - 1} are missing before row {row.sequence}")
        if not _intact(row):
            report(row.sequence, "changed", f"row {row.sequence} no longer matches its entry_hash")
        elif following is not None and following.prev_hash == row.prev_hash:
            report(row.sequence, "inserted",
                   f"row {row.sequence} is extra: the row after it links past it to its predecessor")
            expected_sequence = row.sequence + 1
            continue
        elif not gap and row.prev_hash != expected_prev:
            first = previous_sequence or row.sequence
            report(first, "relinked", f"row {row.sequence} does not link to row {previous_sequence}'s hash; "
                                      f"row {previous_sequence} was rewritten and re-hashed, or row "
                                      f"{row.sequence} re-pointed")
        expected_sequence, expected_prev, previous_sequence = row.sequence + 1, row.entry_hash, row.sequence


def _check_head(chain: list[LedgerEntry], head: tuple[int, str], report: _Report) -> None:
    head_sequence, head_hash = head
    last = chain[-1].sequence if chain else 0
    if head_sequence > last:
        report(last + 1, "deleted",
               f"the kept head is row {head_sequence} but the ledger ends at row {last}: its tail is gone")
        return
    by_sequence = {row.sequence: row.entry_hash for row in chain} | {0: GENESIS_HASH}
    if by_sequence.get(head_sequence, head_hash) != head_hash:
        report(head_sequence, "changed", f"row {head_sequence} is not the row the kept head recorded")
    if head_sequence < last:
        report(head_sequence + 1, "inserted",
               f"rows {head_sequence + 1}..{last} were added after the kept head")


def _intact(row: LedgerEntry) -> bool:
    return row.entry_hash == entry_hash(
        sequence=row.sequence, frame_sha256=row.frame_sha256, pixel_sha256=row.pixel_sha256,
        record_sha256=row.record_sha256, created_at=row.created_at, prev_hash=row.prev_hash,
    )


def _parse_head(token: str) -> tuple[int, str]:
    sequence, _, digest = token.partition(":")
    if not sequence.isdigit() or not _DIGEST.fullmatch(digest):
        raise InvalidRequest(
            f"expected_head must be '<sequence>:<entry_hash>' as chain_head() makes it, got {token!r}"
        )
    return int(sequence), digest


def _require_utc(created_at: str) -> None:
    try:
        moment = dt.datetime.fromisoformat(created_at)
    except ValueError as error:
        raise InvalidRequest(f"created_at must be an ISO-8601 timestamp, got {created_at!r}") from error
    if moment.utcoffset() != dt.timedelta(0):
        raise InvalidRequest(f"created_at must be in UTC (ending Z or +00:00), got {created_at!r}")

"""The hash-chained ledger: every kind of tampering is reported at the exact row where it happened, in the pure
functions and as stored on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import random

import pytest
from sqlalchemy import text

from previs.app.recording import ledger_entry
from previs.errors import InvalidRequest
from previs.provenance.ledger import (
    GENESIS_HASH,
    ChainReport,
    LedgerEntry,
    chain_head,
    entry_hash,
    make_entry,
    record_sha256,
    verify_chain,
)
from previs.storage import Database


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _append(previous: LedgerEntry | None, name: str) -> LedgerEntry:
    return make_entry(
        previous,
        frame_sha256=_digest(f"file {name}"),
        pixel_sha256=_digest(f"pixels {name}"),
        record_sha256=record_sha256({"frame": name}),
        created_at="2025-03-01T12:00:00Z",
    )


def _ledger(length: int = 6) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    for index in range(length):
        entries.append(_append(entries[-1] if entries else None, f"frame-{index + 1}"))
    return entries


def _rehashed(entry: LedgerEntry, **changes: object) -> LedgerEntry:
    """An edit made by someone who also recomputed the row's own hash."""
    edited = dataclasses.replace(entry, **changes)
    fields = {f.name: getattr(edited, f.name) for f in dataclasses.fields(edited) if f.name != "entry_hash"}
    return dataclasses.replace(edited, entry_hash=entry_hash(**fields))


def _first(report: ChainReport) -> tuple[int, str]:
    assert not report.ok
    return report.problems[0].sequence, report.problems[0].kind


def test_a_fresh_ledger_links_from_genesis_and_verifies() -> None:
    entries = _ledger()

    assert [e.sequence for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.entry_hash for earlier, later in itertools.pairwise(entries))
    report = verify_chain(entries, expected_head=chain_head(entries[-1]))
    assert report == ChainReport(ok=True, checked=6, problems=())


@pytest.mark.parametrize(
    "field", ["sequence", "frame_sha256", "pixel_sha256", "record_sha256", "created_at", "prev_hash"]
)
def test_entry_hash_covers_every_field(field: str) -> None:
    entry = _ledger(1)[0]
    changed = 7 if field == "sequence" else ("2030-01-01T00:00:00Z" if field == "created_at" else "f" * 64)

    assert _rehashed(entry, **{field: changed}).entry_hash != entry.entry_hash


def test_one_edited_row_is_reported_as_changed_at_its_sequence() -> None:
    entries = _ledger()
    entries[2] = dataclasses.replace(entries[2], pixel_sha256=_digest("someone else's picture"))

    report = verify_chain(entries)

    assert [(p.sequence, p.kind) for p in report.problems] == [(3, "changed")]


def test_an_edited_and_rehashed_row_is_reported_as_relinked_at_its_sequence() -> None:
    entries = _ledger()
    entries[2] = _rehashed(entries[2], record_sha256=record_sha256({"frame": "forged"}))

    assert [(p.sequence, p.kind) for p in verify_chain(entries).problems] == [(3, "relinked")]


def test_one_deleted_row_is_reported_at_its_sequence() -> None:
    entries = _ledger()
    del entries[3]

    report = verify_chain(entries)

    assert [(p.sequence, p.kind) for p in report.problems] == [(4, "deleted")]
    assert report.checked == 5


@pytest.mark.parametrize("before_original", [True, False])
def test_a_row_inserted_in_the_middle_is_reported_at_its_sequence(before_original: bool) -> None:
    entries = _ledger()
    forged = _append(entries[1], "forged")  # claims to follow row 2, so it takes sequence 3
    entries.insert(2 if before_original else 3, forged)

    report = verify_chain(entries)

    assert [(p.sequence, p.kind) for p in report.problems] == [(3, "inserted")]


def test_a_row_inserted_with_the_later_rows_renumbered_is_reported_first() -> None:
    entries = _ledger()
    forged = _append(entries[1], "forged")
    shifted = [dataclasses.replace(e, sequence=e.sequence + 1) for e in entries[2:]]

    report = verify_chain([*entries[:2], forged, *shifted])

    assert _first(report) == (3, "inserted")


def test_a_first_row_deleted_is_reported_at_sequence_one() -> None:
    assert _first(verify_chain(_ledger()[1:])) == (1, "deleted")


def test_a_cut_off_tail_needs_the_kept_head_and_is_then_exact() -> None:
    entries = _ledger()
    head = chain_head(entries[-1])

    assert verify_chain(entries[:-1]).ok  # a shorter chain is still a consistent chain
    report = verify_chain(entries[:-1], expected_head=head)
    assert [(p.sequence, p.kind) for p in report.problems] == [(6, "deleted")]


def test_a_rewritten_last_row_is_caught_by_the_kept_head() -> None:
    entries = _ledger()
    head = chain_head(entries[-1])
    entries[-1] = _rehashed(entries[-1], frame_sha256=_digest("swapped file"))

    assert verify_chain(entries).ok
    assert _first(verify_chain(entries, expected_head=head)) == (6, "changed")


def test_rows_appended_after_the_kept_head_are_reported() -> None:
    entries = _ledger()
    head = chain_head(entries[-1])
    entries.append(_append(entries[-1], "appended later"))

    assert _first(verify_chain(entries, expected_head=head)) == (7, "inserted")


def test_storage_order_does_not_matter() -> None:
    entries = _ledger()
    entries[4] = dataclasses.replace(entries[4], created_at="2025-04-01T00:00:00Z")
    shuffled = entries[:]
    random.Random(3).shuffle(shuffled)

    assert verify_chain(shuffled) == verify_chain(entries)
    assert _first(verify_chain(shuffled)) == (5, "changed")


def test_an_empty_ledger_checks_against_its_head() -> None:
    assert verify_chain([], expected_head=chain_head(None)).ok
    assert _first(verify_chain([], expected_head=chain_head(_ledger(2)[-1]))) == (1, "deleted")


def test_malformed_inputs_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="frame_sha256"):
        make_entry(None, frame_sha256="abc", pixel_sha256=_digest("p"), record_sha256=_digest("r"),
                   created_at="2025-03-01T12:00:00Z")
    with pytest.raises(InvalidRequest, match="UTC"):
        make_entry(None, frame_sha256=_digest("f"), pixel_sha256=_digest("p"), record_sha256=_digest("r"),
                   created_at="2025-03-01T12:00:00+02:00")
    with pytest.raises(InvalidRequest, match="ISO-8601"):
        make_entry(None, frame_sha256=_digest("f"), pixel_sha256=_digest("p"), record_sha256=_digest("r"),
                   created_at="yesterday")
    with pytest.raises(InvalidRequest, match="expected_head"):
        verify_chain(_ledger(), expected_head=_ledger()[-1].entry_hash)


@pytest.mark.both_backends
def test_the_stored_ledger_reads_back_in_chain_order_and_tampering_is_found(empty_database_url: str) -> None:
    """Rows written through the repository, in two transactions, come back as the chain that was written: the tip
    is the highest sequence (numeric order: 12 after 9), a digest finds its first row, an edit is found."""
    database = Database(empty_database_url)
    entries = _ledger(12)
    for batch in (entries[:5], entries[5:]):
        with database.unit_of_work(serialised=True) as work:
            for entry in batch:
                work.ledger.add(**dataclasses.asdict(entry))
    with database.unit_of_work() as work:
        last = work.ledger.last()
        stored = [ledger_entry(row) for row in work.ledger.all()]
        found = work.ledger.by_pixel_sha256(entries[9].pixel_sha256)
    assert last is not None and ledger_entry(last) == entries[-1]
    assert stored == entries and found is not None and found.sequence == 10
    assert verify_chain(stored, expected_head=chain_head(entries[-1])).ok
    with database.engine.begin() as connection:
        connection.execute(text("update ledger_entries set created_at = '2030-01-01T00:00:00Z' where sequence = 10"))
    with database.unit_of_work() as work:
        assert _first(verify_chain([ledger_entry(row) for row in work.ledger.all()])) == (10, "changed")
    database.close()

"""The ledger: append-only, hash-chained per process, idempotent by entry id.

Appends to one chain are serialised on its head row: on PostgreSQL by ``SELECT ... FOR UPDATE`` on
``ledger_heads`` (created on first use with ``INSERT ... ON CONFLICT DO NOTHING``); on SQLite that
INSERT is the transaction's first statement, so it takes the database's single write lock (waiting
on the busy timeout) before anything is read. The caller owns the transaction: nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ledger import (
    GENESIS_HASH,
    LedgerEntryIn,
    entry_columns,
    entry_hash,
    hash_fields,
    iso_utc,
    row_hash,
)
from store.models import LedgerEntry, LedgerHead


class VerifyResult(BaseModel):
    ok: bool
    process_id: str
    entries: int
    head_hash: str | None
    first_bad_seq: int | None
    problem: str | None


async def _lock_head(session: AsyncSession, process_id: str) -> LedgerHead:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(LedgerHead)
        .values(process_id=process_id, seq=0, hash=GENESIS_HASH)
        .on_conflict_do_nothing(index_elements=["process_id"])
    )
    stmt = (
        select(LedgerHead)
        .where(LedgerHead.process_id == process_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


async def append(
    session: AsyncSession, entry: LedgerEntryIn, *, recorded_at: datetime
) -> tuple[LedgerEntry, bool]:
    """Write ``entry`` at the end of its chain; ``(stored row, False)`` if its id is already there.

    The existing-id check comes after the head lock, so two concurrent appends of one id cannot both
    insert. A repeated id returns the stored row as it is; its contents are not compared.
    """
    head = await _lock_head(session, entry.process_id)
    existing = await session.get(LedgerEntry, entry.entry_id, populate_existing=True)
    if existing is not None:
        return existing, False
    columns = entry_columns(entry, recorded_at=recorded_at)
    seq = head.seq + 1
    digest = entry_hash(head.hash, seq, hash_fields(columns))
    row = LedgerEntry(**columns, seq=seq, prev_hash=head.hash, hash=digest)
    session.add(row)
    # The entry first, then its head: the database lets a head move only to an entry it holds.
    await session.flush()
    head.seq = seq
    head.hash = digest
    await session.flush()
    return row, True


async def newest_entry_ids(session: AsyncSession, process_ids: Sequence[str]) -> list[str]:
    """The id of each process's newest entry (at its chain's head), for those that have one."""
    stmt = (
        select(LedgerEntry.entry_id)
        .join(
            LedgerHead,
            (LedgerHead.process_id == LedgerEntry.process_id) & (LedgerHead.seq == LedgerEntry.seq),
        )
        .where(LedgerHead.process_id.in_(list(process_ids)))
    )
    return [str(e) for e in (await session.scalars(stmt)).all()]


async def entries(session: AsyncSession, process_id: str) -> list[LedgerEntry]:
    stmt = select(LedgerEntry).where(LedgerEntry.process_id == process_id).order_by(LedgerEntry.seq)
    return list((await session.scalars(stmt)).all())


async def verify(session: AsyncSession, process_id: str) -> VerifyResult:
    table = LedgerEntry.__table__
    stmt = select(table).where(table.c.process_id == process_id).order_by(table.c.seq)
    rows = [dict(r) for r in (await session.execute(stmt)).mappings()]
    head_row = (
        (
            await session.execute(
                select(LedgerHead.seq, LedgerHead.hash).where(LedgerHead.process_id == process_id)
            )
        )
        .mappings()
        .first()
    )
    result = verify_rows(rows, dict(head_row) if head_row is not None else None)
    # verify_rows names the process from the rows; an empty chain has none to name it by.
    return result.model_copy(update={"process_id": process_id})


def _fail(process_id: str, count: int, seq: int | None, problem: str) -> VerifyResult:
    return VerifyResult(
        ok=False,
        process_id=process_id,
        entries=count,
        head_hash=None,
        first_bad_seq=seq,
        problem=problem,
    )


def _check_row(row: Mapping[str, Any], expected_seq: int, prev_hash: str) -> str | None:
    seq = row["seq"]
    if seq != expected_seq:
        previous = f"after entry {expected_seq - 1}" if expected_seq > 1 else "at the start"
        return (
            f"entry {expected_seq}: missing, found entry {seq} {previous} (removed or reordered?)"
        )
    if row_hash(row) != row["hash"]:
        return f"entry {seq}: hash does not match its contents (edited?)"
    if row["prev_hash"] != prev_hash:
        if seq == 1:
            return "entry 1: prev_hash is not the genesis hash (entries removed before it?)"
        return f"entry {seq}: prev_hash does not link to entry {seq - 1} (removed or reordered?)"
    return None


def _check_head(
    count: int, last_hash: str, head: Mapping[str, Any] | None
) -> tuple[int, str] | None:
    if head is None:
        if count == 0:
            return None
        return 1, f"chain has {count} entries but no head (head removed?)"
    head_seq, head_hash = int(head["seq"]), str(head["hash"])
    if head_seq > count:
        return count + 1, f"chain has {count} entries but its head says {head_seq} (tail removed?)"
    if head_seq < count:
        return (
            head_seq + 1,
            f"chain has {count} entries but its head says {head_seq} (added outside the ledger?)",
        )
    if head_hash != last_hash:
        return count, f"entry {count}: hash differs from the chain head's (chain rewritten?)"
    return None


def verify_rows(rows: Sequence[Mapping[str, Any]], head: Mapping[str, Any] | None) -> VerifyResult:
    """Check a chain from its rows in stored order (seq ascending) and its head (``seq``, ``hash``).

    ``first_bad_seq`` is the lowest sequence number from which the chain can no longer be trusted.
    Rows may be ORM mappings or exported dicts (timestamps as the ``iso_utc`` strings).
    """
    process_id = str(rows[0]["process_id"]) if rows else ""
    prev_hash = GENESIS_HASH
    for position, row in enumerate(rows, start=1):
        if row["process_id"] != process_id:
            return _fail(
                process_id, len(rows), position, f"entry {position}: belongs to another process"
            )
        problem = _check_row(row, position, prev_hash)
        if problem is not None:
            return _fail(process_id, len(rows), position, problem)
        prev_hash = str(row["hash"])
    last_hash = prev_hash if rows else GENESIS_HASH
    head_problem = _check_head(len(rows), last_hash, head)
    if head_problem is not None:
        return _fail(process_id, len(rows), *head_problem)
    return VerifyResult(
        ok=True,
        process_id=process_id,
        entries=len(rows),
        head_hash=str(rows[-1]["hash"]) if rows else None,
        first_bad_seq=None,
        problem=None,
    )


def entry_to_dict(row: LedgerEntry) -> dict[str, Any]:
    """A stored entry as JSON-ready data; a list of them verifies offline (:func:`verify_rows`)."""
    data: dict[str, Any] = {
        column.key: getattr(row, column.key) for column in LedgerEntry.__table__.c
    }
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = iso_utc(value)
    return data

"""Ledger rows for an export, in batches, never all at once.

Batches are keyset pages over ``(process_id, seq)`` (the chain's unique index), so each chain comes
out whole and in order, joined to its Merkle leaf where a checkpoint has assigned one. Run them in
one transaction opened with :func:`begin_snapshot`: every page then reads the same snapshot
(PostgreSQL REPEATABLE READ; SQLite's deferred read transaction under WAL), so an export is one
consistent state of the ledger even while appends go on. Fetch checkpoints before exporting: the
export is then at least as new as the last of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.audit_models import MerkleLeaf
from store.models import LedgerEntry

EXPORT_BATCH = 1000


@dataclass(frozen=True)
class ExportFilter:
    process_id: str | None = None
    agency: str | None = None
    process_kind: str | None = None
    recorded_from: datetime | None = None  # inclusive
    recorded_to: datetime | None = None  # exclusive


async def begin_snapshot(session: AsyncSession) -> None:
    """Make the session's transaction read one snapshot throughout (call before any query)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _query(flt: ExportFilter, limit: int, after: tuple[str, int] | None) -> Select[Any]:
    entries = LedgerEntry.__table__.c
    stmt = (
        select(LedgerEntry.__table__, MerkleLeaf.leaf_index, MerkleLeaf.leaf_hash)
        .outerjoin(MerkleLeaf, MerkleLeaf.entry_id == entries.entry_id)
        .order_by(entries.process_id, entries.seq)
        .limit(limit)
    )
    if flt.process_id is not None:
        stmt = stmt.where(entries.process_id == flt.process_id)
    if flt.agency is not None:
        stmt = stmt.where(entries.agency == flt.agency)
    if flt.process_kind is not None:
        stmt = stmt.where(entries.process_kind == flt.process_kind)
    if flt.recorded_from is not None:
        stmt = stmt.where(entries.recorded_at >= flt.recorded_from)
    if flt.recorded_to is not None:
        stmt = stmt.where(entries.recorded_at < flt.recorded_to)
    if after is not None:
        pid, seq = after
        stmt = stmt.where(
            or_(entries.process_id > pid, and_(entries.process_id == pid, entries.seq > seq))
        )
    return stmt


async def export_batches(
    session: AsyncSession, flt: ExportFilter, *, batch: int = EXPORT_BATCH
) -> AsyncIterator[list[dict[str, Any]]]:
    """Pages of rows: every ledger column plus ``leaf_index`` and ``leaf_hash`` (None if unassigned)."""
    after: tuple[str, int] | None = None
    while True:
        rows = [dict(r) for r in (await session.execute(_query(flt, batch, after))).mappings()]
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        after = (rows[-1]["process_id"], rows[-1]["seq"])

"""Ledger and read-model writes: one transaction per batch of decisions, idempotent by entry id.

Entries go through the process's :class:`~store.ledger_writer.LedgerWriter` (group commit over
SQLAlchemy Core); the promotion read model and the webhook outbox are written in the same
transaction, only for entries written now (a retry finds its entries and writes nothing again).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.contracts import PromotionRecords, RecordPromotion
from activities.ledger_items import log_appended
from store import record_effects
from store.ledger_writer import Appended, LedgerWriter, Tx, writer_for


class LedgerActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writer: LedgerWriter | None = None
    ) -> None:
        self._sessions = sessions
        self._writer = writer or writer_for(sessions)

    @activity.defn(name="record_promotion")
    async def record_promotion(self, req: RecordPromotion) -> int:
        """One entry (runs from before batches). Returns its seq."""
        return await record(self._writer, [req])

    @activity.defn(name="record_promotion_batch")
    async def record_promotion_batch(self, req: PromotionRecords) -> int:
        """Entries in decision order with the read model, together or not at all. Returns the
        last seq."""
        return await record(self._writer, req.items)


async def record(writer: LedgerWriter, items: Sequence[RecordPromotion]) -> int:
    """Append the items' entries with their read model and outbox rows; the last seq."""
    now = datetime.now(UTC)

    async def after(tx: Tx, appended: Sequence[Appended]) -> None:
        for item, row in zip(items, appended, strict=True):
            if row.created:
                await promotion_effects(tx, item, row, now)

    appended = await writer.append([i.entry for i in items], recorded_at=now, after=after)
    log_appended([i.entry for i in items], appended)
    return appended[-1].seq


async def promotion_effects(tx: Tx, req: RecordPromotion, row: Appended, now: datetime) -> None:
    """The promotion's read model and the webhook outbox, for an entry written now."""
    patch = req.view.model_dump()
    if patch["eligibility"] is None:
        # Assessed once, never cleared: a view without it (every entry but the assessment's,
        # since views stopped repeating it) leaves the row's eligibility as written.
        del patch["eligibility"]
    # Whoever writes first creates the row (the API usually has), so no write can land on a row
    # that does not exist yet.
    identity = req.identity.model_dump() if req.identity is not None else None
    record_effects.write_promotion(tx, req.process_id, patch, now=now, identity=identity)
    # The outbox: events are queued in the same transaction as the decision.
    await record_effects.enqueue_outbox(tx, row, req.view)

"""Ledger and read-model writes: one transaction per batch of decisions, idempotent by entry id."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.contracts import PromotionRecords, RecordPromotion
from store import ledger, repositories, webhooks
from store.group_commit import GroupCommit

log = structlog.get_logger(__name__)


class LedgerActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writer: GroupCommit | None = None
    ) -> None:
        self._sessions = sessions
        self._writer = writer or GroupCommit(sessions)

    @activity.defn(name="record_promotion")
    async def record_promotion(self, req: RecordPromotion) -> int:
        """One entry (runs from before batches). Returns its seq."""
        now = datetime.now(UTC)
        return await self._writer.run(lambda session: _apply(session, req, now))

    @activity.defn(name="record_promotion_batch")
    async def record_promotion_batch(self, req: PromotionRecords) -> int:
        """Entries in decision order with the read model, together or not at all. Returns the
        last seq."""
        now = datetime.now(UTC)

        async def unit(session: AsyncSession) -> int:
            seq = 0
            for item in req.items:
                seq = await _apply(session, item, now)
            return seq

        return await self._writer.run(unit)


async def _apply(session: AsyncSession, req: RecordPromotion, now: datetime) -> int:
    row, created = await ledger.append(session, req.entry, recorded_at=now)
    if created:
        if req.identity is not None:
            # Whoever writes first creates the row (the API usually has), so no write can land
            # on a row that does not exist yet.
            await repositories.insert_promotion_if_absent(
                session, process_id=req.process_id, now=now, **req.identity.model_dump()
            )
        patch = req.view.model_dump()
        await repositories.apply_promotion_patch(session, req.process_id, patch, now=now)
        # The outbox: events are queued in the same transaction as the decision.
        await webhooks.enqueue_for_entry(session, row, req.view)
    log.info(
        "ledger.appended" if created else "ledger.already_recorded",
        process_id=req.process_id,
        kind=req.entry.kind,
        seq=row.seq,
    )
    return row.seq

"""The entries of a promotion and of the BKN review it runs inside itself, written together.

A promotion's decision and the review events it causes (the review opened with its reviewer, the
verdict and the step that follows) are decided in the same workflow task, so they are written
together: in decision order, in one transaction, each entry with its own kind's statements, every
entry idempotent by its id so a retried write writes nothing twice. The workflow's batch activity writes
them, and so does the API with what an update handed over (``actions/handed.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities import ledger
from activities.contracts import PromotionReviewRecords, RecordPromotion, RecordReview
from activities.ledger_items import log_appended
from activities.reviews import apply_review
from store.ledger_writer import Appended, LedgerWriter, Tx, writer_for

Item = RecordPromotion | RecordReview


async def write_items(writer: LedgerWriter, items: Sequence[Item]) -> int:
    """Write ``items`` in order as one request to the writer (one transaction), each entry
    written now with its own kind's read-model and outbox statements. Returns the last seq."""
    if not items:
        return 0
    now = datetime.now(UTC)

    async def after(tx: Tx, appended: Sequence[Appended]) -> None:
        for item, row in zip(items, appended, strict=True):
            if not row.created:
                continue
            if isinstance(item, RecordPromotion):
                await ledger.promotion_effects(tx, item, row, now)
            else:
                apply_review(tx, item, row, now)

    entries = [i.entry for i in items]
    appended = await writer.append(entries, recorded_at=now, after=after)
    log_appended(entries, appended)
    return appended[-1].seq


class PromotionReviewActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writer: LedgerWriter | None = None
    ) -> None:
        self._writer = writer or writer_for(sessions)

    @activity.defn(name="record_promotion_review_batch")
    async def record_promotion_review_batch(self, req: PromotionReviewRecords) -> int:
        """Write the batch in order, one transaction per run of one kind. Returns the last seq."""
        return await write_items(self._writer, req.items)

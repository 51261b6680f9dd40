"""The entries of a promotion and of the BKN review it runs inside itself, written together.

A promotion's decision and the review events it causes (the review opened with its reviewer, the
verdict and the step that follows) are decided in the same workflow task, so they are written
together: runs of each kind in decision order, each run by its writer's statements, every entry
idempotent by its id so a retried write writes nothing twice. The workflow's batch activity writes
them, and so does the API with what an update handed over (``actions/handed.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities import ledger
from activities.contracts import PromotionReviewRecords, RecordPromotion, RecordReview
from activities.ledger_items import append_items
from activities.reviews import apply_review
from store.ledger_writer import LedgerWriter, writer_for

Item = RecordPromotion | RecordReview


def _runs(items: Sequence[Item]) -> list[list[Item]]:
    """The items cut into runs of one kind, in order."""
    runs: list[list[Item]] = []
    for item in items:
        if runs and type(runs[-1][0]) is type(item):
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


async def write_items(writer: LedgerWriter, items: Sequence[Item]) -> int:
    """Write ``items`` in order, one transaction per run of one kind. Returns the last seq."""
    seq = 0
    for run in _runs(items):
        if isinstance(run[0], RecordPromotion):
            seq = await ledger.record(writer, [i for i in run if isinstance(i, RecordPromotion)])
        else:
            reviews = [i for i in run if isinstance(i, RecordReview)]
            seq = await append_items(writer, reviews, effects=apply_review)
    return seq


class PromotionReviewActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writer: LedgerWriter | None = None
    ) -> None:
        self._writer = writer or writer_for(sessions)

    @activity.defn(name="record_promotion_review_batch")
    async def record_promotion_review_batch(self, req: PromotionReviewRecords) -> int:
        """Write the batch in order, one transaction per run of one kind. Returns the last seq."""
        return await write_items(self._writer, req.items)

"""A promotion's ledger trail: its own entries, and those of the BKN review it runs inside itself.

Both go through one Outbox, in decision order: a batch of the promotion's entries alone is written
by ``record_promotion_batch`` as before (so older histories replay unchanged); a batch that holds
review entries by ``record_promotion_review_batch``. Each entry carries the read model as it stood
when it was decided, the promotion's or the review's with its seats.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        PromotionRecords,
        PromotionReviewRecords,
        RecordPromotion,
        RecordReview,
    )
    from activities.ledger import LedgerActivities
    from activities.promotion_reviews import PromotionReviewActivities
    from domain.ledger import Actor
    from domain.processes import ProcessKind
    from domain.rulebook import Rulebook
    from workflows.contracts import PromotionState, StartPromotion
    from workflows.entries import decided_entry
    from workflows.ledgered import Outbox
    from workflows.promotion_records import identity, promotion_view
    from workflows.promotion_review import EmbeddedReview
    from workflows.review_records import review_view, seat_rows

Item = RecordPromotion | RecordReview
# The one entry whose view carries the eligibility (the others leave the row's as it is).
ASSESSED = "promotion.eligibility_assessed"
Writer = Callable[[Any, Any], Awaitable[Any]]


def _route(batch: list[Item]) -> tuple[Writer, Any] | None:
    if all(isinstance(i, RecordPromotion) for i in batch):
        return None
    return (
        cast(Writer, PromotionReviewActivities.record_promotion_review_batch),
        PromotionReviewRecords(items=batch),
    )


def _promotions(items: list[Item]) -> PromotionRecords:
    return PromotionRecords(items=[i for i in items if isinstance(i, RecordPromotion)])


class PromotionLedger:
    def __init__(self) -> None:
        self.outbox: Outbox[Item, PromotionRecords] = Outbox(
            write_one=cast(Writer, LedgerActivities.record_promotion),
            write_batch=LedgerActivities.record_promotion_batch,
            batch_of=_promotions,
            route=_route,
        )
        self._entries = 0
        self._review_entries: dict[str, int] = {}

    async def promotion(
        self,
        inp: StartPromotion,
        rb: Rulebook,
        state: PromotionState,
        kind: str,
        actor: Actor,
        stage_before: str | None,
        *,
        payload: dict[str, Any] | None = None,
        justification: str | None = None,
        update_id: str | None = None,
    ) -> None:
        self._entries += 1
        entry = decided_entry(
            self._entries,
            process_kind=ProcessKind.PROMOTION,
            kind=kind,
            actor=actor,
            stage_before=stage_before,
            stage_after=state.stage,
            agency=inp.agency,
            payload=payload,
            rulebook_version=rb.version,
            subject=inp.nip,
            justification=justification,
            update_id=update_id,
        )
        item = RecordPromotion(
            process_id=entry.process_id,
            entry=entry,
            view=promotion_view(state, eligibility=kind == ASSESSED),
            identity=identity(inp, rb),
        )
        await self.outbox.put(item, entry_id=entry.entry_id)

    async def review(self, review: EmbeddedReview) -> None:
        """Queue the review's entries decided so far, each under the review's own id."""
        events, review.events = review.events, []
        req = review.req
        for ev in events:
            n = self._review_entries.get(review.review_id, 0) + 1
            self._review_entries[review.review_id] = n
            entry = decided_entry(
                n,
                process_kind=ProcessKind.REVIEW,
                kind=ev.kind,
                actor=ev.actor,
                stage_before=None,
                stage_after=ev.status,
                agency=req.agency,
                payload=ev.payload,
                rulebook_version=req.rulebook_version,
                subject=req.subject_id,
                justification=ev.justification,
                process_id=review.review_id,
            )
            state = review.state()
            item = RecordReview(
                review_id=review.review_id,
                entry=entry,
                view=review_view(req, state),
                seats=seat_rows(state.seats),
                conflict=ev.conflict,
            )
            await self.outbox.put(item, entry_id=entry.entry_id)

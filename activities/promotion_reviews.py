"""The entries of a promotion and of the BKN review it runs inside itself, written by one activity.

A promotion's decision and the review events it causes (the review opened with its reviewer, the
verdict and the step that follows) are decided in the same workflow task, so they are written
together: runs of each kind in decision order, each run by its own writer, every entry idempotent
by its id so a retried activity writes nothing twice.
"""

from __future__ import annotations

from temporalio import activity

from activities.contracts import (
    PromotionRecords,
    PromotionReviewRecords,
    RecordPromotion,
    RecordReview,
    ReviewRecords,
)
from activities.ledger import LedgerActivities
from activities.reviews import ReviewActivities


class PromotionReviewActivities:
    def __init__(self, ledger: LedgerActivities, review: ReviewActivities) -> None:
        self._ledger = ledger
        self._review = review

    @activity.defn(name="record_promotion_review_batch")
    async def record_promotion_review_batch(self, req: PromotionReviewRecords) -> int:
        """Write the batch in order, one transaction per run of one kind. Returns the last seq."""
        seq = 0
        promotions: list[RecordPromotion] = []
        reviews: list[RecordReview] = []
        for item in req.items:
            if isinstance(item, RecordPromotion):
                if reviews:
                    seq = await self._review.record_review_batch(ReviewRecords(items=reviews))
                    reviews = []
                promotions.append(item)
            else:
                if promotions:
                    seq = await self._ledger.record_promotion_batch(
                        PromotionRecords(items=promotions)
                    )
                    promotions = []
                reviews.append(item)
        if promotions:
            seq = await self._ledger.record_promotion_batch(PromotionRecords(items=promotions))
        if reviews:
            seq = await self._review.record_review_batch(ReviewRecords(items=reviews))
        return seq

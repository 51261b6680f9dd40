"""BKN's technical approval as a child ThirdPartyReviewWorkflow: how runs between the
``bkn-technical-approval-as-review`` patch and the embedded review (``workflows/promotion_review.py``)
decide that step. Kept so that their histories replay; no new run takes this path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import ReviewRequest, ReviewState
    from workflows.review import ThirdPartyReviewWorkflow


async def child_review(
    request: ReviewRequest,
    review_id: str,
    *,
    durable: bool,
    announce: Callable[[], Awaitable[None]],
) -> ReviewState:
    """Run the review as a child; ``announce`` records the request (after the child exists, in a
    run whose entries wait for durable decisions)."""
    if durable:
        # The request is recorded once the review exists: its entry never names a review
        # that a crash kept from starting.
        child = await workflow.start_child_workflow(
            ThirdPartyReviewWorkflow.run,
            request,
            id=review_id,
            parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
        )
        await announce()
        return await child
    await announce()
    return await workflow.execute_child_workflow(
        ThirdPartyReviewWorkflow.run,
        request,
        id=review_id,
        parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
    )

"""What a third-party review writes with each ledger entry, built from its request and its state.

Pure functions of workflow state (no commands), kept apart from the workflow's decisions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from activities.contracts import ReviewViewData, SeatData
from workflows.contracts import ReviewRequest, ReviewState, SeatState


def seat_status(seat: SeatState) -> str:
    if seat.recused:
        return "recused"
    if seat.voted:
        return "voted"
    return "declared" if seat.declared else "assigned"


def seat_rows(seats: Iterable[SeatState]) -> list[SeatData]:
    return [
        SeatData(
            reviewer_id=s.reviewer_id,
            status=seat_status(s),
            verdict=s.verdict.value if s.verdict else None,
        )
        for s in seats
    ]


def review_view(req: ReviewRequest, state: ReviewState) -> ReviewViewData:
    """The read model's row as of ``state``."""
    return ReviewViewData(
        subject_type=req.subject_type.value,
        subject_id=req.subject_id,
        parent_process_id=req.parent_process_id,
        agency=req.agency,
        body_code=req.body_code,
        status=state.status,
        outcome=state.outcome.value if state.outcome else None,
        quorum=req.rule.quorum.value,
        required_reviewers=req.rule.reviewers,
        head_reviewer_id=state.head_reviewer_id,
        escalated=state.escalated,
        automatic=state.automatic,
        reminder_at=state.reminder_at,
        due_at=state.due_at,
        findings=[f.model_dump() for f in state.findings] or None,
        reason=state.reason,
    )


def request_payload(req: ReviewRequest) -> dict[str, Any]:
    """The ``review.requested`` entry's payload: the subject, the body and the rule it runs by."""
    return {
        "subject_type": req.subject_type.value,
        "subject_id": req.subject_id,
        "body": req.body_code,
        "parent": req.parent_process_id,
        "rule": req.rule.model_dump(mode="json"),
    }

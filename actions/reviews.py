"""Third-party review: an assigned reviewer declares a conflict (or none), then gives a verdict."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

from actions import handed, temporal
from actions.lag import unless_lagging
from actions.pipeline import Action, Attempt
from actions.schemas.reviews import (
    DeclarationCreate,
    ProcessAfter,
    ReviewRead,
    SeatRead,
    VerdictCreate,
)
from actions.targets import Target
from domain.enums import Role
from domain.processes import ProcessKind
from infra.tokens import Principal
from store.review_models import ReviewSeat, ReviewView
from workflows.contracts import (
    DeclarationInput,
    PromotionState,
    ReviewAnswer,
    ReviewState,
    VerdictInput,
    embedded_review_host,
)
from workflows.promotion import PromotionWorkflow
from workflows.review import ThirdPartyReviewWorkflow
from workflows.review_records import seat_status


def to_read(view: ReviewView | Row[Any], seats: list[ReviewSeat]) -> ReviewRead:
    concluded = view.status != "open"
    seat_rows = [
        SeatRead(
            reviewer_id=s.reviewer_id, status=s.status, verdict=s.verdict if concluded else None
        )
        for s in seats
    ]
    return ReviewRead(
        id=view.review_id,
        subject_type=view.subject_type,
        subject_id=view.subject_id,
        parent_process_id=view.parent_process_id,
        agency=view.agency,
        body_code=view.body_code,
        status=view.status,
        outcome=view.outcome,
        quorum=view.quorum,
        required_reviewers=view.required_reviewers,
        head_reviewer_id=view.head_reviewer_id,
        escalated=view.escalated,
        automatic=view.automatic,
        reminder_at=view.reminder_at,
        due_at=view.due_at,
        findings=view.findings,
        reason=view.reason,
        seats=seat_rows,
        created_at=view.created_at,
        updated_at=view.updated_at,
    )


def may_read(principal: Principal, view: ReviewView | Row[Any], seat_ids: set[str]) -> bool:
    """A reviewer sees the reviews they sit on or head; anyone else by the review's agency."""
    if principal.role == Role.REVIEWER.value:
        return principal.sub == view.head_reviewer_id or principal.sub in seat_ids
    return principal.agency is None or principal.agency == view.agency


def _visible(principal: Principal, target: Target) -> bool:
    # ``Target.row`` is the review's read-model row (store.reviews.review_row).
    view: Row[Any] = target.row
    if principal.role != Role.REVIEWER.value:
        return may_read(principal, view, set())
    # A reviewer may be assigned after the row was read; the workflow judges the seat itself.
    return True


def from_state(
    view: ReviewView | Row[Any], state: ReviewState, promotion: PromotionState | None = None
) -> ReviewRead:
    """The review as the workflow answered the action: its state over the row's identity."""
    concluded = state.status != "open"
    seats = [
        SeatRead(
            reviewer_id=s.reviewer_id,
            status=seat_status(s),
            verdict=s.verdict.value if s.verdict and concluded else None,
        )
        for s in sorted(state.seats, key=lambda s: s.reviewer_id)
    ]
    process = None
    if promotion is not None:
        p = promotion.pending
        process = ProcessAfter(
            process_id=promotion.process_id,
            status=promotion.status.value,
            stage=promotion.stage,
            pending_step=p.step.value if p else None,
            pending_role=p.role if p else None,
        )
    return to_read(view, []).model_copy(
        update={
            "status": state.status,
            "outcome": state.outcome.value if state.outcome else None,
            "head_reviewer_id": state.head_reviewer_id,
            "escalated": state.escalated,
            "automatic": state.automatic,
            "reminder_at": state.reminder_at,
            "due_at": state.due_at,
            "findings": [f.model_dump() for f in state.findings] or None,
            "reason": state.reason,
            "seats": seats,
            "updated_at": datetime.now(UTC),
            "process": process,
        }
    )


def _host(a: Attempt[Any]) -> str | None:
    """The promotion a review runs inside, or None for a review that is its own workflow."""
    view: Row[Any] = a.target.row
    return embedded_review_host(view.review_id, view.parent_process_id)


async def _send(
    a: Attempt[Any], inp: DeclarationInput | VerdictInput, *, hosted: Any, own: Any
) -> ReviewRead:
    """Send ``inp`` to the review: as the ``hosted`` update of the promotion it runs inside (the
    answer carries the promotion's next step; a deciding verdict answers once the promotion took the
    outcome in), or as the ``own`` update of its own workflow. Refusals that only show a read model
    behind its workflow answer 503 (:mod:`actions.lag`)."""
    host = _host(a)
    if host is not None:
        through = await handed.written_through(a.services, host, a.target.process_id)
        inp = inp.model_copy(update={"written_through": through})
        answer: ReviewAnswer = await unless_lagging(
            temporal.update(a.services.client, host, hosted, inp, update_id=a.update_id),
            a.target,
            services=a.services,
        )
        await handed.record(a.services, answer.ledger, run=host, ending=answer.ending)
        return from_state(a.target.row, answer.review, answer.promotion)
    state = await unless_lagging(
        temporal.update(a.services.client, a.target.process_id, own, inp, update_id=a.update_id),
        a.target,
        services=a.services,
    )
    return from_state(a.target.row, state)


async def _declare(a: Attempt[DeclarationCreate]) -> ReviewRead:
    d = DeclarationInput(actor=a.actor, review_id=a.target.process_id, **a.body.model_dump())
    return await _send(
        a, d, hosted=PromotionWorkflow.review_declare, own=ThirdPartyReviewWorkflow.declare
    )


async def _verdict(a: Attempt[VerdictCreate]) -> ReviewRead:
    v = VerdictInput(
        actor=a.actor,
        review_id=a.target.process_id,
        verdict=a.body.verdict,
        justification=a.body.justification,
        findings=a.body.findings,
        declares_no_conflict=a.body.declares_no_conflict,
    )
    return await _send(
        a, v, hosted=PromotionWorkflow.review_verdict, own=ThirdPartyReviewWorkflow.verdict
    )


DECLARE = Action(
    name="review.declare",
    kind=ProcessKind.REVIEW,
    refused="review.declaration_refused",
    body=DeclarationCreate,
    result=ReviewRead,
    visible=_visible,
    execute=_declare,
    summary="Declare a conflict of interest with the review's subject, or none",
)

VERDICT = Action(
    name="review.verdict",
    kind=ProcessKind.REVIEW,
    refused="review.verdict_refused",
    body=VerdictCreate,
    result=ReviewRead,
    visible=_visible,
    execute=_verdict,
    summary="Approve, return with findings, or reject",
)

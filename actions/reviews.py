"""Third-party review: an assigned reviewer declares a conflict (or none), then gives a verdict."""

from __future__ import annotations

from typing import Any

from actions import temporal
from actions.lag import unless_lagging
from actions.pipeline import Action, Attempt
from actions.schemas.reviews import DeclarationCreate, ReviewRead, SeatRead, VerdictCreate
from actions.targets import Target
from domain.enums import Role
from domain.processes import ProcessKind
from infra.tokens import Principal
from store import reviews
from store.review_models import ReviewSeat, ReviewView
from workflows.contracts import DeclarationInput, VerdictInput
from workflows.review import ThirdPartyReviewWorkflow

REVIEWERS = frozenset({Role.REVIEWER.value})


def to_read(view: ReviewView, seats: list[ReviewSeat]) -> ReviewRead:
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


def may_read(principal: Principal, view: ReviewView, seat_ids: set[str]) -> bool:
    """A reviewer sees the reviews they sit on or head; anyone else by the review's agency."""
    if principal.role == Role.REVIEWER.value:
        return principal.sub == view.head_reviewer_id or principal.sub in seat_ids
    return principal.agency is None or principal.agency == view.agency


def _visible(principal: Principal, target: Target) -> bool:
    # Seats are kept on the row by the loader below (``Target.row`` is the ReviewView).
    view: ReviewView = target.row
    if principal.role != Role.REVIEWER.value:
        return may_read(principal, view, set())
    # A reviewer may be assigned after the row was read; the workflow judges the seat itself.
    return True


async def _reread(a: Attempt[Any]) -> ReviewRead:
    async with a.services.sessions() as session:
        view = await reviews.get_review(session, a.target.process_id)
        seats = list(await reviews.seats_of(session, a.target.process_id))
    assert view is not None
    return to_read(view, seats)


async def _declare(a: Attempt[DeclarationCreate]) -> ReviewRead:
    d = DeclarationInput(actor=a.actor, **a.body.model_dump())
    update = temporal.update(
        a.services.client,
        a.target.process_id,
        ThirdPartyReviewWorkflow.declare,
        d,
        update_id=a.update_id,
    )
    await unless_lagging(update, a.target)  # the review closed, its row not yet: 503
    # The update answers once its entry and the read model are written.
    return await _reread(a)


async def _verdict(a: Attempt[VerdictCreate]) -> ReviewRead:
    v = VerdictInput(
        actor=a.actor,
        verdict=a.body.verdict,
        justification=a.body.justification,
        findings=a.body.findings,
    )
    update = temporal.update(
        a.services.client,
        a.target.process_id,
        ThirdPartyReviewWorkflow.verdict,
        v,
        update_id=a.update_id,
    )
    await unless_lagging(update, a.target)  # the review closed, its row not yet: 503
    return await _reread(a)


DECLARE = Action(
    name="review.declare",
    kind=ProcessKind.REVIEW,
    refused="review.declaration_refused",
    body=DeclarationCreate,
    result=ReviewRead,
    roles=REVIEWERS,
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
    roles=REVIEWERS,
    visible=_visible,
    execute=_verdict,
    summary="Approve, return with findings, or reject",
)

"""What every talent action shares: the roles, who sees what, the reads, the two ways to act.

Stage-level actions are typed workflow updates (:func:`update`), answered from the update's result
(the new stage and the step pending next); per-person writes are SQL
transactions of ``store.talent`` that check their own gate under the review's lock and append their
entry, stamped with an id from the request's fingerprint (:func:`stamp`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from temporalio.workflow import UpdateMethodMultiParam

from actions import policy, temporal
from actions.next_step import pending_read
from actions.pipeline import Attempt, can_see_agency
from actions.schemas.talent import (
    ObjectionRead,
    PersonRead,
    TalentAppointmentRead,
    TalentReviewRead,
)
from actions.targets import Target
from domain.enums import Role
from domain.ledger import entry_id
from infra.tokens import Principal
from store.stamped import Stamp
from store.talent_models import (
    TalentAppointment,
    TalentObjection,
    TalentPerson,
    TalentReview,
)
from workflows.talent_contracts import TalentAppointmentState, TalentReviewState

A = TypeVar("A")

STARTERS = policy.action_roles("talent_review.start")
NATIONAL_ROLES = policy.NATIONAL_ROLES
READERS = policy.TALENT_READERS


def sees_agency(principal: Principal, agency: str | None) -> bool:
    return principal.role in NATIONAL_ROLES or can_see_agency(principal, agency)


def sees_review(principal: Principal, review: TalentReview) -> bool:
    """The owning agency's people; an employee of any agency in the population."""
    if principal.role == Role.EMPLOYEE.value:
        return principal.agency in review.population.get("agencies", [])
    return sees_agency(principal, review.agency)


def visible(principal: Principal, target: Target) -> bool:
    return sees_review(principal, target.row)


def to_read(r: TalentReview) -> TalentReviewRead:
    return TalentReviewRead(
        id=r.process_id,
        agency=r.agency,
        code=r.code,
        title=r.title,
        population=r.population,
        cutoff_date=r.cutoff_date,
        rulebook_version=r.rulebook_version,
        committee=r.committee,
        stage=r.stage,
        status=r.status,
        counts=r.counts or {},
        waiting_for=r.waiting_for or [],
        objections_close_at=r.objections_close_at,
        outcome_reason=r.outcome_reason,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def objection_read(o: TalentObjection) -> ObjectionRead:
    return ObjectionRead(
        nip=o.nip,
        grounds=o.grounds,
        status=o.status,
        answer=o.answer,
        new_box=o.new_box,
        answered_by=o.answered_by,
        filed_at=o.filed_at,
        answered_at=o.answered_at,
    )


def person_read(p: TalentPerson, o: TalentObjection | None) -> PersonRead:
    return PersonRead(
        review_id=p.process_id,
        nip=p.nip,
        name=p.name,
        agency=p.agency,
        excluded_code=p.excluded_code,
        excluded_reason=p.excluded_reason,
        talent_score=p.talent_score,
        computed_box=p.computed_box,
        box=p.box,
        moved_by=p.moved_by,
        move_justification=p.move_justification,
        published_box=p.published_box,
        final_box=p.final_box,
        explanation=p.explanation,
        objection=objection_read(o) if o is not None else None,
    )


def appointment_read(r: TalentAppointment) -> TalentAppointmentRead:
    return TalentAppointmentRead(
        id=r.process_id,
        **{
            k: getattr(r, k)
            for k in TalentAppointmentRead.model_fields
            if k not in ("id", "pending")
        },
    )


def review_from_state(r: TalentReview, state: TalentReviewState) -> TalentReviewRead:
    """The review as the workflow's update answered: its stage, counts and the step it waits for
    next, over the row's identity (which no action changes)."""
    return to_read(r).model_copy(
        update={
            "stage": state.stage,
            "status": state.status,
            "counts": dict(state.counts),
            "waiting_for": list(state.waiting_for),
            "objections_close_at": state.objections_close_at,
            "outcome_reason": state.outcome_reason,
            "updated_at": datetime.now(UTC),
            "pending": pending_read(state.pending),
        }
    )


def appointment_from_state(
    r: TalentAppointment, state: TalentAppointmentState
) -> TalentAppointmentRead:
    """The appointment as the workflow's update answered, over the row's identity."""
    return appointment_read(r).model_copy(
        update={
            "stage": state.stage,
            "status": state.status,
            "review_id": state.review_id,
            "decree": state.decree,
            "selection_id": state.selection_id,
            "outcome_reason": state.outcome_reason,
            "updated_at": datetime.now(UTC),
            "pending": pending_read(state.pending),
        }
    )


async def update(
    a: Attempt[Any], method: UpdateMethodMultiParam[[Any, A], TalentReviewState], arg: A
) -> TalentReviewRead:
    """A stage-level action: the workflow's typed update, answered from its result (the workflow is
    the source of truth; the read model follows it and is not read again)."""
    state = await temporal.update(
        a.services.client, a.target.process_id, method, arg, update_id=a.update_id
    )
    return review_from_state(a.target.row, state)


def stamp(a: Attempt[Any], chain: str | None = None) -> Stamp:
    """Who writes, when, under the entry id of this request (one entry however often it runs)."""
    pid = chain or a.target.process_id
    return Stamp(actor=a.actor, now=a.now, entry_id=entry_id(pid, "accepted", a.fingerprint[:40]))

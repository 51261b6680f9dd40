"""What every selection action shares: the roles, who sees a selection, and the two ways to act.

Stage-level actions are typed workflow updates (:func:`update`), answered from the update's result
(the new stage and the step pending next); candidate-level writes are SQL
transactions of ``store.selections`` that check their own gate under the row's lock and append
their entry, stamped with an id from the request's fingerprint (:func:`write`).

Roles admit the caller (the pipeline's ``roles``); the seat or identity that goes with the role is
judged where it cannot be stale: the workflow's validators for panel seats (a panel may be set
again), the store's transaction for scorers and members, and ``authorize`` for the appointing
authority named when the selection started (it never changes).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.workflow import UpdateMethodMultiParam

from actions import policy, temporal
from actions.next_step import pending_read
from actions.pipeline import Attempt, can_see_agency
from actions.schemas.selections import CountsRead, RegistrationRead, SelectionRead
from actions.targets import Target
from domain.ledger import entry_id
from domain.selection.seats import require_appointing_authority
from domain.selection.stages import Stage
from infra.tokens import Principal
from store import selections
from store.selection_models import Selection
from workflows.selection_contracts import SelectionState

A = TypeVar("A")
T = TypeVar("T")

STARTERS = policy.action_roles("selection.start")
NATIONAL_ROLES = policy.NATIONAL_ROLES
# The shortlist is public once the plenary approved it; the committee sees it as it is proposed.
SHORTLIST_PUBLIC_STAGES = frozenset(
    {Stage.OVERSIGHT_REVIEW.value, Stage.APPOINTMENT.value, Stage.COMPLETED.value}
)


def same_agency(principal: Principal, agency: str | None) -> bool:
    return principal.role in NATIONAL_ROLES or can_see_agency(principal, agency)


def visible(principal: Principal, target: Target) -> bool:
    """Another agency's selection does not exist for the caller (404)."""
    return same_agency(principal, target.agency)


async def authority_only(a: Attempt[Any]) -> None:
    """The appointing authority named at the start, with its role."""
    sel: Selection = a.target.row
    require_appointing_authority(a.actor, sel.appointing_authority_id)


def to_read(s: Selection, *, show_shortlist: bool = False) -> SelectionRead:
    public_shortlist = s.stage in SHORTLIST_PUBLIC_STAGES
    return SelectionRead(
        id=s.process_id,
        agency=s.agency,
        code=s.code,
        post_title=s.post_title,
        post_level=s.post_level,
        rulebook_version=s.rulebook_version,
        appointing_authority_id=s.appointing_authority_id,
        oversight_body=s.oversight_body,
        assessment_body=s.assessment_body,
        stage=s.stage,
        status=s.status,
        scheme=s.scheme,
        scheme_frozen=bool(s.scheme_frozen),
        components=dict(s.components or {}),
        registration=RegistrationRead(
            opens=s.registration_opens,
            closes=s.registration_closes,
            closes_at=s.registration_closes_at,
            extensions=s.extensions or 0,
        ),
        counts=CountsRead(applicants=s.applicants or 0, eligible=s.eligible or 0),
        waiting_for=list(s.waiting_for or []),
        shortlist=s.shortlist if (public_shortlist or show_shortlist) else None,
        plan_review_id=s.plan_review_id,
        shortlist_review_id=s.shortlist_review_id,
        return_count=s.return_count or 0,
        findings=s.findings,
        appointee_id=s.appointee_id,
        outcome_reason=s.outcome_reason,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


def from_state(s: Selection, state: SelectionState) -> SelectionRead:
    """The selection as the workflow's update answered: the view it recorded with this action and
    the step it waits for next, over the row's identity (which no action changes). The view's
    fields are the row's columns, so the answer is the row read with the view laid over it."""
    v = state.view
    if v is None:  # an answer given before updates carried their view (an old result replayed)
        read = to_read(s, show_shortlist=True)
        return read.model_copy(update={"stage": state.stage, "status": state.status})
    columns = {c.key: getattr(s, c.key) for c in Selection.__table__.columns}
    shown = Selection(**(columns | v.model_dump() | {"updated_at": datetime.now(UTC)}))
    read = to_read(shown, show_shortlist=True)
    return read.model_copy(update={"pending": pending_read(state.pending)})


async def update(
    a: Attempt[Any], method: UpdateMethodMultiParam[[Any, A], SelectionState], arg: A
) -> SelectionRead:
    """A stage-level action: the workflow's typed update, answered from its result (the workflow is
    the source of truth; the read model follows it and is not read again)."""
    state = await temporal.update(
        a.services.client, a.target.process_id, method, arg, update_id=a.update_id
    )
    return from_state(a.target.row, state)


def stamp(a: Attempt[Any]) -> selections.Stamp:
    """Who writes, when, under the entry id of this request (one entry however often it runs)."""
    pid = a.target.process_id
    return selections.Stamp(
        actor=a.actor, now=a.now, entry_id=entry_id(pid, "accepted", a.fingerprint[:40])
    )


async def write(a: Attempt[Any], unit: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """A candidate-level write: one transaction that checks its gate and appends its entry."""
    return await a.services.writer.run(unit)

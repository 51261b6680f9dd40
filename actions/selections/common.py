"""What every selection action shares: the roles, who sees a selection, and the two ways to act.

Stage-level actions are typed workflow updates (:func:`update`); candidate-level writes are SQL
transactions of ``store.selections`` that check their own gate under the row's lock and append
their entry, stamped with an id from the request's fingerprint (:func:`write`).

Roles admit the caller (the pipeline's ``roles``); the seat or identity that goes with the role is
judged where it cannot be stale: the workflow's validators for panel seats (a panel may be set
again), the store's transaction for scorers and members, and ``authorize`` for the appointing
authority named when the selection started (it never changes).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.workflow import UpdateMethodMultiParam

from actions import policy, temporal
from actions.pipeline import Attempt, can_see_agency
from actions.schemas.selections import CountsRead, RegistrationRead, SelectionRead
from actions.targets import Target
from domain.ledger import entry_id
from domain.selection.seats import require_appointing_authority
from domain.selection.stages import Stage
from infra.tokens import Principal
from store import selections
from store.selection_models import Selection

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


async def reread(a: Attempt[Any]) -> SelectionRead:
    """The selection as its read model now shows it (an update answers once it is recorded)."""
    async with a.services.sessions() as session:
        sel = await selections.get(session, a.target.process_id)
    assert sel is not None
    return to_read(sel, show_shortlist=True)


async def update(
    a: Attempt[Any], method: UpdateMethodMultiParam[[Any, A], Any], arg: A
) -> SelectionRead:
    """A stage-level action: the workflow's typed update, then the selection as recorded."""
    await temporal.update(
        a.services.client, a.target.process_id, method, arg, update_id=a.update_id
    )
    return await reread(a)


def stamp(a: Attempt[Any]) -> selections.Stamp:
    """Who writes, when, under the entry id of this request (one entry however often it runs)."""
    pid = a.target.process_id
    return selections.Stamp(
        actor=a.actor, now=a.now, entry_id=entry_id(pid, "accepted", a.fingerprint[:40])
    )


async def write(a: Attempt[Any], unit: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """A candidate-level write: one transaction that checks its gate and appends its entry."""
    return await a.services.writer.run(unit)

"""Rank promotions: start one (idempotent by employee and period), decide its pending step."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import BaseModel
from sqlalchemy import Row
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from actions import handed, temporal
from actions.lag import unless_lagging
from actions.pipeline import Action, Attempt
from actions.registry import spec
from actions.schemas.pending import PendingRead
from actions.schemas.promotions import DecisionCreate, PromotionCreate, PromotionRead
from actions.services import Services
from actions.targets import Target
from domain.enums import Role
from domain.errors import Conflict, NotFound, RuleViolation
from domain.processes import ProcessKind
from domain.rulebook import (
    Rulebook,
    check_period,
    check_submission_window,
    get_rulebook,
    rulebook_for_period,
)
from domain.training import require_usable
from infra.tokens import Principal
from store import repositories, reviews
from store.models import PromotionView
from workflows.contracts import DecisionInput, PromotionState, StartPromotion, promotion_workflow_id
from workflows.promotion import PromotionWorkflow

log = structlog.get_logger(__name__)


class Started(BaseModel):
    """A start's answer: the process, and whether this request created it."""

    created: bool
    promotion: PromotionRead


def to_read(v: PromotionView | Row[Any]) -> PromotionRead:
    """The row as the API shows it: an ORM row, or the Core row the pipeline loads its target as."""
    pending = None
    if v.pending_step:
        pending = PendingRead(
            step=v.pending_step,
            role=v.pending_role or "",
            actor_id=v.pending_actor_id,
            escalated_to_role=v.escalated_to_role,
            reminder_at=v.reminder_at,
            due_at=v.due_at,
            auto_approve_at=v.auto_approve_at,
            review_id=v.pending_review_id,
        )
    return PromotionRead(
        id=v.process_id,
        nip=v.nip,
        agency=v.agency,
        period=v.period,
        type=v.promotion_type,
        status=v.status,
        stage=v.stage,
        rulebook_version=v.rulebook_version,
        eligibility=v.eligibility,
        pending=pending,
        decree=v.decree,
        last_decision=v.last_decision,
        return_count=v.return_count,
        outcome_reason=v.outcome_reason,
        created_at=v.created_at,
        updated_at=v.updated_at,
    )


def from_state(
    row: PromotionView | Row[Any], state: PromotionState, now: datetime
) -> PromotionRead:
    """The promotion as the workflow's update answered: its own state over the row's identity."""
    p = state.pending
    pending = None
    if p is not None:
        pending = PendingRead(
            step=p.step.value,
            role=p.role,
            actor_id=p.actor_id,
            escalated_to_role=p.escalated_to,
            reminder_at=p.reminder_at,
            due_at=p.due_at,
            auto_approve_at=p.auto_approve_at,
            review_id=p.review_id,
            reviewers=[
                s.reviewer_id for s in (state.review.seats if state.review else []) if not s.recused
            ],
        )
    return to_read(row).model_copy(
        update={
            "status": state.status.value,
            "stage": state.stage,
            "pending": pending,
            # An update's answer leaves out the eligibility, assessed once and already in the row.
            "eligibility": (
                state.eligibility.model_dump(mode="json") if state.eligibility else row.eligibility
            ),
            "decree": state.decree.model_dump(mode="json") if state.decree else None,
            "last_decision": state.last_decision,
            "return_count": state.return_count,
            "outcome_reason": state.outcome_reason,
            "updated_at": now,
        }
    )


# ---- start --------------------------------------------------------------------------------------


async def _locate(services: Services, principal: Principal, body: PromotionCreate) -> Target:
    async with services.sessions() as session:
        employee = await repositories.get_employee(session, body.nip)
    if employee is None or not (principal.agency is None or principal.agency == employee.agency):
        raise NotFound(
            f"No employee with NIP {body.nip} is known here.",
            code="employee_not_found",
            field="nip",
        )
    pid = promotion_workflow_id(body.nip, body.period)
    return Target(ProcessKind.PROMOTION, pid, employee.agency, None, body.nip, None, employee)


def _rulebook(a: Attempt[PromotionCreate]) -> Rulebook:
    """The rulebook the caller named (a training one only where the environment allows it), or
    the one in force for the period."""
    version = a.body.rulebook_version
    if version is None:
        return rulebook_for_period(a.body.period)
    try:
        rulebook = get_rulebook(version)
    except NotFound as err:
        raise RuleViolation(err.message, code=err.code, field="rulebook_version") from None
    require_usable(rulebook, a.services.settings.env)
    return rulebook


def _check_start(a: Attempt[PromotionCreate]) -> None:
    rulebook = _rulebook(a)
    check_period(rulebook, a.body.period)
    check_submission_window(rulebook, a.body.period, a.now.date())


async def _start(a: Attempt[PromotionCreate]) -> Started:
    body, target = a.body, a.target
    rulebook = _rulebook(a)
    start = StartPromotion(
        nip=body.nip,
        agency=str(target.agency),
        period=body.period,
        promotion_type=body.type,
        rulebook_version=rulebook.version,
        requested_by=a.actor,
    )
    # BKN's roster travels with the start: the promotion assigns its reviewer itself, with no
    # activity of its own (standing conflicts with the employee or their supervisor excluded).
    supervisor = (target.row.record or {}).get("supervisor_nip")
    persons = [body.nip] + ([str(supervisor)] if supervisor else [])
    async with a.services.sessions() as session:
        roster = await reviews.roster_snapshot(session, start.technical_approval_body, persons)
    start = start.model_copy(update={"review_roster": roster})
    # The read-model row exists before the workflow does, so the workflow's first writes (which
    # update that row) can never land before it and be lost.
    async with a.services.sessions() as session, session.begin():
        created = await repositories.insert_promotion_if_absent(
            session,
            process_id=target.process_id,
            nip=start.nip,
            agency=start.agency,
            period=start.period,
            promotion_type=start.promotion_type.value,
            rulebook_version=start.rulebook_version,
            now=datetime.now(UTC),
        )
        if not created:
            existing = await repositories.get_promotion(session, target.process_id)
            assert existing is not None
            _same_rulebook(existing, rulebook)
    try:
        await temporal.guard_rpc(
            a.services.client.start_workflow(
                PromotionWorkflow.run,
                start,
                id=target.process_id,
                task_queue=spec(ProcessKind.PROMOTION).queue(a.services),
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        )
    except WorkflowAlreadyStartedError:
        # A finished promotion of this employee and period: return it, start nothing.
        log.info("promotion.already_exists", process_id=target.process_id)
    async with a.services.sessions() as session:
        view = await repositories.get_promotion(session, target.process_id)
    assert view is not None
    return Started(created=created, promotion=to_read(view))


def _same_rulebook(view: PromotionView, rulebook: Rulebook) -> None:
    """A start that finds the promotion pinned to another rulebook must not pass for it."""
    if view.rulebook_version == rulebook.version:
        return
    raise Conflict(
        f"{view.process_id} already exists under the rulebook {view.rulebook_version!r}, not "
        f"{rulebook.version!r}; one employee has one promotion per period.",
        code="promotion_exists_under_other_rulebook",
        field="rulebook_version",
        rulebook=view.rulebook_version,
    )


START = Action(
    name="promotion.start",
    kind=ProcessKind.PROMOTION,
    refused="promotion.start_refused",
    body=PromotionCreate,
    result=Started,
    locate=_locate,
    precheck=_check_start,
    execute=_start,
    subject=lambda b: b.nip,
    summary="Start a promotion; the same employee and period returns the existing one",
)


# ---- decide -------------------------------------------------------------------------------------


def _chain_visible(principal: Principal, target: Target) -> bool:
    """BKN approves for every agency; everyone else sees their own agency's promotions."""
    return principal.role == Role.BKN.value or principal.agency in (None, target.agency)


async def _decide(a: Attempt[DecisionCreate]) -> PromotionRead:
    body = a.body
    decision = DecisionInput(
        actor=a.actor,
        decision=body.decision,
        justification=body.justification,
        step=body.step,
        corrections=body.corrections,
        decree_number=body.decree_number,
        written_through=await handed.written_through(a.services, a.target.process_id),
    )
    update = temporal.update(
        a.services.client,
        a.target.process_id,
        PromotionWorkflow.decide,
        decision,
        update_id=a.update_id,
    )
    step = body.step.value if body.step is not None else None
    answer = await unless_lagging(update, a.target, step, services=a.services)  # behind: 503
    await handed.record(a.services, answer.ledger, run=a.target.process_id, ending=answer.ending)
    return from_state(a.target.row, answer.state, datetime.now(UTC))


DECIDE = Action(
    name="promotion.decide",
    kind=ProcessKind.PROMOTION,
    refused="promotion.decision_refused",
    body=DecisionCreate,
    result=PromotionRead,
    visible=_chain_visible,
    execute=_decide,
    summary="Approve, return for correction, or reject the pending step",
)

"""Rank promotions: start (idempotent by employee and period), read, decide."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api import idempotency
from api.auth import PrincipalDep, actor_of, can_see_agency, require_roles
from api.deps import ClientDep, ContextDep, SessionDep
from api.errors import ApiError, from_domain, responses, update_refusal, validation_error
from api.idempotency import IdempotencyKeyHeader
from api.refusals import record_refusal
from api.schemas.promotions import (
    DecisionCreate,
    PendingRead,
    PromotionCreate,
    PromotionPage,
    PromotionRead,
)
from domain.enums import PromotionStatus, Role, Step
from domain.errors import DomainError
from domain.promotion_chain import Move, PendingFacts, validate_decision
from domain.rulebook import check_period, get_rulebook, rulebook_for_period
from infra.tokens import Principal
from store import repositories
from store.models import PromotionView
from workflows.contracts import DecisionInput, StartPromotion, promotion_workflow_id
from workflows.promotion import PromotionWorkflow

router = APIRouter(prefix="/v1/promotions", tags=["promotions"])
log = structlog.get_logger(__name__)

STARTERS = require_roles(Role.HR_SYSTEM, Role.AGENCY_HR)
CHAIN_ROLES = {
    Role.SUPERVISOR,
    Role.PROMOTION_BOARD,
    Role.AGENCY_HR,
    Role.BKN,
    Role.APPOINTING_AUTHORITY,
    Role.ADMIN,
}
UPDATE_ERROR_STATUS = {
    "rule_violation": 422,
    "justification_required": 422,
    "return_not_allowed": 422,
    "decree_number_required": 422,
}


def to_read(v: PromotionView) -> PromotionRead:
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


@router.post(
    "",
    status_code=201,
    response_model=PromotionRead,
    responses=responses(200, 401, 403, 404, 413, 422),
    summary="Start a promotion; the same employee and period returns the existing one (200)",
)
async def start_promotion(
    body: PromotionCreate,
    response: Response,
    request: Request,
    principal: Annotated[Principal, Depends(STARTERS)],
    ctx: ContextDep,
    session: SessionDep,
    client: ClientDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> PromotionRead:
    employee = await repositories.get_employee(session, body.nip)
    # Give the connection back before the slow part: a request must never hold one pooled
    # connection while it waits for another (20 concurrent starts exhausted the pool).
    await session.close()
    if employee is None or not can_see_agency(principal, employee.agency):
        raise ApiError(404, "employee_not_found", f"No employee with NIP {body.nip} is known here.")
    process_id = promotion_workflow_id(body.nip, body.period)
    key = await idempotency.claim(
        ctx,
        principal,
        idempotency_key,
        scope="promotions.start",
        body=body.model_dump(mode="json"),
        process_id=process_id,
    )
    try:
        rulebook = rulebook_for_period(body.period)
        check_period(rulebook, body.period)
    except DomainError as err:
        error = from_domain(err)
        await record_refusal(
            ctx.sessions,
            process_id=process_id,
            process_kind="promotion",
            kind="promotion.start_refused",
            actor=actor_of(principal),
            error=error,
            agency=employee.agency,
            subject=body.nip,
            payload={"period": body.period.isoformat(), "type": body.type.value},
            request_id=request.state.request_id,
        )
        raise error from err
    start = StartPromotion(
        nip=body.nip,
        agency=employee.agency,
        period=body.period,
        promotion_type=body.type,
        rulebook_version=rulebook.version,
        requested_by=actor_of(principal),
    )
    # The read-model row exists before the workflow does, so the workflow's first writes
    # (which update that row) can never land before it and be lost.
    created = await _ensure_view(ctx, process_id, start)
    if not key.replayed:  # a replayed key's process was started: maybe gone from Temporal since
        await _start_workflow(client, ctx.settings.task_queue, process_id, start)
    if not created:
        response.status_code = 200
    await idempotency.complete(ctx, key, response, response.status_code or 201)
    async with ctx.sessions() as fresh:
        view = await repositories.get_promotion(fresh, process_id)
    assert view is not None
    return to_read(view)


async def _start_workflow(
    client: ClientDep, task_queue: str, process_id: str, start: StartPromotion
) -> None:
    try:
        await client.start_workflow(
            PromotionWorkflow.run,
            start,
            id=process_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        # A finished promotion of this employee and period: return it, start nothing.
        log.info("promotion.already_exists", process_id=process_id)


async def _ensure_view(ctx: ContextDep, process_id: str, start: StartPromotion) -> bool:
    async with ctx.sessions() as session, session.begin():
        return await repositories.insert_promotion_if_absent(
            session,
            process_id=process_id,
            nip=start.nip,
            agency=start.agency,
            period=start.period,
            promotion_type=start.promotion_type.value,
            rulebook_version=start.rulebook_version,
            now=datetime.now(UTC),
        )


@router.get("", response_model=PromotionPage, responses=responses(401, 403, 422))
async def list_promotions(
    principal: PrincipalDep,
    session: SessionDep,
    agency: str | None = None,
    status: PromotionStatus | None = None,
    period: date | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> PromotionPage:
    if principal.agency is not None:
        if agency is not None and agency != principal.agency:
            raise ApiError(
                403, "agency_out_of_scope", "You can list your own agency's promotions only."
            )
        agency = principal.agency
    rows = await repositories.list_promotions(
        session,
        agency=agency,
        status=status.value if status else None,
        period=period,
        limit=limit + 1,
        after=cursor,
    )
    items = [to_read(r) for r in rows[:limit]]
    next_cursor = items[-1].id if len(rows) > limit and items else None
    return PromotionPage(items=items, next_cursor=next_cursor)


async def _visible(session: SessionDep, principal: Principal, process_id: str) -> PromotionView:
    view = await repositories.get_promotion(session, process_id)
    if view is None or not can_see_agency(principal, view.agency):
        raise ApiError(404, "not_found", f"No promotion '{process_id}' is visible to you.")
    return view


@router.get("/{process_id}", response_model=PromotionRead, responses=responses(401, 404))
async def get_promotion(
    process_id: str, principal: PrincipalDep, session: SessionDep
) -> PromotionRead:
    return to_read(await _visible(session, principal, process_id))


@router.post(
    "/{process_id}/decisions",
    response_model=PromotionRead,
    responses=responses(401, 403, 404, 409, 413, 422),
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": DecisionCreate.model_json_schema()}},
            "required": True,
        }
    },
    summary="Approve, return for correction, or reject the pending step",
)
async def decide(
    process_id: str,
    request: Request,
    principal: PrincipalDep,
    ctx: ContextDep,
    session: SessionDep,
    client: ClientDep,
) -> PromotionRead:
    view = await repositories.get_promotion(session, process_id)
    if view is None:
        raise ApiError(404, "not_found", f"No promotion '{process_id}' is visible to you.")
    await session.close()
    attempt = _Attempt(ctx, view, principal, request.state.request_id)
    if not can_see_agency(principal, view.agency) and principal.role != Role.BKN.value:
        await attempt.refuse(
            ApiError(404, "not_found", f"No promotion '{process_id}' is visible to you.")
        )
    if principal.role not in CHAIN_ROLES:
        await attempt.refuse(
            ApiError(
                403,
                "forbidden_role",
                f"The role '{principal.role}' takes no part in promotion approvals.",
            )
        )
    body = await attempt.parse(request)
    decision = DecisionInput(
        actor=actor_of(principal),
        decision=body.decision,
        justification=body.justification,
        step=body.step,
        corrections=body.corrections,
        decree_number=body.decree_number,
    )
    await attempt.precheck(decision)
    await attempt.send(client, decision)
    async with ctx.sessions() as fresh:
        updated = await repositories.get_promotion(fresh, process_id)
    assert updated is not None
    return to_read(updated)


class _Attempt:
    """One decision attempt: every way it can be refused ends in the ledger."""

    def __init__(
        self, ctx: ContextDep, view: PromotionView, principal: Principal, request_id: str
    ) -> None:
        self.ctx, self.view, self.principal, self.request_id = ctx, view, principal, request_id

    async def refuse(self, error: ApiError) -> None:
        v = self.view
        await record_refusal(
            self.ctx.sessions,
            process_id=v.process_id,
            process_kind="promotion",
            kind="promotion.decision_refused",
            actor=actor_of(self.principal),
            error=error,
            agency=v.agency,
            subject=v.nip,
            stage=v.stage,
            rulebook_version=v.rulebook_version,
            request_id=self.request_id,
        )
        raise error

    async def parse(self, request: Request) -> DecisionCreate:
        try:
            raw = await request.body()
        except ApiError as err:
            await self.refuse(err)
        try:
            return DecisionCreate.model_validate_json(raw)
        except ValidationError as err:
            await self.refuse(validation_error(err.errors()))
        raise AssertionError("unreachable")

    async def precheck(self, d: DecisionInput) -> None:
        """Refuse from the read model what the workflow would refuse, without a round trip."""
        v = self.view
        pending = None
        if v.pending_step:
            pending = PendingFacts(
                step=Step(v.pending_step),
                actor_id=v.pending_actor_id,
                escalated_to=v.escalated_to_role,
                review_id=v.pending_review_id,
            )
        try:
            validate_decision(
                get_rulebook(v.rulebook_version),
                status=PromotionStatus(v.status),
                pending=pending,
                agency=v.agency,
                busy=False,
                move=Move(
                    actor=d.actor,
                    decision=d.decision,
                    justification=d.justification,
                    step_seen=d.step,
                    decree_number=d.decree_number,
                ),
            )
        except DomainError as err:
            await self.refuse(from_domain(err))

    async def send(self, client: ClientDep, d: DecisionInput) -> None:
        handle = client.get_workflow_handle_for(PromotionWorkflow.run, self.view.process_id)
        try:
            await handle.execute_update(
                PromotionWorkflow.decide, d, id=f"decision-{self.request_id}"
            )
        except WorkflowUpdateFailedError as err:
            await self.refuse(update_refusal(err, UPDATE_ERROR_STATUS))

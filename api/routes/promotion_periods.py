"""Promotion periods: opened by an HR event (``id.go.bkn.promotion_period.opened.v1``), read here.

The tally is computed from the promotions read model (every promotion of the agency in the period)
and the period row the workflow's activities keep (requested, started, already running, status).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from actions.schemas.events import (
    PeriodOpenedData,
    PeriodTally,
    PromotionPeriodPage,
    PromotionPeriodRead,
)
from api.auth import PrincipalDep, actor_of, can_see_agency
from api.deps import AppContext, SessionDep
from api.errors import ApiError, responses
from api.refusals import record_refusal
from api.routes.events import Incoming, Plan, parse_data, scoped_agency
from domain import cloudevents as ce
from domain.enums import PromotionStatus
from domain.errors import DomainError
from domain.rulebook import Rulebook, check_period, rulebook_for_period
from store import events as store_events
from store.event_models import PromotionPeriod
from workflows.promotion_period import (
    PeriodInput,
    PromotionPeriodWorkflow,
    promotion_period_workflow_id,
)

router = APIRouter(prefix="/v1/promotion-periods", tags=["promotion periods"])
log = structlog.get_logger(__name__)
# Employees named by an event are checked against the employee table, when that is the HR source.
UNKNOWN_SHOWN = 10


# --- reads -------------------------------------------------------------------------------------


async def to_read(session: SessionDep, p: PromotionPeriod) -> PromotionPeriodRead:
    counts = await store_events.period_tally(session, p.agency, p.period)
    tally = PeriodTally(
        total=counts["total"],
        starting=counts.get(PromotionStatus.STARTING.value, 0),
        in_progress=counts.get(PromotionStatus.IN_PROGRESS.value, 0),
        ineligible=counts.get(PromotionStatus.INELIGIBLE.value, 0),
        approved=counts.get(PromotionStatus.COMPLETED.value, 0),
        rejected=counts.get(PromotionStatus.REJECTED.value, 0),
        failed=counts.get(PromotionStatus.FAILED.value, 0),
        returned=counts["returned"],
    )
    pending = None
    if p.requested is not None:
        pending = max(p.requested - p.started - p.already_running, 0)
    return PromotionPeriodRead(
        id=p.id,
        agency=p.agency,
        period=p.period,
        type=p.promotion_type,
        rulebook_version=p.rulebook_version,
        member_source=p.member_source,
        status=p.status,
        requested=p.requested,
        started=p.started,
        already_running=p.already_running,
        pending_start=pending,
        runs=p.runs,
        tally=tally,
        created_at=p.created_at,
        updated_at=p.updated_at,
        completed_at=p.completed_at,
    )


@router.get("", response_model=PromotionPeriodPage, responses=responses(401, 403, 422))
async def list_periods(
    principal: PrincipalDep,
    session: SessionDep,
    agency: str | None = None,
    period: date | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> PromotionPeriodPage:
    if principal.agency is not None:
        if agency is not None and agency != principal.agency:
            raise ApiError(
                403, "agency_out_of_scope", "You can list your own agency's periods only."
            )
        agency = principal.agency
    rows = await store_events.list_periods(
        session, agency=agency, period=period, status=status, limit=limit + 1, after=cursor
    )
    items = [await to_read(session, r) for r in rows[:limit]]
    next_cursor = items[-1].id if len(rows) > limit and items else None
    return PromotionPeriodPage(items=items, next_cursor=next_cursor)


@router.get("/{period_id}", response_model=PromotionPeriodRead, responses=responses(401, 404))
async def get_period(
    period_id: str, principal: PrincipalDep, session: SessionDep
) -> PromotionPeriodRead:
    row = await store_events.get_period(session, period_id)
    if row is None or not can_see_agency(principal, row.agency):
        raise ApiError(404, "not_found", f"No promotion period '{period_id}' is visible to you.")
    return await to_read(session, row)


# --- the event that opens a period --------------------------------------------------------------


async def plan_period_opened(ctx: AppContext, client: Client, inc: Incoming) -> Plan:
    data = parse_data(PeriodOpenedData, inc.event)
    agency = scoped_agency(inc.principal, data.agency)
    if agency is None:
        raise ApiError(
            422,
            "validation_error",
            "data.agency is required when the token names no agency.",
            [{"field": "data.agency", "message": "required with a national token"}],
        )
    period_id = promotion_period_workflow_id(agency, data.period)
    rulebook = await _rulebook(ctx, inc, period_id, agency, data)
    if data.nips is not None and ctx.settings.hr_source == "table":
        await _check_members(ctx, agency, data.nips)
    inp = PeriodInput(
        period_id=period_id,
        agency=agency,
        period=data.period,
        promotion_type=data.type,
        rulebook_version=rulebook.version,
        requested_by=actor_of(inc.principal),
        nips=data.nips,
        max_in_flight=ctx.settings.period_max_in_flight,
        children_per_run=ctx.settings.period_children_per_run,
        page_size=ctx.settings.period_page_size,
    )

    async def dispatch() -> dict[str, Any]:
        return await _start_period(ctx, client, inp)

    return Plan(
        agency=agency,
        process_id=period_id,
        detail="Received; starting the promotion period.",
        period_row=_period_row(inp, inc),
        dispatch=dispatch,
    )


async def _rulebook(
    ctx: AppContext, inc: Incoming, period_id: str, agency: str, data: PeriodOpenedData
) -> Rulebook:
    try:
        rulebook = rulebook_for_period(data.period)
        check_period(rulebook, data.period)
    except DomainError as err:
        error = err
        await record_refusal(
            ctx.sessions,
            process_id=period_id,
            process_kind="promotion_period",
            kind="promotion_period.start_refused",
            actor=actor_of(inc.principal),
            error=error,
            agency=agency,
            payload={
                "period": data.period.isoformat(),
                "event_id": inc.event.id,
                "source": inc.event.source,
            },
            request_id=inc.request_id,
        )
        raise error from err
    return rulebook


async def _check_members(ctx: AppContext, agency: str, nips: list[str]) -> None:
    async with ctx.sessions() as session:
        known = await store_events.nips_in_agency(session, agency, nips)
    unknown = [n for n in nips if n not in known]
    if unknown:
        shown = ", ".join(unknown[:UNKNOWN_SHOWN]) + (" …" if len(unknown) > UNKNOWN_SHOWN else "")
        raise ApiError(
            422,
            "employees_not_in_agency",
            f"{len(unknown)} of the NIPs are not employees of {agency} on file: {shown}.",
            [{"field": "data.nips", "message": f"not employees of {agency}: {shown}"}],
        )


def _period_row(inp: PeriodInput, inc: Incoming) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": inp.period_id,
        "agency": inp.agency,
        "period": inp.period,
        "promotion_type": inp.promotion_type.value,
        "rulebook_version": inp.rulebook_version,
        "member_source": "list" if inp.nips is not None else "hr_source",
        "status": "starting",
        "event_ref": ce.event_ref(inc.event.source, inc.event.id),
        "requested_by": inc.principal.sub,
        "created_at": now,
        "updated_at": now,
    }


async def _start_period(ctx: AppContext, client: Client, inp: PeriodInput) -> dict[str, Any]:
    async with ctx.sessions() as session:
        row = await store_events.get_period(session, inp.period_id)
    if row is not None and row.status == "completed":
        # Finished, maybe long gone from Temporal: the row says so, and nothing is started.
        return {"detail": f"The period {inp.period_id} has already started all its promotions."}
    try:
        await client.start_workflow(
            PromotionPeriodWorkflow.run,
            inp,
            id=inp.period_id,
            task_queue=ctx.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        log.info("period.already_exists", period_id=inp.period_id)
    return {
        "detail": f"The promotion period {inp.period_id} is starting one promotion per "
        f"employee; follow GET /v1/promotion-periods/{inp.period_id}."
    }

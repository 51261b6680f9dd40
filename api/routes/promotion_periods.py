"""Promotion periods: opened by an HR event (``id.go.bkn.promotion_period.opened.v1``, the action
is ``actions/periods.py``), read here.

The tally is computed from the promotions read model (every promotion of the agency in the period)
and the period row the workflow's activities keep (requested, started, already running, status).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from actions.schemas.events import (
    PeriodTally,
    PromotionPeriodPage,
    PromotionPeriodRead,
)
from api.auth import PrincipalDep, can_see_agency
from api.deps import SessionDep
from api.errors import ApiError, responses
from domain.enums import PromotionStatus
from store import events as store_events
from store.event_models import PromotionPeriod

router = APIRouter(prefix="/v1/promotion-periods", tags=["promotion periods"])


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

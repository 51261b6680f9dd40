"""Promotion periods: opened by an HR event (``id.go.bkn.promotion_period.opened.v1``, the action
is ``actions/periods.py``), read here (``actions/queries/periods.py``).

The tally is computed from the promotions read model (every promotion of the agency in the period)
and the period row the workflow's activities keep (requested, started, already running, status).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from actions.queries import periods as reads
from actions.schemas.events import PromotionPeriodPage, PromotionPeriodRead
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses
from api.params import IsoDate

router = APIRouter(prefix="/v1/promotion-periods", tags=["promotion periods"])


@router.get("", response_model=PromotionPeriodPage, responses=responses(401, 403, 422))
async def list_periods(
    principal: PrincipalDep,
    ctx: ContextDep,
    agency: str | None = None,
    period: IsoDate | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> PromotionPeriodPage:
    return await reads.page(
        ctx, principal, agency=agency, period=period, status=status, limit=limit, cursor=cursor
    )


@router.get("/{period_id}", response_model=PromotionPeriodRead, responses=responses(401, 404))
async def get_period(
    period_id: str, principal: PrincipalDep, ctx: ContextDep
) -> PromotionPeriodRead:
    return await reads.get(ctx, principal, period_id)

"""Rank promotions: start (idempotent by employee and period), read, decide.

The two actions are the pipeline's (``actions/promotions.py``); this module reads the request and
answers with the action's result.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from actions.promotions import DECIDE, START
from actions.queries import promotions as reads
from actions.schemas.promotions import DecisionCreate, PromotionCreate, PromotionPage, PromotionRead
from api.actions import act, body_schema
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses
from api.params import IsoDate
from domain.enums import PromotionStatus

router = APIRouter(prefix="/v1/promotions", tags=["promotions"])


@router.post(
    "",
    status_code=201,
    response_model=PromotionRead,
    responses=responses(200, 401, 403, 404, 409, 413, 422, 503),
    openapi_extra=body_schema(PromotionCreate),
    summary=START.summary,
)
async def start_promotion(
    request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> PromotionRead:
    done = await act(request, ctx, START, principal)
    if not done.result.created:
        response.status_code = 200
    if done.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return done.result.promotion


@router.get("", response_model=PromotionPage, responses=responses(401, 403, 422))
async def list_promotions(
    principal: PrincipalDep,
    ctx: ContextDep,
    agency: str | None = None,
    status: PromotionStatus | None = None,
    period: IsoDate | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> PromotionPage:
    return await reads.page(
        ctx,
        principal,
        agency=agency,
        status=status.value if status else None,
        period=period,
        limit=limit,
        cursor=cursor,
    )


@router.get("/{process_id}", response_model=PromotionRead, responses=responses(401, 404))
async def get_promotion(process_id: str, principal: PrincipalDep, ctx: ContextDep) -> PromotionRead:
    return await reads.get(ctx, principal, process_id)


@router.post(
    "/{process_id}/decisions",
    response_model=PromotionRead,
    responses=responses(401, 403, 404, 409, 413, 422, 503),
    openapi_extra=body_schema(DecisionCreate),
    summary=DECIDE.summary,
)
async def decide(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> PromotionRead:
    return (await act(request, ctx, DECIDE, principal, process_id)).result

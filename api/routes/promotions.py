"""Rank promotions: start (idempotent by employee and period), read, decide.

The two actions are the pipeline's (``actions/promotions.py``); this module reads the request and
answers with the action's result.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from actions.promotions import DECIDE, START
from actions.queries import promotions as reads
from actions.queries.waiting import normalise, parse_wait, version_of
from actions.schemas.promotions import DecisionCreate, PromotionCreate, PromotionPage, PromotionRead
from api.actions import act, answered, body_schema
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses
from api.params import WAIT_DOC, AfterQuery, IfNoneMatch, IsoDate, WaitQuery
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


@router.get(
    "/{process_id}",
    response_model=PromotionRead,
    responses={**responses(401, 404, 422), 304: {"description": "Unchanged after the wait"}},
    summary="Read a promotion; with ?wait=, wait (bounded) for it to change",
    description=WAIT_DOC,
)
async def get_promotion(
    process_id: str,
    principal: PrincipalDep,
    ctx: ContextDep,
    response: Response,
    wait: WaitQuery = None,
    after: AfterQuery = None,
    if_none_match: IfNoneMatch = None,
) -> PromotionRead | Response:
    wait_s = parse_wait(wait)
    read, version = await reads.get_when_changed(
        ctx, principal, process_id, seen=after or if_none_match, wait_s=wait_s
    )
    if after is None and normalise(if_none_match) == version:
        return Response(status_code=304, headers={"ETag": version})
    response.headers["ETag"] = version
    return read


@router.post(
    "/{process_id}/decisions",
    response_model=PromotionRead,
    responses=responses(401, 403, 404, 409, 413, 422, 503),
    openapi_extra=body_schema(DecisionCreate),
    summary=DECIDE.summary,
)
async def decide(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> PromotionRead:
    """The answer is the promotion as the workflow left it after this decision (its new state and
    next pending step, from the workflow update's result), with its version as `ETag`."""
    result = answered(await act(request, ctx, DECIDE, principal, process_id), response)
    response.headers["ETag"] = version_of(result)
    return result

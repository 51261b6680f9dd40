"""Third-party review: review bodies and their rosters, reviews, conflict declarations, verdicts.

Every write is a pipeline action (``actions/review_admin.py``, ``actions/reviews.py``); this module
reads the request, answers with the action's result, and serves the reads.
"""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Query, Request, Response

from actions.queries import reviews as review_reads
from actions.queries.waiting import normalise, parse_wait, version_of
from actions.review_admin import DECLARE_STANDING_CONFLICT, REGISTER_BODY, REGISTER_REVIEWER
from actions.reviews import DECLARE, VERDICT
from actions.schemas.reviews import (
    BodyCreate,
    BodyRead,
    ConflictCreate,
    DeclarationCreate,
    ReviewerCreate,
    ReviewPage,
    ReviewRead,
    VerdictCreate,
)
from api.actions import act, body_schema
from api.auth import PrincipalDep
from api.deps import ContextDep, SessionDep
from api.errors import responses
from api.params import WAIT_DOC, AfterQuery, IfNoneMatch, WaitQuery
from store import reviews

router = APIRouter(tags=["reviews"])
log = structlog.get_logger(__name__)
ADMIN_ERRORS = (401, 403, 404, 413, 422, 503)


@router.post(
    "/v1/review-bodies",
    status_code=201,
    response_model=BodyRead,
    responses=responses(*ADMIN_ERRORS),
    openapi_extra=body_schema(BodyCreate),
    summary=REGISTER_BODY.summary,
)
async def register_body(request: Request, principal: PrincipalDep, ctx: ContextDep) -> BodyRead:
    return (await act(request, ctx, REGISTER_BODY, principal)).result


@router.get("/v1/review-bodies", response_model=list[BodyRead], responses=responses(401))
async def list_bodies(_: PrincipalDep, session: SessionDep) -> list[BodyRead]:
    return [
        BodyRead.model_validate(b, from_attributes=True) for b in await reviews.list_bodies(session)
    ]


@router.post(
    "/v1/review-bodies/{code}/reviewers",
    status_code=201,
    response_model=ReviewerCreate,
    responses=responses(*ADMIN_ERRORS),
    openapi_extra=body_schema(ReviewerCreate),
    summary=REGISTER_REVIEWER.summary,
)
async def register_reviewer(
    code: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ReviewerCreate:
    return (await act(request, ctx, REGISTER_REVIEWER, principal, code)).result


@router.post(
    "/v1/reviewers/{reviewer_id}/conflicts",
    status_code=201,
    response_model=ConflictCreate,
    responses=responses(*ADMIN_ERRORS),
    openapi_extra=body_schema(ConflictCreate),
    summary=DECLARE_STANDING_CONFLICT.summary,
)
async def declare_standing_conflict(
    reviewer_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ConflictCreate:
    return (await act(request, ctx, DECLARE_STANDING_CONFLICT, principal, reviewer_id)).result


@router.get("/v1/reviews", response_model=ReviewPage, responses=responses(401, 422))
async def list_reviews(
    principal: PrincipalDep,
    ctx: ContextDep,
    status: str | None = None,
    subject_type: str | None = None,
    body_code: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> ReviewPage:
    return await review_reads.page(
        ctx,
        principal,
        status=status,
        subject_type=subject_type,
        body_code=body_code,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/v1/reviews/{review_id}",
    response_model=ReviewRead,
    responses={**responses(401, 404, 422), 304: {"description": "Unchanged after the wait"}},
    summary="Read a review; with ?wait=, wait (bounded) for it to change",
    description=WAIT_DOC,
)
async def get_review(
    review_id: str,
    principal: PrincipalDep,
    ctx: ContextDep,
    response: Response,
    wait: WaitQuery = None,
    after: AfterQuery = None,
    if_none_match: IfNoneMatch = None,
) -> ReviewRead | Response:
    read, version = await review_reads.get_when_changed(
        ctx, principal, review_id, seen=after or if_none_match, wait_s=parse_wait(wait)
    )
    if after is None and normalise(if_none_match) == version:
        return Response(status_code=304, headers={"ETag": version})
    response.headers["ETag"] = version
    return read


@router.post(
    "/v1/reviews/{review_id}/conflict-declarations",
    response_model=ReviewRead,
    responses=responses(401, 403, 404, 409, 413, 422, 503),
    openapi_extra=body_schema(DeclarationCreate),
    summary=DECLARE.summary,
)
async def declare(
    review_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> ReviewRead:
    """The answer is the review as the workflow left it after this action and, for a review run
    inside its process, that process's new state and next step (`process`); `ETag` its version."""
    result = (await act(request, ctx, DECLARE, principal, review_id)).result
    response.headers["ETag"] = version_of(result)
    return result


@router.post(
    "/v1/reviews/{review_id}/verdicts",
    response_model=ReviewRead,
    responses=responses(401, 403, 404, 409, 413, 422, 503),
    openapi_extra=body_schema(VerdictCreate),
    summary=VERDICT.summary,
)
async def give_verdict(
    review_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> ReviewRead:
    """The answer is the review as the workflow left it after this action and, for a review run
    inside its process, that process's new state and next step (`process`); `ETag` its version."""
    result = (await act(request, ctx, VERDICT, principal, review_id)).result
    response.headers["ETag"] = version_of(result)
    return result

"""Third-party review: review bodies and their rosters, reviews, conflict declarations, verdicts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query, Request
from temporalio.client import Client
from temporalio.service import RPCError

from actions.queries import reviews as review_reads
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
from api.auth import PrincipalDep, require_roles
from api.deps import ClientDep, ContextDep, SessionDep
from api.errors import ApiError, responses
from domain.enums import Role
from infra.tokens import Principal
from store import reviews
from workflows.review import ThirdPartyReviewWorkflow

router = APIRouter(tags=["reviews"])
log = structlog.get_logger(__name__)
ADMIN = require_roles(Role.ADMIN)


@router.post(
    "/v1/review-bodies",
    status_code=201,
    response_model=BodyRead,
    responses=responses(401, 403, 422),
)
async def register_body(
    body: BodyCreate, _: Annotated[Principal, Depends(ADMIN)], session: SessionDep
) -> BodyRead:
    async with session.begin():
        await reviews.upsert_body(session, body.model_dump(mode="json"), now=datetime.now(UTC))
    return BodyRead.model_validate(body.model_dump())


@router.get("/v1/review-bodies", response_model=list[BodyRead], responses=responses(401))
async def list_bodies(_: PrincipalDep, session: SessionDep) -> list[BodyRead]:
    return [
        BodyRead.model_validate(b, from_attributes=True) for b in await reviews.list_bodies(session)
    ]


@router.post(
    "/v1/review-bodies/{code}/reviewers",
    status_code=201,
    response_model=ReviewerCreate,
    responses=responses(401, 403, 404, 422),
)
async def register_reviewer(
    code: str,
    body: ReviewerCreate,
    _: Annotated[Principal, Depends(ADMIN)],
    session: SessionDep,
    client: ClientDep,
) -> ReviewerCreate:
    if await reviews.get_body(session, code) is None:
        raise ApiError(404, "body_not_found", f"No review body {code}.")
    await session.rollback()
    async with session.begin():
        await reviews.upsert_reviewer(
            session, {**body.model_dump(), "body_code": code}, now=datetime.now(UTC)
        )
    open_reviews = await reviews.list_reviews(
        session,
        agency=None,
        status="open",
        subject_type=None,
        body_code=code,
        reviewer_id=None,
        limit=500,
        after=None,
    )
    for review in open_reviews:  # a review short of reviewers fills its seats from the new roster
        await _signal_roster(client, review.review_id)
    return body


async def _signal_roster(client: Client, review_id: str) -> None:
    try:
        await client.get_workflow_handle(review_id).signal(ThirdPartyReviewWorkflow.roster_changed)
    except RPCError as err:
        log.warning("review.roster_signal_failed", review_id=review_id, error=str(err))


@router.post(
    "/v1/reviewers/{reviewer_id}/conflicts",
    status_code=201,
    response_model=ConflictCreate,
    responses=responses(401, 403, 422),
)
async def declare_standing_conflict(
    reviewer_id: str, body: ConflictCreate, principal: PrincipalDep, session: SessionDep
) -> ConflictCreate:
    """A conflict known up front (a relative, a former student): no review naming that person is
    ever assigned to this reviewer."""
    if principal.role != Role.ADMIN.value and principal.sub != reviewer_id:
        raise ApiError(
            403, "forbidden", "Only the reviewer themselves or an admin may declare this."
        )
    async with session.begin():
        await reviews.add_conflicts(
            session,
            reviewer_id,
            [body.person_id],
            reason=body.reason,
            review_id=None,
            now=datetime.now(UTC),
        )
    return body


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


@router.get("/v1/reviews/{review_id}", response_model=ReviewRead, responses=responses(401, 404))
async def get_review(review_id: str, principal: PrincipalDep, ctx: ContextDep) -> ReviewRead:
    return await review_reads.get(ctx, principal, review_id)


@router.post(
    "/v1/reviews/{review_id}/conflict-declarations",
    response_model=ReviewRead,
    responses=responses(401, 403, 404, 409, 413, 422, 503),
    openapi_extra=body_schema(DeclarationCreate),
    summary=DECLARE.summary,
)
async def declare(
    review_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ReviewRead:
    return (await act(request, ctx, DECLARE, principal, review_id)).result


@router.post(
    "/v1/reviews/{review_id}/verdicts",
    response_model=ReviewRead,
    responses=responses(401, 403, 404, 409, 413, 422, 503),
    openapi_extra=body_schema(VerdictCreate),
    summary=VERDICT.summary,
)
async def give_verdict(
    review_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ReviewRead:
    return (await act(request, ctx, VERDICT, principal, review_id)).result

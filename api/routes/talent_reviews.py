"""Talent reviews: start, read (the review, its people, one person and why, objections), and the
committee's and employees' actions. Thin adapters over ``actions/talent`` and
``actions/queries/talent``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from actions.queries import talent as reads
from actions.schemas.talent import (
    AnswerIn,
    CancelBody,
    DeclarationIn,
    DeclarationRead,
    MoveIn,
    NoteBody,
    ObjectionIn,
    ObjectionRead,
    PeoplePage,
    PersonRead,
    TalentReviewCreate,
    TalentReviewRead,
)
from actions.talent import people, reviews
from api.actions import ANSWERED, act, answered, body_schema
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses
from api.params import Count

router = APIRouter(prefix="/v1/talent-reviews", tags=["talent"])
ACTION_ERRORS = responses(401, 403, 404, 409, 413, 422, 503)


@router.post(
    "",
    status_code=201,
    response_model=TalentReviewRead,
    responses=responses(200, 401, 403, 404, 409, 413, 422, 503),
    openapi_extra=body_schema(TalentReviewCreate),
    summary=reviews.START.summary,
)
async def start_review(
    request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> TalentReviewRead:
    done = await act(request, ctx, reviews.START, principal)
    if not done.result.created or done.replayed:
        response.status_code = 200
    if done.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return done.result.review


@router.get("", response_model=list[TalentReviewRead], responses=responses(401))
async def list_reviews(
    principal: PrincipalDep, ctx: ContextDep, stage: str | None = None
) -> list[TalentReviewRead]:
    return await reads.review_list(ctx, principal, stage=stage)


@router.get("/{process_id}", response_model=TalentReviewRead, responses=responses(401, 404))
async def get_review(process_id: str, principal: PrincipalDep, ctx: ContextDep) -> TalentReviewRead:
    return await reads.review(ctx, principal, process_id)


@router.get("/{process_id}/people", response_model=PeoplePage, responses=responses(401, 403, 404))
async def list_people(
    process_id: str,
    principal: PrincipalDep,
    ctx: ContextDep,
    box: Annotated[int | None, Query(ge=1, le=9)] = None,
    offset: Annotated[Count, Query()] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PeoplePage:
    return await reads.people_page(ctx, principal, process_id, box=box, offset=offset, limit=limit)


@router.get(
    "/{process_id}/people/{nip}", response_model=PersonRead, responses=responses(401, 403, 404)
)
async def get_person(
    process_id: str, nip: str, principal: PrincipalDep, ctx: ContextDep
) -> PersonRead:
    """A person's box and why (an employee: their own only)."""
    return await reads.person(ctx, principal, process_id, nip)


@router.get(
    "/{process_id}/objections",
    response_model=list[ObjectionRead],
    responses=responses(401, 403, 404),
)
async def list_objections(
    process_id: str, principal: PrincipalDep, ctx: ContextDep
) -> list[ObjectionRead]:
    return await reads.objection_list(ctx, principal, process_id)


@router.post(
    "/{process_id}/declarations",
    response_model=DeclarationRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(DeclarationIn),
    summary=people.DECLARE.summary,
)
async def declare(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> DeclarationRead:
    return (await act(request, ctx, people.DECLARE, principal, process_id)).result


@router.post(
    "/{process_id}/moves",
    response_model=PersonRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(MoveIn),
    summary=people.CALIBRATE.summary,
)
async def move(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> PersonRead:
    return (await act(request, ctx, people.CALIBRATE, principal, process_id)).result


@router.post(
    "/{process_id}/objections",
    status_code=201,
    response_model=ObjectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(ObjectionIn),
    summary=people.OBJECT.summary,
)
async def object_to_box(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ObjectionRead:
    return (await act(request, ctx, people.OBJECT, principal, process_id)).result


@router.post(
    "/{process_id}/answers",
    response_model=ObjectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(AnswerIn),
    summary=people.ANSWER.summary,
)
async def answer(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ObjectionRead:
    return (await act(request, ctx, people.ANSWER, principal, process_id)).result


@router.post(
    "/{process_id}/calibration/close",
    response_model=TalentReviewRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(NoteBody),
    summary=reviews.CLOSE_CALIBRATION.summary,
    description=ANSWERED,
)
async def close_calibration(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> TalentReviewRead:
    done = await act(request, ctx, reviews.CLOSE_CALIBRATION, principal, process_id)
    return answered(done, response)


@router.post(
    "/{process_id}/pool",
    response_model=TalentReviewRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(NoteBody),
    summary=reviews.FINALIZE.summary,
    description=ANSWERED,
)
async def establish_pool(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> TalentReviewRead:
    done = await act(request, ctx, reviews.FINALIZE, principal, process_id)
    return answered(done, response)


@router.post(
    "/{process_id}/cancel",
    response_model=TalentReviewRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(CancelBody),
    summary=reviews.CANCEL.summary,
    description=ANSWERED,
)
async def cancel(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> TalentReviewRead:
    done = await act(request, ctx, reviews.CANCEL, principal, process_id)
    return answered(done, response)

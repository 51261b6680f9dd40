"""Conflict declarations, scores (submitted, amended, read blind), closing components."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from actions.schemas.selections import (
    DeclarationCreate,
    DeclarationRead,
    NoteBody,
    ScoreList,
    ScoreRead,
    ScoreSubmit,
    SelectionRead,
)
from actions.selections.assessment import CLOSE_COMPONENT, DECLARE, READ_SCORES, SCORE
from api.actions import ANSWERED, act, answered, body_schema
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses

router = APIRouter(prefix="/v1/selections", tags=["selections"])
ACTION_ERRORS = responses(401, 403, 404, 409, 413, 422, 503)


@router.post(
    "/{process_id}/declarations",
    status_code=201,
    response_model=DeclarationRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(DeclarationCreate),
    summary=DECLARE.summary,
)
async def declare(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> DeclarationRead:
    return (await act(request, ctx, DECLARE, principal, process_id)).result


@router.put(
    "/{process_id}/components/{component}/scores/{applicant_id}",
    response_model=ScoreRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(ScoreSubmit),
    summary=SCORE.summary,
)
async def submit_score(
    process_id: str,
    component: str,
    applicant_id: str,
    request: Request,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> ScoreRead:
    path = {"component": component, "applicant_id": applicant_id}
    return (await act(request, ctx, SCORE, principal, process_id, path=path)).result


@router.get(
    "/{process_id}/components/{component}/scores/{applicant_id}",
    response_model=ScoreList,
    responses=responses(401, 403, 404, 503),
    summary=READ_SCORES.summary,
)
async def read_scores(
    process_id: str,
    component: str,
    applicant_id: str,
    request: Request,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> ScoreList:
    path = {"component": component, "applicant_id": applicant_id}
    return (await act(request, ctx, READ_SCORES, principal, process_id, path=path)).result


@router.post(
    "/{process_id}/components/{component}/close",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(NoteBody),
    summary=CLOSE_COMPONENT.summary,
    description=ANSWERED,
)
async def close_component(
    process_id: str,
    component: str,
    request: Request,
    response: Response,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> SelectionRead:
    path = {"component": component}
    done = await act(request, ctx, CLOSE_COMPONENT, principal, process_id, path=path)
    return answered(done, response)

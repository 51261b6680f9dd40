"""Screening decisions on each applicant, and closing screening."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from actions.schemas.selections import ApplicantRead, NoteBody, ScreeningDecision, SelectionRead
from actions.selections.screening import CLOSE_SCREENING, DECIDE
from api.actions import ANSWERED, act, answered, body_schema
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses

router = APIRouter(prefix="/v1/selections", tags=["selections"])
ACTION_ERRORS = responses(401, 403, 404, 409, 413, 422, 503)


@router.put(
    "/{process_id}/screening/{applicant_id}",
    response_model=ApplicantRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(ScreeningDecision),
    summary=DECIDE.summary,
)
async def decide_screening(
    process_id: str, applicant_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ApplicantRead:
    path = {"applicant_id": applicant_id}
    return (await act(request, ctx, DECIDE, principal, process_id, path=path)).result


@router.post(
    "/{process_id}/screening/close",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(NoteBody),
    summary=CLOSE_SCREENING.summary,
    description=ANSWERED,
)
async def close_screening(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> SelectionRead:
    done = await act(request, ctx, CLOSE_SCREENING, principal, process_id)
    return answered(done, response)

"""The appointing authority: the appointment, and cancelling the selection."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from actions.schemas.selections import AppointmentCreate, CancelCreate, SelectionRead
from actions.selections.appointment import APPOINT, CANCEL
from api.actions import ANSWERED, act, answered, body_schema
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses

router = APIRouter(prefix="/v1/selections", tags=["selections"])
ACTION_ERRORS = responses(401, 403, 404, 409, 413, 422, 503)


@router.post(
    "/{process_id}/appointment",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(AppointmentCreate),
    summary=APPOINT.summary,
    description=ANSWERED,
)
async def appoint(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> SelectionRead:
    done = await act(request, ctx, APPOINT, principal, process_id)
    return answered(done, response)


@router.post(
    "/{process_id}/cancel",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(CancelCreate),
    summary=CANCEL.summary,
    description=ANSWERED,
)
async def cancel(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> SelectionRead:
    done = await act(request, ctx, CANCEL, principal, process_id)
    return answered(done, response)

"""The appointing authority: the appointment, and cancelling the selection."""

from __future__ import annotations

from fastapi import APIRouter, Request

from actions.schemas.selections import AppointmentCreate, CancelCreate, SelectionRead
from actions.selections.appointment import APPOINT, CANCEL
from api.actions import act, body_schema
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
)
async def appoint(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> SelectionRead:
    return (await act(request, ctx, APPOINT, principal, process_id)).result


@router.post(
    "/{process_id}/cancel",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(CancelCreate),
    summary=CANCEL.summary,
)
async def cancel(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> SelectionRead:
    return (await act(request, ctx, CANCEL, principal, process_id)).result

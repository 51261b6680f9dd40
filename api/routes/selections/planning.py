"""Start a selection; set its panel and scheme, submit its plan, announce it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from actions.schemas.selections import (
    AnnouncementCreate,
    NoteBody,
    PanelUpdate,
    SchemeUpdate,
    SelectionCreate,
    SelectionRead,
)
from actions.selections.planning import ANNOUNCE, PANEL, SCHEME, START, SUBMIT_PLAN
from api.actions import ANSWERED, act, answered, body_schema
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses

router = APIRouter(prefix="/v1/selections", tags=["selections"])
ACTION_ERRORS = responses(401, 403, 404, 409, 413, 422, 503)


@router.post(
    "",
    status_code=201,
    response_model=SelectionRead,
    responses=responses(200, 401, 403, 404, 413, 422, 503),
    openapi_extra=body_schema(SelectionCreate),
    summary=START.summary,
)
async def start_selection(
    request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> SelectionRead:
    done = await act(request, ctx, START, principal)
    if not done.result.created or done.replayed:
        response.status_code = 200
    if done.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return done.result.selection


@router.put(
    "/{process_id}/panel",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(PanelUpdate),
    summary=PANEL.summary,
    description=ANSWERED,
)
async def set_panel(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> SelectionRead:
    done = await act(request, ctx, PANEL, principal, process_id)
    return answered(done, response)


@router.put(
    "/{process_id}/scheme",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(SchemeUpdate),
    summary=SCHEME.summary,
    description=ANSWERED,
)
async def set_scheme(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> SelectionRead:
    done = await act(request, ctx, SCHEME, principal, process_id)
    return answered(done, response)


@router.post(
    "/{process_id}/plan/submit",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(NoteBody),
    summary=SUBMIT_PLAN.summary,
    description=ANSWERED,
)
async def submit_plan(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> SelectionRead:
    done = await act(request, ctx, SUBMIT_PLAN, principal, process_id)
    return answered(done, response)


@router.post(
    "/{process_id}/announcement",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(AnnouncementCreate),
    summary=ANNOUNCE.summary,
    description=ANSWERED,
)
async def announce(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> SelectionRead:
    done = await act(request, ctx, ANNOUNCE, principal, process_id)
    return answered(done, response)

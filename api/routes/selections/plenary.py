"""The plenary on the proposed shortlist: votes, and closing it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from actions.schemas.selections import NoteBody, SelectionRead, VoteCreate
from actions.selections.plenary import CLOSE_PLENARY, VOTE
from api.actions import ANSWERED, act, answered, body_schema
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses

router = APIRouter(prefix="/v1/selections", tags=["selections"])
ACTION_ERRORS = responses(401, 403, 404, 409, 413, 422, 503)


@router.post(
    "/{process_id}/plenary/votes",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(VoteCreate),
    summary=VOTE.summary,
    description=ANSWERED,
)
async def plenary_vote(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> SelectionRead:
    done = await act(request, ctx, VOTE, principal, process_id)
    return answered(done, response)


@router.post(
    "/{process_id}/plenary/close",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(NoteBody),
    summary=CLOSE_PLENARY.summary,
    description=ANSWERED,
)
async def close_plenary(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> SelectionRead:
    done = await act(request, ctx, CLOSE_PLENARY, principal, process_id)
    return answered(done, response)

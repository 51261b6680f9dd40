"""Reading selections: lists, one selection, its panel, applicants, screening list, shortlist.

What a caller may read follows the same rule as acting (``actions.queries.selections``, which the
console reads through too): another agency's selection answers 404; the committee's working data
(applicants' records, the screening list, the proposed shortlist) needs a role that reads it, or a
seat together with the role that goes with it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from actions.queries import selections as reads
from actions.schemas.selections import (
    ApplicantPage,
    PanelRead,
    ScreeningRead,
    SelectionPage,
    SelectionRead,
    ShortlistRead,
)
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses
from domain.selection.stages import Stage

router = APIRouter(prefix="/v1/selections", tags=["selections"])


@router.get("", response_model=SelectionPage, responses=responses(401, 404, 422))
async def list_selections(
    principal: PrincipalDep,
    ctx: ContextDep,
    agency: str | None = None,
    stage: Stage | None = None,
    post_level: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> SelectionPage:
    return await reads.page(
        ctx,
        principal,
        agency=agency,
        stage=stage.value if stage else None,
        post_level=post_level,
        limit=limit,
        cursor=cursor,
    )


@router.get("/{process_id}", response_model=SelectionRead, responses=responses(401, 404))
async def get_selection(process_id: str, principal: PrincipalDep, ctx: ContextDep) -> SelectionRead:
    return await reads.get(ctx, principal, process_id)


@router.get("/{process_id}/panel", response_model=PanelRead, responses=responses(401, 404))
async def get_panel(process_id: str, principal: PrincipalDep, ctx: ContextDep) -> PanelRead:
    return await reads.panel(ctx, principal, process_id)


@router.get(
    "/{process_id}/applicants", response_model=ApplicantPage, responses=responses(401, 403, 404)
)
async def list_applicants(
    process_id: str,
    principal: PrincipalDep,
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ApplicantPage:
    return await reads.applicants(ctx, principal, process_id, limit=limit, cursor=cursor)


@router.get(
    "/{process_id}/screening", response_model=ScreeningRead, responses=responses(401, 403, 404)
)
async def get_screening(
    process_id: str,
    principal: PrincipalDep,
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ScreeningRead:
    return await reads.screening(ctx, principal, process_id, limit=limit, cursor=cursor)


@router.get("/{process_id}/shortlist", response_model=ShortlistRead, responses=responses(401, 404))
async def get_shortlist(process_id: str, principal: PrincipalDep, ctx: ContextDep) -> ShortlistRead:
    return await reads.shortlist(ctx, principal, process_id)

"""The caller's inbox: every action waiting for them, across processes, soonest due first."""

from __future__ import annotations

from fastapi import APIRouter

from actions.queries.inbox import inbox
from actions.schemas.reviews import TaskList
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses

router = APIRouter(tags=["tasks"])


@router.get("/v1/me/tasks", response_model=TaskList, responses=responses(401))
async def my_tasks(principal: PrincipalDep, ctx: ContextDep) -> TaskList:
    """Listed only where the caller's decision would pass the role, agency and named-person
    checks (``actions/queries/inbox.py``)."""
    return await inbox(ctx, principal)

"""What anyone may read without a token: the published results of each stage of a selection."""

from __future__ import annotations

from fastapi import APIRouter

from actions.queries import public
from actions.schemas.selections import PublicAnnouncements
from api.deps import ContextDep
from api.errors import responses

router = APIRouter(prefix="/v1/public", tags=["public"])


@router.get(
    "/selections/{process_id}/announcements",
    response_model=PublicAnnouncements,
    responses=responses(404),
    summary="The published results of a selection, oldest first (no token needed)",
)
async def announcements(process_id: str, ctx: ContextDep) -> PublicAnnouncements:
    return await public.announcements(ctx, process_id)

"""What the public pages list: selections that have published something."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.selection_models import Selection, SelectionAnnouncement


async def published(session: AsyncSession, *, limit: int = 50) -> list[Selection]:
    any_announcement = exists().where(SelectionAnnouncement.process_id == Selection.process_id)
    stmt = (
        select(Selection)
        .where(any_announcement)
        .order_by(Selection.updated_at.desc(), Selection.process_id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())

"""Reviews as a principal may read them: a reviewer sees the reviews they sit on or head."""

from __future__ import annotations

from actions import cursors
from actions.queries.waiting import until_changed
from actions.reviews import may_read, to_read
from actions.schemas.reviews import ReviewPage, ReviewRead
from actions.services import Services
from domain.enums import Role
from domain.errors import NotFound
from infra.tokens import Principal
from store import reviews
from store.reads import reading


async def get(services: Services, principal: Principal, review_id: str) -> ReviewRead:
    async with reading(services.sessions) as session:
        view = await reviews.get_review(session, review_id)
        seats = list(await reviews.seats_of(session, review_id)) if view else []
    if view is None or not may_read(principal, view, {s.reviewer_id for s in seats}):
        raise NotFound(f"No review '{review_id}' is visible to you.")
    return to_read(view, seats)


async def get_when_changed(
    services: Services, principal: Principal, review_id: str, *, seen: str | None, wait_s: float
) -> tuple[ReviewRead, str]:
    """The review and its version, once it differs from ``seen`` or ``wait_s`` has passed."""
    return await until_changed(lambda: get(services, principal, review_id), seen, wait_s)


async def page(
    services: Services,
    principal: Principal,
    *,
    status: str | None = None,
    subject_type: str | None = None,
    body_code: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> ReviewPage:
    mine = principal.sub if principal.role == Role.REVIEWER.value else None
    agency = principal.agency if mine is None else None
    async with reading(services.sessions) as session:
        rows = await reviews.list_reviews(
            session,
            agency=agency,
            status=status,
            subject_type=subject_type,
            body_code=body_code,
            reviewer_id=mine,
            limit=limit + 1,
            after=cursors.after_id(cursor),
        )
        items = [
            to_read(r, list(await reviews.seats_of(session, r.review_id))) for r in rows[:limit]
        ]
    return ReviewPage(
        items=items,
        next_cursor=cursors.next_of(items[-1].id if len(rows) > limit and items else None),
    )

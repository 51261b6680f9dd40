"""Promotions as a principal may read them."""

from __future__ import annotations

from datetime import date

from actions import cursors
from actions.promotions import to_read
from actions.queries.waiting import until_changed
from actions.schemas.promotions import PromotionPage, PromotionRead
from actions.services import Services
from domain.enums import Role
from domain.errors import NotFound, NotPermitted
from infra.tokens import Principal
from store import repositories, reviews
from store.reads import reading


def _sees(principal: Principal, agency: str) -> bool:
    return principal.role == Role.BKN.value or principal.agency in (None, agency)


async def get(services: Services, principal: Principal, process_id: str) -> PromotionRead:
    async with reading(services.sessions) as session:
        view = await repositories.get_promotion(session, process_id)
        seats = (
            await reviews.seats_of(session, view.pending_review_id)
            if view is not None and view.pending_review_id
            else []
        )
    if view is None or not _sees(principal, view.agency):
        raise NotFound(f"No promotion '{process_id}' is visible to you.")
    read = to_read(view)
    if read.pending is not None and seats:
        pending = read.pending.model_copy(
            update={"reviewers": [s.reviewer_id for s in seats if s.status != "recused"]}
        )
        read = read.model_copy(update={"pending": pending})
    return read


async def get_when_changed(
    services: Services,
    principal: Principal,
    process_id: str,
    *,
    seen: str | None,
    wait_s: float,
) -> tuple[PromotionRead, str]:
    """The promotion and its version, once it differs from ``seen`` or ``wait_s`` has passed."""
    return await until_changed(lambda: get(services, principal, process_id), seen, wait_s)


async def page(
    services: Services,
    principal: Principal,
    *,
    agency: str | None = None,
    status: str | None = None,
    period: date | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> PromotionPage:
    if principal.agency is not None:
        if agency is not None and agency != principal.agency:
            raise NotPermitted(
                "You can list your own agency's promotions only.", code="agency_out_of_scope"
            )
        agency = principal.agency
    async with reading(services.sessions) as session:
        rows = await repositories.list_promotions(
            session,
            agency=agency,
            status=status,
            period=period,
            limit=limit + 1,
            after=cursors.after_id(cursor),
        )
    items = [to_read(r) for r in rows[:limit]]
    next_cursor = cursors.next_of(items[-1].id if len(rows) > limit and items else None)
    return PromotionPage(items=items, next_cursor=next_cursor)

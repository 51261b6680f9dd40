"""Promotion periods as a principal may read them, with the tally of their promotions."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from actions import cursors
from actions.schemas.events import PeriodTally, PromotionPeriodPage, PromotionPeriodRead
from actions.services import Services
from domain.enums import PromotionStatus
from domain.errors import NotFound, NotPermitted
from infra.tokens import Principal
from store import events as store_events
from store.event_models import PromotionPeriod
from store.reads import reading


async def to_read(session: AsyncSession, p: PromotionPeriod) -> PromotionPeriodRead:
    counts = await store_events.period_tally(session, p.agency, p.period)
    tally = PeriodTally(
        total=counts["total"],
        starting=counts.get(PromotionStatus.STARTING.value, 0),
        in_progress=counts.get(PromotionStatus.IN_PROGRESS.value, 0),
        ineligible=counts.get(PromotionStatus.INELIGIBLE.value, 0),
        approved=counts.get(PromotionStatus.COMPLETED.value, 0),
        rejected=counts.get(PromotionStatus.REJECTED.value, 0),
        failed=counts.get(PromotionStatus.FAILED.value, 0),
        returned=counts["returned"],
    )
    pending = None
    if p.requested is not None:
        pending = max(p.requested - p.started - p.already_running, 0)
    return PromotionPeriodRead(
        id=p.id,
        agency=p.agency,
        period=p.period,
        type=p.promotion_type,
        rulebook_version=p.rulebook_version,
        member_source=p.member_source,
        status=p.status,
        requested=p.requested,
        started=p.started,
        already_running=p.already_running,
        pending_start=pending,
        runs=p.runs,
        tally=tally,
        created_at=p.created_at,
        updated_at=p.updated_at,
        completed_at=p.completed_at,
    )


async def page(
    services: Services,
    principal: Principal,
    *,
    agency: str | None = None,
    period: date | None = None,
    status: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> PromotionPeriodPage:
    if principal.agency is not None:
        if agency is not None and agency != principal.agency:
            raise NotPermitted(
                "You can list your own agency's periods only.", code="agency_out_of_scope"
            )
        agency = principal.agency
    async with reading(services.sessions) as session:
        rows = await store_events.list_periods(
            session,
            agency=agency,
            period=period,
            status=status,
            limit=limit + 1,
            after=cursors.after_id(cursor),
        )
        items = [await to_read(session, r) for r in rows[:limit]]
    next_cursor = cursors.next_of(items[-1].id if len(rows) > limit and items else None)
    return PromotionPeriodPage(items=items, next_cursor=next_cursor)


async def get(services: Services, principal: Principal, period_id: str) -> PromotionPeriodRead:
    async with reading(services.sessions) as session:
        row = await store_events.get_period(session, period_id)
        if row is None or not (principal.agency is None or principal.agency == row.agency):
            raise NotFound(f"No promotion period '{period_id}' is visible to you.")
        return await to_read(session, row)

"""Queries for inbound events, promotion periods, their members and their tally.

Every function takes the caller's session and never commits. Inserts that may race use the
dialect's ``INSERT ... ON CONFLICT DO NOTHING``, so concurrent callers neither fail nor duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import PromotionStatus
from store.event_models import InboundEvent, PromotionPeriod, PromotionPeriodMember
from store.models import Base, Employee, PromotionView

# Rows per statement: well under SQLite's and asyncpg's limits on bound parameters.
CHUNK = 500
RUNNING = (PromotionStatus.STARTING.value, PromotionStatus.IN_PROGRESS.value)


def _insert(session: AsyncSession, model: type[Base]) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- inbound events ----------------------------------------------------------------------------


async def insert_event_if_absent(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Store an event unless its (source, id) is known; True only for the call that stored it."""
    stmt = _insert(session, InboundEvent).values(**values).on_conflict_do_nothing()
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount == 1


async def get_event(session: AsyncSession, ref: str) -> InboundEvent | None:
    return await session.get(InboundEvent, ref, populate_existing=True)


async def mark_event(
    session: AsyncSession,
    ref: str,
    *,
    status: str,
    result: dict[str, Any],
    now: datetime,
) -> None:
    stmt = (
        update(InboundEvent)
        .where(InboundEvent.ref == ref)
        .values(status=status, result=result, dispatched_at=now)
    )
    await session.execute(stmt)


async def count_events(session: AsyncSession, source: str, event_id: str | None = None) -> int:
    stmt = select(func.count()).select_from(InboundEvent).where(InboundEvent.source == source)
    if event_id is not None:
        stmt = stmt.where(InboundEvent.event_id == event_id)
    return int((await session.execute(stmt)).scalar_one())


# --- periods -----------------------------------------------------------------------------------


async def insert_period_if_absent(session: AsyncSession, values: dict[str, Any]) -> bool:
    row = {"started": 0, "already_running": 0, "cursor": 0, "runs": 0, **values}
    stmt = _insert(session, PromotionPeriod).values(**row).on_conflict_do_nothing()
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount == 1


async def get_period(session: AsyncSession, period_id: str) -> PromotionPeriod | None:
    return await session.get(PromotionPeriod, period_id, populate_existing=True)


async def update_period(
    session: AsyncSession, period_id: str, *, now: datetime, **values: Any
) -> None:
    stmt = (
        update(PromotionPeriod)
        .where(PromotionPeriod.id == period_id)
        .values(**values, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(stmt)


async def list_periods(
    session: AsyncSession,
    *,
    agency: str | None,
    period: date | None,
    status: str | None,
    limit: int,
    after: str | None,
) -> list[PromotionPeriod]:
    stmt = select(PromotionPeriod).order_by(PromotionPeriod.id).limit(limit)
    if agency is not None:
        stmt = stmt.where(PromotionPeriod.agency == agency)
    if period is not None:
        stmt = stmt.where(PromotionPeriod.period == period)
    if status is not None:
        stmt = stmt.where(PromotionPeriod.status == status)
    if after is not None:
        stmt = stmt.where(PromotionPeriod.id > after)
    return list((await session.scalars(stmt)).all())


async def period_tally(session: AsyncSession, agency: str, period: date) -> dict[str, int]:
    """Promotions of the agency in the period by status, and how many were ever returned."""
    returned = func.sum(case((PromotionView.return_count > 0, 1), else_=0))
    stmt = (
        select(PromotionView.status, func.count(), returned)
        .where(PromotionView.agency == agency, PromotionView.period == period)
        .group_by(PromotionView.status)
    )
    tally: dict[str, int] = {"returned": 0, "total": 0}
    for status, count, ret in (await session.execute(stmt)).all():
        tally[str(status)] = int(count)
        tally["returned"] += int(ret or 0)
        tally["total"] += int(count)
    return tally


# --- members -----------------------------------------------------------------------------------


async def member_count(session: AsyncSession, period_id: str) -> int:
    stmt = select(func.count()).where(PromotionPeriodMember.period_id == period_id)
    return int((await session.execute(stmt)).scalar_one())


async def insert_members(session: AsyncSession, period_id: str, nips: Sequence[str]) -> int:
    """Store the members in order (positions 1..n); returns n."""
    rows = [
        {"period_id": period_id, "position": i, "nip": nip, "status": "pending"}
        for i, nip in enumerate(nips, start=1)
    ]
    for chunk in _chunks(rows):
        await session.execute(insert(PromotionPeriodMember), list(chunk))
    return len(rows)


async def append_members(session: AsyncSession, period_id: str, nips: Sequence[str]) -> int:
    """Add the NIPs that are not members yet after the last position (a period opened again);
    returns the number of members now. A retry finds them there and adds nothing."""
    known = await members_among(session, period_id, nips)
    last = await session.scalar(
        select(func.max(PromotionPeriodMember.position)).where(
            PromotionPeriodMember.period_id == period_id
        )
    )
    start = int(last or 0) + 1
    rows = [
        {"period_id": period_id, "position": i, "nip": nip, "status": "pending"}
        for i, nip in enumerate((n for n in nips if n not in known), start=start)
    ]
    for chunk in _chunks(rows):
        await session.execute(insert(PromotionPeriodMember), list(chunk))
    return await member_count(session, period_id)


async def members_among(session: AsyncSession, period_id: str, nips: Sequence[str]) -> set[str]:
    """The subset of ``nips`` that are members of the period."""
    found: set[str] = set()
    for chunk in _chunks(nips):
        stmt = select(PromotionPeriodMember.nip).where(
            PromotionPeriodMember.period_id == period_id, PromotionPeriodMember.nip.in_(chunk)
        )
        found.update((await session.scalars(stmt)).all())
    return found


async def member_page(
    session: AsyncSession, period_id: str, after: int, limit: int
) -> list[tuple[int, str]]:
    stmt = (
        select(PromotionPeriodMember.position, PromotionPeriodMember.nip)
        .where(PromotionPeriodMember.period_id == period_id, PromotionPeriodMember.position > after)
        .order_by(PromotionPeriodMember.position)
        .limit(limit)
    )
    return [(int(p), str(n)) for p, n in (await session.execute(stmt)).all()]


async def mark_members(
    session: AsyncSession, period_id: str, nips: Sequence[str], status: str
) -> None:
    for chunk in _chunks(nips):
        stmt = (
            update(PromotionPeriodMember)
            .where(
                PromotionPeriodMember.period_id == period_id,
                PromotionPeriodMember.nip.in_(list(chunk)),
            )
            .values(status=status)
        )
        await session.execute(stmt)


# --- employees and promotions ------------------------------------------------------------------


async def agency_nips(session: AsyncSession, agency: str) -> list[str]:
    stmt = select(Employee.nip).where(Employee.agency == agency).order_by(Employee.nip)
    return list((await session.scalars(stmt)).all())


async def nips_in_agency(session: AsyncSession, agency: str, nips: Sequence[str]) -> set[str]:
    """The subset of ``nips`` on file as employees of ``agency``."""
    found: set[str] = set()
    for chunk in _chunks(nips):
        stmt = select(Employee.nip).where(Employee.agency == agency, Employee.nip.in_(chunk))
        found.update((await session.scalars(stmt)).all())
    return found


async def insert_promotions_if_absent(
    session: AsyncSession,
    *,
    promotions: Sequence[tuple[str, str]],
    agency: str,
    period: date,
    promotion_type: str,
    rulebook_version: str,
    now: datetime,
) -> None:
    """The read-model row of each promotion (process id, NIP) the period is about to start, unless
    already there."""
    starting = PromotionStatus.STARTING.value
    rows = [
        {
            "process_id": process_id,
            "nip": nip,
            "agency": agency,
            "period": period,
            "promotion_type": promotion_type,
            "status": starting,
            "stage": starting,
            "return_count": 0,
            "rulebook_version": rulebook_version,
            "created_at": now,
            "updated_at": now,
        }
        for process_id, nip in promotions
    ]
    for chunk in _chunks(rows):
        stmt = _insert(session, PromotionView).values(list(chunk))
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["process_id"]))


async def promoted_among(session: AsyncSession, period: date, nips: Sequence[str]) -> set[str]:
    """The subset of ``nips`` that have a promotion (of any agency or status) in ``period``."""
    found: set[str] = set()
    for chunk in _chunks(nips):
        stmt = select(PromotionView.nip).where(
            PromotionView.period == period, PromotionView.nip.in_(chunk)
        )
        found.update((await session.scalars(stmt)).all())
    return found


async def running_promotions_of(session: AsyncSession, nip: str) -> list[PromotionView]:
    stmt = (
        select(PromotionView)
        .where(PromotionView.nip == nip, PromotionView.status.in_(RUNNING))
        .order_by(PromotionView.process_id)
    )
    return list((await session.scalars(stmt)).all())

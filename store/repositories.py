"""Queries for employees, the promotion read model and idempotency keys.

Every function takes the caller's session and never commits. Inserts that may race use the dialect's
``INSERT ... ON CONFLICT DO NOTHING``, so concurrent callers neither fail nor duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import PromotionStatus
from store.models import Base, Employee, IdempotencyKey, PromotionView

# Columns of the read model a patch may set; the keys are fixed at insert.
_PROMOTION_PATCHABLE = frozenset(PromotionView.__table__.c.keys()) - {
    "process_id",
    "nip",
    "agency",
    "period",
    "created_at",
    "updated_at",
}


def _insert(session: AsyncSession, model: type[Base]) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


async def insert_ignore(
    session: AsyncSession, model: type[Base], key: str | None, values: Mapping[str, Any]
) -> bool:
    """Insert one row unless ``key`` already exists; True if this call inserted it.

    ``key=None`` lets any unique index stop the insert. A table whose second unique key follows
    from its primary key (a selection's agency and code make its process id) needs it: under
    concurrent inserts PostgreSQL may check the second index first, and ``ON CONFLICT (key)``
    covers only the index it names, so the loser of the race would fail instead of doing nothing.
    """
    elements = None if key is None else [key]
    stmt = _insert(session, model).values(**values).on_conflict_do_nothing(index_elements=elements)
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount == 1


# --- employees ---------------------------------------------------------------------------------


async def upsert_employees(
    session: AsyncSession, records: list[dict[str, Any]], *, now: datetime
) -> int:
    """Insert or refresh records (``EmployeeRecord.model_dump(mode="json")``); returns the count.
    One statement for all of them (executemany), so a chunk of an import is one round trip."""
    if not records:
        return 0
    stmt = _insert(session, Employee)
    stmt = stmt.on_conflict_do_update(
        index_elements=["nip"],
        set_={
            "agency": stmt.excluded.agency,
            "name": stmt.excluded.name,
            "record": stmt.excluded.record,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    rows = [
        {
            "nip": r["nip"],
            "agency": r["agency"],
            "name": r["name"],
            "record": r,
            "created_at": now,
            "updated_at": now,
        }
        for r in {r["nip"]: r for r in records}.values()  # a NIP twice: the last one wins
    ]
    await session.execute(stmt, rows)
    return len(records)


async def get_employee(session: AsyncSession, nip: str) -> Employee | None:
    return await session.get(Employee, nip)


# --- promotions --------------------------------------------------------------------------------


async def insert_promotion_if_absent(
    session: AsyncSession,
    *,
    process_id: str,
    nip: str,
    agency: str,
    period: date,
    promotion_type: str,
    rulebook_version: str,
    now: datetime,
) -> bool:
    """Create the read-model row of a new promotion; True only for the call that created it."""
    values = {
        "process_id": process_id,
        "nip": nip,
        "agency": agency,
        "period": period,
        "promotion_type": promotion_type,
        "status": PromotionStatus.STARTING.value,
        "stage": PromotionStatus.STARTING.value,
        "return_count": 0,
        "rulebook_version": rulebook_version,
        "created_at": now,
        "updated_at": now,
    }
    return await insert_ignore(session, PromotionView, "process_id", values)


async def apply_promotion_patch(
    session: AsyncSession, process_id: str, patch: dict[str, Any], *, now: datetime
) -> None:
    unknown = patch.keys() - _PROMOTION_PATCHABLE
    if unknown:
        raise ValueError(f"not patchable on promotions: {sorted(unknown)}")
    stmt = (
        update(PromotionView)
        .where(PromotionView.process_id == process_id)
        .values(**patch, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    await session.execute(stmt)


async def get_promotion(session: AsyncSession, process_id: str) -> PromotionView | None:
    return await session.get(PromotionView, process_id, populate_existing=True)


_PROMOTIONS = PromotionView.__table__
_PROMOTION_BY_ID = select(_PROMOTIONS).where(_PROMOTIONS.c.process_id == bindparam("process_id"))


async def promotion_row(session: AsyncSession, process_id: str) -> Row[Any] | None:
    """The promotion's read-model row as plain columns, by the same attribute names as
    :class:`PromotionView`: one Core statement built once, no identity map and no ORM loading,
    for the action pipeline, which reads the row and never changes it."""
    conn = await session.connection()
    return (await conn.execute(_PROMOTION_BY_ID, {"process_id": process_id})).first()


async def list_promotions(
    session: AsyncSession,
    *,
    agency: str | None,
    status: str | None,
    period: date | None,
    limit: int,
    after: str | None,
) -> list[PromotionView]:
    """One page ordered by process id; pass the last id of a page as ``after`` for the next."""
    stmt = select(PromotionView).order_by(PromotionView.process_id).limit(limit)
    if agency is not None:
        stmt = stmt.where(PromotionView.agency == agency)
    if status is not None:
        stmt = stmt.where(PromotionView.status == status)
    if period is not None:
        stmt = stmt.where(PromotionView.period == period)
    if after is not None:
        stmt = stmt.where(PromotionView.process_id > after)
    return list((await session.scalars(stmt)).all())


# --- idempotency keys --------------------------------------------------------------------------


async def remember_key(
    session: AsyncSession, key: str, scope: str, process_id: str, now: datetime
) -> str:
    """Store ``key`` for ``process_id`` unless known; returns the process id the key maps to."""
    values = {"key": key, "scope": scope, "process_id": process_id, "created_at": now}
    await insert_ignore(session, IdempotencyKey, "key", values)
    stored = await session.scalar(
        select(IdempotencyKey.process_id).where(IdempotencyKey.key == key)
    )
    if stored is None:  # pragma: no cover - the row was inserted or already there
        raise RuntimeError(f"idempotency key {key!r} vanished")
    return stored


@dataclass(frozen=True)
class KeyClaim:
    """What a key maps to after :func:`claim_key`: the first caller's process, body and outcome."""

    process_id: str
    scope: str
    body_hash: str | None
    response_status: int | None

    def matches(self, scope: str, body_hash: str) -> bool:
        return self.scope == scope and self.body_hash == body_hash


async def claim_key(
    session: AsyncSession, key: str, scope: str, process_id: str, body_hash: str, now: datetime
) -> KeyClaim:
    """Like :func:`remember_key`, also storing the body's hash; returns the row as it now stands
    (the first caller's, if the key was known), for the caller to compare."""
    values = {
        "key": key,
        "scope": scope,
        "process_id": process_id,
        "body_hash": body_hash,
        "created_at": now,
    }
    await insert_ignore(session, IdempotencyKey, "key", values)
    row = await session.get(IdempotencyKey, key, populate_existing=True)
    if row is None:  # pragma: no cover - the row was inserted or already there
        raise RuntimeError(f"idempotency key {key!r} vanished")
    return KeyClaim(row.process_id, row.scope, row.body_hash, row.response_status)


async def complete_key(session: AsyncSession, key: str, response_status: int) -> None:
    """Record that the request under ``key`` went through; replays then start nothing."""
    stmt = (
        update(IdempotencyKey)
        .where(IdempotencyKey.key == key, IdempotencyKey.response_status.is_(None))
        .values(response_status=response_status)
    )
    await session.execute(stmt)


def _waiting(stmt: Any, *, role: str, agency: str | None, sub: str) -> Any:
    """Promotions whose pending step the caller may act on now (their role, or the role it was
    escalated to), within their agency; a supervisor only where they are the one named."""
    stmt = stmt.where(
        PromotionView.status == "in_progress",
        PromotionView.pending_review_id.is_(None),
        or_(PromotionView.pending_role == role, PromotionView.escalated_to_role == role),
    )
    if agency is not None:
        stmt = stmt.where(PromotionView.agency == agency)
    if role == "supervisor":
        stmt = stmt.where(
            or_(PromotionView.pending_actor_id.is_(None), PromotionView.pending_actor_id == sub)
        )
    return stmt


async def promotions_waiting_for(
    session: AsyncSession, *, role: str, agency: str | None, sub: str, limit: int = 500
) -> list[PromotionView]:
    """The first ``limit`` of them, soonest due first (so the overdue come first)."""
    stmt = _waiting(select(PromotionView), role=role, agency=agency, sub=sub)
    return list((await session.scalars(stmt.order_by(PromotionView.due_at).limit(limit))).all())


async def count_waiting_for(
    session: AsyncSession, *, role: str, agency: str | None, sub: str
) -> int:
    stmt = _waiting(
        select(func.count()).select_from(PromotionView), role=role, agency=agency, sub=sub
    )
    return int((await session.execute(stmt)).scalar_one())

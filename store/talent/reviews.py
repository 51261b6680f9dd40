"""A talent review's row: read model and gate, its lock, its listing.

:func:`write_view` (the review's recording activity, with each batch of entries) is the only writer
of ``stage``, ``status``, ``counts`` and ``waiting_for``; the stage-closing activities move only the
gate columns, in the transaction that counts. Every writer starts with :func:`lock`, then (where it
appends) the ledger head: always this order, so the writers never deadlock.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound
from domain.ledger import json_ready
from store.repositories import insert_ignore
from store.talent_models import TalentReview


class ReviewIdentity(BaseModel):
    agency: str
    code: str
    title: str
    population: dict[str, Any]
    cutoff_date: date
    rulebook_version: str
    committee: list[dict[str, Any]]


class ReviewView(BaseModel):
    stage: str
    status: str
    counts: dict[str, Any] = Field(default_factory=dict)
    waiting_for: list[dict[str, Any]] = Field(default_factory=list)
    outcome_reason: str | None = None


async def insert_if_absent(
    session: AsyncSession, process_id: str, identity: ReviewIdentity, now: datetime
) -> bool:
    values = {
        "process_id": process_id,
        **json_ready(identity.model_dump(mode="json")),
        "cutoff_date": identity.cutoff_date,
        "stage": "cutoff",
        "status": "in_progress",
        "counts": {},
        "waiting_for": [],
        "created_at": now,
        "updated_at": now,
    }
    # agency and code make the process id: either unique index may see the race first.
    return await insert_ignore(session, TalentReview, None, values)


async def lock(session: AsyncSession, process_id: str) -> TalentReview:
    """Take the review's lock (row lock; SQLite's write lock), then read the row; NotFound."""
    stmt = (
        update(TalentReview)
        .where(TalentReview.process_id == process_id)
        .values(lock_version=TalentReview.lock_version + 1)
        .execution_options(synchronize_session=False)
    )
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    if result.rowcount != 1:
        raise NotFound(f"No talent review {process_id!r}.", code="talent_review_not_found")
    row = await session.get(TalentReview, process_id, populate_existing=True)
    assert row is not None
    return row


async def get(session: AsyncSession, process_id: str) -> TalentReview | None:
    return await session.get(TalentReview, process_id)


async def write_view(
    session: AsyncSession, process_id: str, view: ReviewView, now: datetime
) -> None:
    row = await lock(session, process_id)
    row.stage = view.stage
    row.status = view.status
    row.counts = json_ready(view.counts)
    row.waiting_for = json_ready(view.waiting_for)
    row.outcome_reason = view.outcome_reason
    row.updated_at = now
    await session.flush()


async def list_reviews(
    session: AsyncSession, *, agency: str | None, stage: str | None, limit: int
) -> list[TalentReview]:
    stmt = select(TalentReview)
    if agency is not None:
        stmt = stmt.where(TalentReview.agency == agency)
    if stage is not None:
        stmt = stmt.where(TalentReview.stage == stage)
    stmt = stmt.order_by(TalentReview.created_at.desc(), TalentReview.process_id).limit(limit)
    return list((await session.scalars(stmt)).all())

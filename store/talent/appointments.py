"""A talent appointment's row (read model): inserted by the action that starts it, written in full
by its workflow's recording activity, the only writer of its stage."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ledger import json_ready
from store.repositories import insert_ignore
from store.talent_models import TalentAppointment


class AppointmentIdentity(BaseModel):
    agency: str
    post_id: str
    post_title: str
    post_level: str
    vacated_on: date
    successor_nip: str
    successor_name: str
    appointing_authority_id: str
    oversight_body: str
    rulebook_version: str
    decision: dict[str, Any]


class AppointmentView(BaseModel):
    stage: str
    status: str
    review_id: str | None = None
    decree: dict[str, Any] | None = None
    selection_id: str | None = None
    outcome_reason: str | None = None


async def insert_if_absent(
    session: AsyncSession, process_id: str, identity: AppointmentIdentity, now: datetime
) -> bool:
    values = {
        "process_id": process_id,
        **identity.model_dump(),
        "decision": json_ready(identity.decision),
        "stage": "oversight_review",
        "status": "in_progress",
        "created_at": now,
        "updated_at": now,
    }
    return await insert_ignore(session, TalentAppointment, "process_id", values)


async def get(session: AsyncSession, process_id: str) -> TalentAppointment | None:
    return await session.get(TalentAppointment, process_id)


async def write_view(
    session: AsyncSession, process_id: str, view: AppointmentView, now: datetime
) -> None:
    # The UPDATE is the transaction's first statement: it takes SQLite's write lock (the row lock on
    # PostgreSQL) before anything is read, so two writers never deadlock upgrading a read lock.
    values = {k: json_ready(v) if isinstance(v, dict) else v for k, v in view.model_dump().items()}
    stmt = (
        update(TalentAppointment)
        .where(TalentAppointment.process_id == process_id)
        .values(**values, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    # inserted by the starting action, before the workflow
    assert result.rowcount == 1, process_id


async def list_appointments(
    session: AsyncSession, *, agency: str | None, limit: int
) -> list[TalentAppointment]:
    stmt = select(TalentAppointment)
    if agency is not None:
        stmt = stmt.where(TalentAppointment.agency == agency)
    stmt = stmt.order_by(TalentAppointment.created_at.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())


async def waiting_for(session: AsyncSession, authority_id: str) -> list[TalentAppointment]:
    """Appointments at the appointment stage whose named appointing authority is ``authority_id``."""
    stmt = select(TalentAppointment).where(
        TalentAppointment.stage == "appointment",
        TalentAppointment.appointing_authority_id == authority_id,
    )
    return list((await session.scalars(stmt.order_by(TalentAppointment.created_at))).all())

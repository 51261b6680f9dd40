"""ORM models of inbound events and promotion periods.

``inbound_events`` is the record of every CloudEvent an HR system sent: one row per (source, id),
written before anything is started, so that a repeat of the event — concurrent, late, or after
Temporal's retention removed the process — finds the row and starts nothing.

``promotion_periods`` is one row per agency and period (its id is the workflow id), created by the
API with the event and kept up to date by the period workflow's activities. Its members — the
employees the period fans out to, in order — live in ``promotion_period_members``, so that the
workflow carries only a cursor across continue-as-new.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base

# received: stored, its process not yet (known to be) started; dispatched: started or routed;
# not_routed: recorded only (no process exists for its type yet).
EVENT_STATUSES = ("received", "dispatched", "not_routed")
# starting: created with its event; running: members known, children being started;
# completed: every member's promotion was started (or found already there).
PERIOD_STATUSES = ("starting", "running", "completed")
MEMBER_STATUSES = ("pending", "started", "already_running")


class InboundEvent(Base):
    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("source", "event_id", name="uq_inbound_events_source_event_id"),
    )

    # sha-256 of source and id: a fixed-width key for idempotency rows that point at the event.
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(500))
    agency: Mapped[str | None] = mapped_column(String(64), index=True)
    # sha-256 of the canonical type, subject and data: the same id with other content is refused.
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    process_id: Mapped[str | None] = mapped_column(String(200), index=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_by: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]


class PromotionPeriod(Base):
    __tablename__ = "promotion_periods"
    __table_args__ = (Index("ix_promotion_periods_agency_period", "agency", "period"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64))
    period: Mapped[date] = mapped_column(Date)
    promotion_type: Mapped[str] = mapped_column(String(32))
    rulebook_version: Mapped[str] = mapped_column(String(64))
    # list: the event named the employees; hr_source: the agency's candidates were pulled.
    member_source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    requested: Mapped[int | None] = mapped_column(Integer)
    started: Mapped[int] = mapped_column(Integer, default=0)
    already_running: Mapped[int] = mapped_column(Integer, default=0)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    event_ref: Mapped[str | None] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class PromotionPeriodMember(Base):
    __tablename__ = "promotion_period_members"
    __table_args__ = (
        UniqueConstraint("period_id", "nip", name="uq_promotion_period_members_period_nip"),
    )

    period_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    nip: Mapped[str] = mapped_column(String(18))
    status: Mapped[str] = mapped_column(String(16))

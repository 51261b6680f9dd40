"""ORM classes: the ledger, its chain heads, employees, the promotion read model, idempotency keys.

Timestamps go through :class:`UTCDateTime`, so they read back timezone-aware in UTC on SQLite (which
stores text without an offset) as on PostgreSQL (timestamptz). That round trip must be exact for the
ledger: ``recorded_at`` is part of an entry's hash.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime in, the same instant in UTC out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given for a timezone-aware column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - the signature is TypeDecorator's
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# none_as_null: a Python None is SQL NULL, not the JSON literal null.
JSONDict = JSON(none_as_null=True)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONDict}


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("process_id", "seq", name="uq_ledger_entries_process_seq"),
        # Each ends in the search order (recorded_at, entry_id): see migration 0009.
        Index("ix_ledger_entries_recorded_at_entry", "recorded_at", "entry_id"),
        Index("ix_ledger_entries_subject_recorded_at", "subject", "recorded_at", "entry_id"),
        Index("ix_ledger_entries_agency_recorded_at_entry", "agency", "recorded_at", "entry_id"),
        Index("ix_ledger_entries_actor_recorded_at", "actor_id", "recorded_at", "entry_id"),
    )

    entry_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    process_kind: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(16))
    stage_before: Mapped[str | None] = mapped_column(String(64))
    stage_after: Mapped[str | None] = mapped_column(String(64))
    actor_id: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(64))
    actor_agency: Mapped[str | None] = mapped_column(String(64))
    on_behalf_of: Mapped[str | None] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(200))
    agency: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    justification: Mapped[str | None] = mapped_column(Text)
    rulebook_version: Mapped[str | None] = mapped_column(String(64))
    workflow_id: Mapped[str | None] = mapped_column(String(255))
    run_id: Mapped[str | None] = mapped_column(String(64))
    update_id: Mapped[str | None] = mapped_column(String(255))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class LedgerHead(Base):
    """The last (seq, hash) of a chain: locked to serialise appends, compared to find a cut tail."""

    __tablename__ = "ledger_heads"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class Employee(Base):
    __tablename__ = "employees"

    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PromotionView(Base):
    """Read model of one promotion process, written by activities and read by the API."""

    __tablename__ = "promotions"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), index=True)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[date] = mapped_column(Date, index=True)
    promotion_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    pending_step: Mapped[str | None] = mapped_column(String(64))
    pending_role: Mapped[str | None] = mapped_column(String(64))
    pending_actor_id: Mapped[str | None] = mapped_column(String(100))
    escalated_to_role: Mapped[str | None] = mapped_column(String(64))
    reminder_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    auto_approve_at: Mapped[datetime | None]
    pending_review_id: Mapped[str | None] = mapped_column(String(200))
    eligibility: Mapped[dict[str, Any] | None]
    decree: Mapped[dict[str, Any] | None]
    last_decision: Mapped[dict[str, Any] | None]
    return_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rulebook_version: Mapped[str] = mapped_column(String(64))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    scope: Mapped[str] = mapped_column(String(100))
    process_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    # sha-256 of the canonical request body: the same key with another body is refused.
    body_hash: Mapped[str | None] = mapped_column(String(64))
    # The status of the response once the request went through: a replay then starts nothing.
    response_status: Mapped[int | None] = mapped_column(Integer)

"""ORM models of outbound webhooks: subscriptions, the delivery outbox, and every attempt.

A delivery row is written in the same transaction as the ledger entry it comes from (the
transactional outbox), so an event is queued if and only if its decision was recorded. ``seq``
numbers the deliveries of one process for one subscription; the dispatcher only ever sends the
lowest pending ``seq`` of a process, which is what keeps deliveries in order per process.

A delivery that exhausts its retry budget (attempts or age of its current round) becomes ``dead``;
the deliveries of the same process behind it stay pending and wait until it is replayed and goes
through, so the order per process holds even across dead letters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base

SUBSCRIPTION_STATUSES = ("active", "paused", "deleted")
DELIVERY_STATUSES = ("pending", "delivered", "dead", "cancelled")


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # None: a national subscription, which receives the events of every agency.
    agency: Mapped[str | None] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(String(500))
    # Kept in clear because signing needs it (HMAC); shown to the caller once, never logged.
    secret: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "subscription_id", "process_id", "seq", name="uq_webhook_deliveries_sub_process_seq"
        ),
        Index("ix_webhook_deliveries_queue", "subscription_id", "status", "process_id", "seq"),
    )

    # Also the Standard Webhooks ``webhook-id``: the same on every attempt and replay.
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("webhook_subscriptions.id", name="fk_webhook_deliveries_sub")
    )
    process_id: Mapped[str] = mapped_column(String(200))
    seq: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(100))
    ledger_entry_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    replays: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The retry budget's round: attempts since queued or last replayed, and when the first was.
    round_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    round_started_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        String(40),
        ForeignKey("webhook_deliveries.id", name="fk_webhook_attempts_delivery"),
        index=True,
    )
    attempted_at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)

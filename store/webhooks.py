"""Queries for webhook subscriptions, the delivery outbox and delivery attempts.

Every function takes the caller's session and never commits. ``enqueue_for_entry`` runs inside the
ledger's transaction (after ``ledger.append`` has locked the process's chain head), which is what
makes the per-process ``seq`` of a subscription's deliveries safe to compute as max + 1.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.events import ActorRef, EntryFacts, Event, events_for_entry
from store.models import LedgerEntry
from store.webhook_models import WebhookAttempt, WebhookDelivery, WebhookSubscription

LIVE_STATUSES = ("active", "paused")
# A dead delivery still holds its place: what comes after it in the process waits behind it.
BLOCKING_STATUSES = ("pending", "dead")


class ProcessView(Protocol):
    """The read-model facts the event mapping needs (``PromotionViewData`` has them)."""

    @property
    def status(self) -> str: ...
    @property
    def outcome_reason(self) -> str | None: ...
    @property
    def decree(self) -> dict[str, Any] | None: ...


def new_id(prefix: str) -> str:
    """``<prefix>_`` + 12 hex digits of milliseconds + 20 random: unique, and sorts by creation."""
    millis = int(datetime.now(UTC).timestamp() * 1000)
    return f"{prefix}_{millis:012x}{secrets.token_hex(10)}"


# --- the outbox ----------------------------------------------------------------------------------


def entry_facts(entry: LedgerEntry, view: ProcessView) -> EntryFacts:
    return EntryFacts(
        entry_id=entry.entry_id,
        seq=entry.seq,
        hash=entry.hash,
        process_id=entry.process_id,
        process_kind=entry.process_kind,
        kind=entry.kind,
        outcome=entry.outcome,
        stage_before=entry.stage_before,
        stage_after=entry.stage_after,
        actor=ActorRef(
            id=entry.actor_id,
            role=entry.actor_role,
            agency=entry.actor_agency,
            on_behalf_of=entry.on_behalf_of,
        ),
        subject=entry.subject,
        agency=entry.agency,
        payload=dict(entry.payload),
        justification=entry.justification,
        rulebook_version=entry.rulebook_version,
        occurred_at=entry.occurred_at,
        status=view.status,
        outcome_reason=view.outcome_reason,
        decree=view.decree,
    )


async def enqueue_for_entry(session: AsyncSession, entry: LedgerEntry, view: ProcessView) -> int:
    """Queue one delivery per event of ``entry`` per subscription that wants it; returns the count.

    Paused subscriptions are queued too, so that resuming one delivers what happened meanwhile.
    """
    events = events_for_entry(entry_facts(entry, view))
    if not events:
        return 0
    subscriptions = await _matching_subscriptions(session, entry.agency)
    next_seq = await _next_seqs(session, entry.process_id, [s.id for s in subscriptions])
    count = 0
    for sub in subscriptions:
        for event in events:
            if event.type not in sub.event_types:
                continue
            session.add(_delivery(sub.id, entry, event, next_seq[sub.id]))
            next_seq[sub.id] += 1
            count += 1
    if count:
        await session.flush()
    return count


def _delivery(sub_id: str, entry: LedgerEntry, event: Event, seq: int) -> WebhookDelivery:
    return WebhookDelivery(
        id=new_id("msg"),
        subscription_id=sub_id,
        process_id=entry.process_id,
        seq=seq,
        event_id=event.id,
        event_type=event.type,
        ledger_entry_id=entry.entry_id,
        payload=event.model_dump(mode="json"),
        status="pending",
        attempts=0,
        replays=0,
        created_at=entry.recorded_at,
    )


async def _matching_subscriptions(
    session: AsyncSession, agency: str | None
) -> list[WebhookSubscription]:
    same_agency = (
        WebhookSubscription.agency.is_(None)
        if agency is None
        else or_(WebhookSubscription.agency.is_(None), WebhookSubscription.agency == agency)
    )
    stmt = (
        select(WebhookSubscription)
        .where(WebhookSubscription.status.in_(LIVE_STATUSES), same_agency)
        .order_by(WebhookSubscription.id)
    )
    return list((await session.scalars(stmt)).all())


async def _next_seqs(
    session: AsyncSession, process_id: str, subscription_ids: Sequence[str]
) -> dict[str, int]:
    if not subscription_ids:
        return {}
    stmt = (
        select(WebhookDelivery.subscription_id, func.max(WebhookDelivery.seq))
        .where(
            WebhookDelivery.process_id == process_id,
            WebhookDelivery.subscription_id.in_(subscription_ids),
        )
        .group_by(WebhookDelivery.subscription_id)
    )
    last = {sid: int(seq) for sid, seq in (await session.execute(stmt)).all()}
    return {sid: last.get(sid, 0) + 1 for sid in subscription_ids}


# --- the dispatcher's side -----------------------------------------------------------------------


async def pending_heads(
    session: AsyncSession, subscription_id: str, *, limit: int
) -> list[WebhookDelivery]:
    """The lowest pending delivery of each process, oldest first: nothing behind a head is sent.

    A dead delivery is a head too, but not sendable: the process's later deliveries wait behind
    it until it is replayed and goes through.
    """
    other = aliased(WebhookDelivery)
    head_seq = (
        select(func.min(other.seq))
        .where(
            other.subscription_id == WebhookDelivery.subscription_id,
            other.process_id == WebhookDelivery.process_id,
            other.status.in_(BLOCKING_STATUSES),
        )
        .scalar_subquery()
    )
    stmt = (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription_id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.seq == head_seq,
        )
        .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def count_pending(session: AsyncSession, subscription_id: str) -> int:
    stmt = select(func.count()).where(
        WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.status == "pending"
    )
    return int(await session.scalar(stmt) or 0)


@dataclass(frozen=True)
class RetryBudget:
    """How long one delivery is retried before it is dead: attempts and age of its round.

    A round starts with the delivery's first attempt (waiting behind another delivery of its
    process does not age it) and starts again on each replay. ``max_attempts`` 0: no limit.
    """

    max_attempts: int = 0
    max_age: timedelta = timedelta(hours=24)

    def exhausted(self, attempts: int, started: datetime, now: datetime) -> bool:
        if self.max_attempts and attempts >= self.max_attempts:
            return True
        return now - started >= self.max_age


async def record_attempt(
    session: AsyncSession,
    delivery_id: str,
    *,
    ok: bool,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    at: datetime,
    round_attempts: int = 0,
    round_started_at: datetime | None = None,
    budget: RetryBudget | None = None,
) -> str:
    """Log one attempt and move the delivery: delivered on success; on failure still pending, or
    dead once ``budget`` is spent. ``round_*`` are the delivery's values before this attempt (one
    dispatcher per subscription is the only writer of a pending delivery). Returns the status."""
    started = round_started_at or at
    values: dict[str, Any] = {
        "attempts": WebhookDelivery.attempts + 1,
        "round_attempts": WebhookDelivery.round_attempts + 1,
        "round_started_at": started,
        "last_attempt_at": at,
        "last_status_code": status_code,
        "last_error": error,
    }
    status = "pending"
    if ok:
        status = "delivered"
        values.update(status=status, delivered_at=at)
    elif budget is not None and budget.exhausted(round_attempts + 1, started, at):
        status = "dead"
        values.update(status=status, dead_at=at)
    # The UPDATE comes first: on SQLite it takes the write lock before anything is read.
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.add(
        WebhookAttempt(
            delivery_id=delivery_id,
            attempted_at=at,
            ok=ok,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
        )
    )
    await session.flush()
    return status


# --- deliveries ----------------------------------------------------------------------------------


async def list_deliveries(
    session: AsyncSession,
    subscription_id: str,
    *,
    status: str | None,
    limit: int,
    after: str | None,
) -> list[WebhookDelivery]:
    """One page ordered by id (creation order); pass the last id of a page as ``after``."""
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if after is not None:
        stmt = stmt.where(WebhookDelivery.id > after)
    return list((await session.scalars(stmt)).all())


async def get_delivery(session: AsyncSession, delivery_id: str) -> WebhookDelivery | None:
    return await session.get(WebhookDelivery, delivery_id, populate_existing=True)


async def list_attempts(session: AsyncSession, delivery_id: str) -> list[WebhookAttempt]:
    stmt = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.id)
    )
    return list((await session.scalars(stmt)).all())


_REPLAY_VALUES: dict[str, Any] = {
    "status": "pending",
    "replays": WebhookDelivery.replays + 1,
    "round_attempts": 0,
    "round_started_at": None,
    "dead_at": None,
}


async def requeue(session: AsyncSession, delivery_id: str) -> None:
    """Queue a delivery again under its own id (a replay) with a fresh retry budget; receivers
    dedupe on that id. A dead one goes back to the head of its process's queue."""
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(**_REPLAY_VALUES)
        .execution_options(synchronize_session=False)
    )


async def requeue_dead(session: AsyncSession, subscription_id: str) -> int:
    """Replay every dead delivery of a subscription (after a long outage); returns how many."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.status == "dead")
        .values(**_REPLAY_VALUES)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)

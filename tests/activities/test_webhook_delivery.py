"""The outbox (events queued with the ledger entry) and the delivery activity, without Temporal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook
from temporalio.testing import ActivityEnvironment

from activities.contracts import PromotionViewData
from activities.webhooks import DeliverBatch, DeliveryConfig, WebhookActivities
from domain import events
from domain.ledger import Actor, LedgerEntryIn
from store import ledger, webhooks
from store.webhook_models import WebhookAttempt, WebhookDelivery
from tests.activities.webhook_receiver import Receiver, running_receiver

ALL_TYPES = list(events.EVENT_TYPES)
SUPERVISOR = Actor(id="198001012006041001", role="supervisor", agency="X")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


def agency() -> str:
    return f"WH-{uuid.uuid4().hex[:10]}"


class Process:
    """Writes ledger entries the way record_promotion does, outbox included."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], agency: str) -> None:
        self.sessions, self.agency = sessions, agency
        self.pid = f"promotion-test-{uuid.uuid4().hex[:12]}"
        self.n = 0

    async def record(
        self,
        kind: str,
        before: str | None,
        after: str,
        status: str = "in_progress",
        *,
        outcome: str = "accepted",
        actor: Actor = SUPERVISOR,
        **payload: Any,
    ) -> int:
        self.n += 1
        entry = LedgerEntryIn(
            entry_id=f"{self.pid}:run:{self.n}",
            process_id=self.pid,
            process_kind="promotion",
            kind=kind,
            outcome=outcome,  # type: ignore[arg-type]
            stage_before=before,
            stage_after=after,
            actor=actor,
            subject="198001012006041001",
            agency=self.agency,
            payload=payload,
            justification="checked" if "decision" in payload else None,
            rulebook_version="PerBKN-4-2025",
            occurred_at=datetime.now(UTC),
        )
        view = PromotionViewData(status=status, stage=after)
        async with self.sessions() as s, s.begin():
            row, created = await ledger.append(s, entry, recorded_at=datetime.now(UTC))
            assert created
            return await webhooks.enqueue_for_entry(s, row, view)

    async def run_to_completion(self) -> None:
        await self.record("promotion.started", None, "snapshot", "starting", period="2027-04-01")
        await self.record("promotion.eligibility_assessed", "snapshot", "eligible")
        await self.record("promotion.step_opened", "eligible", "supervisor")
        await self.record("promotion.reminder_sent", "supervisor", "supervisor")
        await self.record(
            "promotion.decision",
            "supervisor",
            "completed",
            "completed",
            decision="approve",
            step="supervisor",
        )


async def subscribe(
    sessions: async_sessionmaker[AsyncSession],
    agency: str | None,
    url: str = "http://127.0.0.1:9/",
    types: list[str] | None = None,
) -> str:
    async with sessions() as s, s.begin():
        sub = await webhooks.create_subscription(
            s,
            agency=agency,
            url=url,
            event_types=types or ALL_TYPES,
            description=None,
            created_by="test",
            now=datetime.now(UTC),
        )
    return sub.id


async def deliveries(sessions: async_sessionmaker[AsyncSession], sub_id: str) -> list[Any]:
    async with sessions() as s:
        stmt = (
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == sub_id)
            .order_by(WebhookDelivery.process_id, WebhookDelivery.seq)
        )
        return list((await s.scalars(stmt)).all())


async def test_entries_map_to_events_in_order(sessions) -> None:
    ag = agency()
    sub = await subscribe(sessions, ag)
    proc = Process(sessions, ag)
    await proc.run_to_completion()
    rows = await deliveries(sessions, sub)
    assert [(d.seq, d.event_type) for d in rows] == [
        (1, events.PROCESS_STARTED),
        (2, events.STAGE_CHANGED),  # snapshot -> eligible
        (3, events.STAGE_CHANGED),  # eligible -> supervisor; the reminder changes nothing
        (4, events.DECISION_RECORDED),
        (5, events.STAGE_CHANGED),
        (6, events.PROCESS_COMPLETED),
    ]
    decision = rows[3].payload
    assert decision["data"]["decision"] == "approve" and decision["data"]["ledger"]["seq"] == 5
    assert rows[5].payload["data"]["outcome"] == "completed"
    for d in rows:  # every body validates against its published schema
        model, _ = events.EVENT_TYPES[d.event_type]
        model.model_validate(d.payload)
        assert d.payload["id"] == d.event_id and d.status == "pending"


async def test_who_gets_what(sessions) -> None:
    ag = agency()
    only_done = await subscribe(sessions, ag, types=[events.PROCESS_COMPLETED])
    national = await subscribe(sessions, None, types=[events.PROCESS_STARTED])
    other_agency = await subscribe(sessions, agency())
    paused = await subscribe(sessions, ag)
    deleted = await subscribe(sessions, ag)
    async with sessions() as s, s.begin():
        await webhooks.set_status(s, paused, "paused", now=datetime.now(UTC))
        await webhooks.set_status(s, deleted, "deleted", now=datetime.now(UTC))
    proc = Process(sessions, ag)
    await proc.run_to_completion()
    # A refused attempt is in the ledger but sends nothing.
    assert await proc.record("promotion.decision_refused", "x", "y", outcome="refused") == 0
    assert [d.event_type for d in await deliveries(sessions, only_done)] == [
        events.PROCESS_COMPLETED
    ]
    national_rows = [d for d in await deliveries(sessions, national) if d.process_id == proc.pid]
    assert [d.event_type for d in national_rows] == [events.PROCESS_STARTED]
    assert await deliveries(sessions, other_agency) == []
    assert len(await deliveries(sessions, paused)) == 6  # queued, sent after resume
    assert await deliveries(sessions, deleted) == []
    async with sessions() as s, s.begin():
        await webhooks.set_status(s, national, "deleted", now=datetime.now(UTC))
    assert {d.status for d in await deliveries(sessions, national)} <= {"cancelled", "delivered"}


def activities(sessions, **kw: Any) -> WebhookActivities:
    return WebhookActivities(sessions, DeliveryConfig(**{"timeout_seconds": 2.0, **kw}))


async def test_only_heads_go_out_and_failures_are_logged(sessions, receiver: Receiver) -> None:
    ag = agency()
    sub = await subscribe(sessions, ag, url=receiver.url)
    procs = [Process(sessions, ag), Process(sessions, ag)]
    for p in procs:
        await p.record("promotion.started", None, "snapshot", "starting")
        await p.record("promotion.eligibility_assessed", "snapshot", "eligible")
    acts, env = activities(sessions), ActivityEnvironment()
    receiver.fail_first = 2
    first = await env.run(acts.deliver_batch, DeliverBatch(subscription_id=sub))
    # One head per process, both refused; nothing behind them was tried.
    assert (first.delivered, first.failed, first.pending) == (0, 2, 4)
    assert len(receiver.seen) == 2
    second = await env.run(acts.deliver_batch, DeliverBatch(subscription_id=sub))
    assert (second.delivered, second.failed, second.pending) == (2, 0, 2)
    third = await env.run(acts.deliver_batch, DeliverBatch(subscription_id=sub))
    assert (third.delivered, third.pending) == (2, 0)
    idle = await env.run(acts.deliver_batch, DeliverBatch(subscription_id=sub))
    assert (idle.subscription_status, idle.delivered, idle.failed) == ("active", 0, 0)

    rows = await deliveries(sessions, sub)
    secret = await _secret(sessions, sub)
    for seen in receiver.seen:
        Webhook(secret).verify(seen.body, seen.headers)  # raises if not valid
    for p in procs:  # per process: started (seq 1) accepted before the stage change (seq 2)
        order = [
            s.event["type"]
            for s in receiver.accepted_events
            if s.event["data"]["process_id"] == p.pid
        ]
        assert order == [events.PROCESS_STARTED, events.STAGE_CHANGED]
    started = [d for d in rows if d.seq == 1]
    assert all(d.attempts == 2 and d.status == "delivered" for d in started)
    async with sessions() as s:
        log = list(
            (
                await s.scalars(
                    select(WebhookAttempt)
                    .where(WebhookAttempt.delivery_id == started[0].id)
                    .order_by(WebhookAttempt.id)
                )
            ).all()
        )
    assert [(a.ok, a.status_code) for a in log] == [(False, 503), (True, 204)]
    assert log[0].error.startswith("HTTP 503") and log[1].error is None
    assert all(a.duration_ms >= 0 for a in log)


async def test_a_slow_receiver_is_a_failed_attempt(sessions, receiver: Receiver) -> None:
    ag = agency()
    sub = await subscribe(sessions, ag, url=receiver.url)
    await Process(sessions, ag).record("promotion.started", None, "snapshot", "starting")
    receiver.delay = 1.0
    result = await ActivityEnvironment().run(
        activities(sessions, timeout_seconds=0.2).deliver_batch, DeliverBatch(subscription_id=sub)
    )
    assert (result.delivered, result.failed) == (0, 1)
    (row,) = await deliveries(sessions, sub)
    assert row.last_error == "timed out after 0.2 s" and row.last_status_code is None


async def test_paused_or_deleted_subscriptions_send_nothing(sessions, receiver: Receiver) -> None:
    ag = agency()
    sub = await subscribe(sessions, ag, url=receiver.url)
    await Process(sessions, ag).record("promotion.started", None, "snapshot", "starting")
    acts, env = activities(sessions), ActivityEnvironment()
    async with sessions() as s, s.begin():
        await webhooks.set_status(s, sub, "paused", now=datetime.now(UTC))
    paused = await env.run(acts.deliver_batch, DeliverBatch(subscription_id=sub))
    assert (paused.subscription_status, paused.pending) == ("paused", 1)
    async with sessions() as s, s.begin():
        await webhooks.set_status(s, sub, "deleted", now=datetime.now(UTC))
    gone = await env.run(acts.deliver_batch, DeliverBatch(subscription_id=sub))
    assert gone.subscription_status == "deleted"
    missing = await env.run(acts.deliver_batch, DeliverBatch(subscription_id="whsub_nope"))
    assert missing.subscription_status == "deleted"
    assert receiver.seen == []


async def test_a_replay_goes_out_again_under_the_same_id(sessions, receiver: Receiver) -> None:
    ag = agency()
    sub = await subscribe(sessions, ag, url=receiver.url)
    await Process(sessions, ag).record("promotion.started", None, "snapshot", "starting")
    acts, env = activities(sessions), ActivityEnvironment()
    await env.run(acts.deliver_batch, DeliverBatch(subscription_id=sub))
    (row,) = await deliveries(sessions, sub)
    async with sessions() as s, s.begin():
        await webhooks.requeue(s, row.id)
    again = await env.run(acts.deliver_batch, DeliverBatch(subscription_id=sub))
    assert again.delivered == 1
    assert [s.webhook_id for s in receiver.seen] == [row.id, row.id]
    assert receiver.accepted_ids == {row.id: 2}  # the receiver's dedup table sees one event
    (row,) = await deliveries(sessions, sub)
    assert (row.status, row.replays, row.attempts) == ("delivered", 1, 2)


async def _secret(sessions, sub_id: str) -> str:
    async with sessions() as s:
        sub = await webhooks.get_subscription(s, sub_id)
    assert sub is not None and sub.secret.startswith("whsec_")
    return sub.secret

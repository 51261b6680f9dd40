"""The outbox (events queued with the ledger entry) and the delivery activity, without Temporal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook
from temporalio.testing import ActivityEnvironment

from activities import webhooks as webhook_activities
from activities.contracts import PromotionViewData
from activities.webhooks import DeliverBatch, DeliverBatchResult, DeliveryConfig, WebhookActivities
from domain import events
from domain.ledger import Actor, LedgerEntryIn
from infra.settings import Settings
from store import ledger, webhook_subscriptions, webhooks
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
        sub = await webhook_subscriptions.create_subscription(
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
        await webhook_subscriptions.set_status(s, paused, "paused", now=datetime.now(UTC))
        await webhook_subscriptions.set_status(s, deleted, "deleted", now=datetime.now(UTC))
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
        await webhook_subscriptions.set_status(s, national, "deleted", now=datetime.now(UTC))
    assert {d.status for d in await deliveries(sessions, national)} <= {"cancelled", "delivered"}


def activities(sessions, **kw: Any) -> WebhookActivities:
    """The receiver is on 127.0.0.1: the worker's policy allows loopback, as in development."""
    config = {"timeout_seconds": 2.0, "allow_loopback": True, **kw}
    return WebhookActivities(sessions, DeliveryConfig(**config))


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
        await webhook_subscriptions.set_status(s, sub, "paused", now=datetime.now(UTC))
    paused = await env.run(acts.deliver_batch, DeliverBatch(subscription_id=sub))
    assert (paused.subscription_status, paused.pending) == ("paused", 1)
    async with sessions() as s, s.begin():
        await webhook_subscriptions.set_status(s, sub, "deleted", now=datetime.now(UTC))
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
        sub = await webhook_subscriptions.get_subscription(s, sub_id)
    assert sub is not None and sub.secret.startswith("whsec_")
    return sub.secret


# --- dead letters --------------------------------------------------------------------------------


async def test_a_delivery_that_never_gets_through_is_dead_and_holds_its_process(
    sessions, receiver: Receiver
) -> None:
    ag = agency()
    sub = await subscribe(sessions, ag, url=receiver.url)
    stuck, other = Process(sessions, ag), Process(sessions, ag)
    await stuck.record("promotion.started", None, "snapshot", "starting")
    await stuck.record("promotion.eligibility_assessed", "snapshot", "eligible")
    acts, env = activities(sessions), ActivityEnvironment()
    req = DeliverBatch(subscription_id=sub, max_attempts=3)
    receiver.down = True
    results = [await env.run(acts.deliver_batch, req) for _ in range(3)]
    assert [(r.failed, r.dead) for r in results] == [(1, 0), (1, 0), (1, 1)]
    head, behind = await deliveries(sessions, sub)
    assert (head.status, head.attempts, head.round_attempts) == ("dead", 3, 3)
    assert head.dead_at is not None and head.dead_at == head.last_attempt_at
    assert behind.status == "pending" and behind.attempts == 0
    async with sessions() as s:
        assert len(await webhooks.list_attempts(s, head.id)) == 3  # every attempt is logged
        dead = await webhooks.list_deliveries(s, sub, status="dead", limit=10, after=None)
    assert [d.id for d in dead] == [head.id]

    # The dead head holds its process: the receiver is back, but seq 2 is not sent before seq 1;
    # another process is not held.
    receiver.down = False
    await other.record("promotion.started", None, "snapshot", "starting")
    held = await env.run(acts.deliver_batch, req)
    assert (held.delivered, held.failed) == (1, 0)
    assert behind.id not in {s.webhook_id for s in receiver.seen}
    assert await env.run(acts.deliver_batch, req) == DeliverBatchResult(
        subscription_status="active"
    )

    # A replay: a fresh budget, the same webhook-id, then what waited behind it, in order.
    async with sessions() as s, s.begin():
        await webhooks.requeue(s, head.id)
    replayed = await env.run(acts.deliver_batch, req)
    assert (replayed.delivered, replayed.pending) == (1, 1)
    assert (await env.run(acts.deliver_batch, req)).delivered == 1
    rows = {d.id: d for d in await deliveries(sessions, sub)}
    assert rows[head.id].status == rows[behind.id].status == "delivered"
    assert (rows[head.id].attempts, rows[head.id].replays, rows[head.id].round_attempts) == (
        4,
        1,
        1,
    )
    assert rows[head.id].dead_at is None
    secret = await _secret(sessions, sub)
    order = [
        s.webhook_id for s in receiver.accepted_events if s.event["data"]["process_id"] == stuck.pid
    ]
    assert order == [head.id, behind.id]
    for seen in receiver.seen:
        Webhook(secret).verify(seen.body, seen.headers)


async def test_the_age_of_a_round_bounds_it_too(sessions, receiver: Receiver) -> None:
    ag = agency()
    sub = await subscribe(sessions, ag, url=receiver.url)
    await Process(sessions, ag).record("promotion.started", None, "snapshot", "starting")
    acts, env = activities(sessions), ActivityEnvironment()
    req = DeliverBatch(subscription_id=sub, max_age_seconds=3600)
    receiver.down = True
    first = await env.run(acts.deliver_batch, req)
    assert (first.failed, first.dead) == (1, 0)
    (row,) = await deliveries(sessions, sub)
    # The first attempt of the round was two hours ago (moved back, not waited for).
    async with sessions() as s, s.begin():
        await s.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == row.id)
            .values(round_started_at=row.round_started_at - timedelta(hours=2))
        )
    second = await env.run(acts.deliver_batch, req)
    assert (second.failed, second.dead) == (1, 1)
    (row,) = await deliveries(sessions, sub)
    assert (row.status, row.attempts) == ("dead", 2)


def test_the_budget_counts_attempts_and_age() -> None:
    start = datetime(2027, 1, 1, tzinfo=UTC)
    b = webhooks.RetryBudget(max_attempts=5, max_age=timedelta(hours=24))
    assert not b.exhausted(4, start, start + timedelta(hours=23))
    assert b.exhausted(5, start, start)
    assert b.exhausted(1, start, start + timedelta(hours=24))
    assert not webhooks.RetryBudget().exhausted(10_000, start, start + timedelta(hours=1))


# --- the SSRF guard at delivery time -------------------------------------------------------------


def fake_dns(monkeypatch: pytest.MonkeyPatch, *answers: list[str]) -> list[str]:
    """Replace the resolver: each lookup takes the next answer (the last one repeats)."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[min(len(asked) - 1, len(answers) - 1)]

    monkeypatch.setattr(webhook_activities, "resolve_host", resolve)
    return asked


async def test_a_host_that_now_resolves_inside_is_refused_and_logged(
    sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    ag = agency()
    sub = await subscribe(sessions, ag, url="https://hooks.example.go.id/in")
    await Process(sessions, ag).record("promotion.started", None, "snapshot", "starting")
    asked = fake_dns(monkeypatch, ["10.20.30.40"])
    req = DeliverBatch(subscription_id=sub, max_attempts=2)
    result = await ActivityEnvironment().run(activities(sessions).deliver_batch, req)
    assert (result.delivered, result.failed) == (0, 1) and asked == ["hooks.example.go.id"]
    (row,) = await deliveries(sessions, sub)
    assert row.last_error.startswith("refused (webhook_url_forbidden_address)")
    assert "10.20.30.40" in row.last_error and row.last_status_code is None
    # It spends the budget like any failure.
    await ActivityEnvironment().run(activities(sessions).deliver_batch, req)
    (row,) = await deliveries(sessions, sub)
    assert (row.status, row.attempts) == ("dead", 2)


async def test_a_dns_answer_that_changes_after_the_check_is_refused_at_connect(
    sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: public for the check, the metadata address for the connection."""
    ag = agency()
    sub = await subscribe(sessions, ag, url="https://hooks.example.go.id/in")
    await Process(sessions, ag).record("promotion.started", None, "snapshot", "starting")
    asked = fake_dns(monkeypatch, ["93.184.216.34"], ["169.254.169.254"])
    req = DeliverBatch(subscription_id=sub)
    result = await ActivityEnvironment().run(activities(sessions).deliver_batch, req)
    assert result.failed == 1 and len(asked) == 2
    (row,) = await deliveries(sessions, sub)
    assert "169.254.169.254, a link-local address" in row.last_error


async def test_loopback_is_refused_when_the_worker_does_not_allow_it(
    sessions, receiver: Receiver
) -> None:
    ag = agency()
    sub = await subscribe(sessions, ag, url=receiver.url)
    await Process(sessions, ag).record("promotion.started", None, "snapshot", "starting")
    strict = activities(sessions, allow_loopback=False)
    # The worker's policy wins over what the dispatcher passes.
    req = DeliverBatch(subscription_id=sub, allow_loopback=True)
    result = await ActivityEnvironment().run(strict.deliver_batch, req)
    assert result.failed == 1 and receiver.seen == []
    (row,) = await deliveries(sessions, sub)
    assert "127.0.0.1 is a loopback address" in row.last_error


@pytest.mark.parametrize(
    ("url", "allow", "code"),
    [
        ("https://10.1.2.3/in", True, "webhook_url_forbidden_address"),
        ("https://172.16.0.1/in", True, "webhook_url_forbidden_address"),
        ("https://192.168.1.1/in", True, "webhook_url_forbidden_address"),
        ("https://127.0.0.1/in", False, "webhook_url_forbidden_address"),
        ("https://127.9.9.9/in", False, "webhook_url_forbidden_address"),
        ("https://169.254.169.254/latest/meta-data", True, "webhook_url_forbidden_address"),
        ("https://[::1]/in", False, "webhook_url_forbidden_address"),
        ("https://[fd00::1]/in", True, "webhook_url_forbidden_address"),
        ("https://[fe80::1]/in", True, "webhook_url_forbidden_address"),
        ("https://[::ffff:10.0.0.1]/in", True, "webhook_url_forbidden_address"),
        ("https://224.0.0.1/in", True, "webhook_url_forbidden_address"),
        ("https://0.0.0.0/in", True, "webhook_url_forbidden_address"),
        ("https://240.0.0.1/in", True, "webhook_url_forbidden_address"),
        ("https://100.64.0.1/in", True, "webhook_url_forbidden_address"),
        ("http://93.184.216.34/in", True, "webhook_url_insecure"),
        ("http://127.0.0.1:8080/in", False, "webhook_url_forbidden_address"),
        ("ftp://93.184.216.34/in", True, "webhook_url_insecure"),
    ],
)
async def test_check_url_refuses(url: str, allow: bool, code: str) -> None:
    with pytest.raises(webhook_activities.UnsafeDestination) as refused:
        await webhook_activities.check_url(url, allow_loopback=allow)
    assert refused.value.code == code


async def test_check_url_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    assert await webhook_activities.check_url("https://93.184.216.34/in", allow_loopback=False)
    assert await webhook_activities.check_url("http://127.0.0.1:8080/in", allow_loopback=True)
    assert await webhook_activities.check_url("https://[::1]/in", allow_loopback=True)
    fake_dns(monkeypatch, ["93.184.216.34", "2606:2800:220:1::1"])
    assert await webhook_activities.check_url("https://hooks.example.go.id/", allow_loopback=False)
    fake_dns(monkeypatch, ["93.184.216.34", "10.0.0.1"])  # one bad answer among good ones
    with pytest.raises(webhook_activities.UnsafeDestination):
        await webhook_activities.check_url("https://hooks.example.go.id/", allow_loopback=False)


def test_loopback_is_a_development_allowance() -> None:
    assert Settings(env="development").webhook_loopback_allowed
    assert Settings(env="test").webhook_loopback_allowed
    assert not Settings(env="production").webhook_loopback_allowed
    assert not Settings(env="test", webhook_allow_loopback=False).webhook_loopback_allowed
    config = DeliveryConfig.from_settings(Settings(env="production", webhook_max_attempts=7))
    budget, loopback = config.policy(DeliverBatch(subscription_id="s", allow_loopback=True))
    assert (budget.max_attempts, budget.max_age, loopback) == (7, timedelta(hours=24), False)

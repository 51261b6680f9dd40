"""Outbound webhooks end to end: the HTTP API, a Temporal dev server, a real worker, the database,
and a receiver on 127.0.0.1 that is down for its first attempts.
"""

from __future__ import annotations

import asyncio
import operator
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from domain import events
from infra.settings import Settings
from infra.tokens import mint_token
from server import create_app
from tests.activities.webhook_receiver import Receiver, running_receiver
from tests.conftest import employee
from worker import build_worker
from workflows.webhooks import DispatcherResult, dispatcher_workflow_id

SUBS = "/v1/webhooks/subscriptions"
PER_PROMOTION = 10
T = TypeVar("T")


class Api:
    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self.http, self.settings = http, settings
        self.agency = f"WH-{uuid.uuid4().hex[:10]}"

    async def call(
        self,
        method: str,
        url: str,
        body: Any = None,
        role: str = "agency_hr",
        sub: str = "hr-1",
        agency: str | None | bool = True,
    ) -> httpx.Response:
        claim = self.agency if agency is True else agency
        token = mint_token(self.settings, role=role, sub=sub, agency=claim or None)
        headers = {"Authorization": f"Bearer {token}"}
        return await self.http.request(method, url, json=body, headers=headers)

    async def deliveries(self, sub_id: str, status: str | None = None) -> list[dict[str, Any]]:
        query = f"?limit=500&status={status}" if status else "?limit=500"
        r = await self.call("GET", f"{SUBS}/{sub_id}/deliveries{query}")
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items

    async def promotion(self) -> str:
        """One promotion approved twice, then rejected by agency HR (a terminal outcome reached
        without the BKN review, whose set-up is another test's business); returns its id."""
        rec = employee(agency=self.agency)
        assert (await self.call("POST", "/v1/employees", rec)).status_code == 201
        body = {"nip": rec["nip"], "period": "2027-04-01", "type": "regular"}
        r = await self.call("POST", "/v1/promotions", body, role="hr_system", sub="simpeg")
        assert r.status_code == 201, r.text
        pid: str = r.json()["id"]
        chain = [
            ("supervisor", rec["supervisor_nip"], "approve"),
            ("promotion_board", "board-chair", "approve"),
            ("agency_hr", "hr-1", "reject"),
        ]
        for role, sub, decision in chain:
            await eventually(lambda: self._pending_role(pid), partial(operator.eq, role))
            body = {"decision": decision, "justification": f"{role}: {decision}"}
            r = await self.call("POST", f"/v1/promotions/{pid}/decisions", body, role, sub)
            assert r.status_code == 200, r.text
        assert r.json()["status"] == "rejected"
        return pid

    async def _pending_role(self, pid: str) -> str | None:
        body = (await self.call("GET", f"/v1/promotions/{pid}", role="auditor")).json()
        return (body.get("pending") or {}).get("role")


async def eventually(
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], seconds: float = 120
) -> T:
    deadline = asyncio.get_running_loop().time() + seconds  # generous: a loaded CI box is slow
    value = await probe()
    while not done(value):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition never met; last: {value!r}")
        await asyncio.sleep(0.1)
        value = await probe()
    return value


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


FAST = {
    "webhook_idle_seconds": 0.3,
    "webhook_backoff_initial_seconds": 0.2,
    "webhook_backoff_max_seconds": 1.0,
    "webhook_timeout_seconds": 5.0,
}


async def _api(
    env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[Api]:
    app = create_app(settings, client=env.client)
    async with build_worker(env.client, sessions, settings), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as http:
            yield Api(http, settings)


@pytest_asyncio.fixture
async def api(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[Api]:
    async for a in _api(dev_env, sessions, settings.model_copy(update=FAST)):
        yield a


@pytest_asyncio.fixture
async def small_budget_api(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[Api]:
    """A retry budget of three attempts (a tiny one from settings: no waiting for 24 hours)."""
    update = {**FAST, "webhook_backoff_initial_seconds": 0.05, "webhook_max_attempts": 3}
    async for a in _api(dev_env, sessions, settings.model_copy(update=update)):
        yield a


async def subscribe(api: Api, receiver: Receiver) -> tuple[str, str]:
    body = {"url": receiver.url, "event_types": list(events.EVENT_TYPES)}
    r = await api.call("POST", SUBS, body)
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["secret"]


def all_delivered(items: list[dict[str, Any]]) -> bool:
    return bool(items) and all(d["status"] == "delivered" for d in items)


def assert_in_order_per_process(receiver: Receiver, deliveries: list[dict[str, Any]]) -> None:
    """What the receiver accepted, per process, is the deliveries in sequence order."""
    _, accepted, _ = receiver.snapshot()
    for pid in {d["process_id"] for d in deliveries}:
        expected = [
            d["id"]
            for d in sorted(deliveries, key=lambda d: d["sequence"])
            if d["process_id"] == pid
        ]
        got = [s.webhook_id for s in accepted if s.event["data"]["process_id"] == pid]
        assert got == expected, pid
        ledger_seqs = [
            s.event["data"]["ledger"]["seq"]
            for s in accepted
            if s.event["data"]["process_id"] == pid
        ]
        assert ledger_seqs == sorted(ledger_seqs)


async def test_a_receiver_down_at_first_gets_every_event_signed_in_order(
    api: Api, receiver: Receiver, dev_env: WorkflowEnvironment
) -> None:
    receiver.fail_first = 5
    sub_id, secret = await subscribe(api, receiver)
    pids = await asyncio.gather(api.promotion(), api.promotion())

    items = await eventually(lambda: api.deliveries(sub_id), all_delivered)
    # Per promotion: started, 2 stage changes before the chain, 3 decisions each with a stage
    # change, and the completion (outcome: rejected).
    assert len(items) == 2 * PER_PROMOTION
    for pid in pids:
        kinds = [d["event_type"] for d in items if d["process_id"] == pid]
        assert kinds.count(events.DECISION_RECORDED) == 3
        assert kinds.count(events.PROCESS_STARTED) == kinds.count(events.PROCESS_COMPLETED) == 1
    seen, accepted, dedup = receiver.snapshot()
    assert sum(1 for s in seen if s.answered == 503) == 5  # the outage was real
    webhook = Webhook(secret)
    for s in seen:  # every attempt is signed, refused ones too
        assert webhook.verify(s.body, s.headers) == s.event
    # The receiver's dedup-by-id table has every delivery once; the event ids are unique too.
    assert set(dedup) == {d["id"] for d in items} and len(accepted) == len(items)
    assert len({s.event["id"] for s in accepted}) == len(items)
    assert_in_order_per_process(receiver, items)
    retried = [d for d in items if d["attempts"] > 1]
    assert retried and all(d["last_status_code"] == 204 for d in items)
    detail = (await api.call("GET", f"/v1/webhooks/deliveries/{retried[0]['id']}")).json()
    assert [a["status_code"] for a in detail["attempt_log"]][-1] == 204
    assert all(a["duration_ms"] >= 0 and a["attempted_at"] for a in detail["attempt_log"])
    assert detail["attempt_log"][0]["ok"] is False and "503" in detail["attempt_log"][0]["error"]

    # A replay goes out again under the same webhook-id: the dedup table counts it, adds nothing.
    first = min(items, key=lambda d: d["id"])
    r = await api.call("POST", f"/v1/webhooks/deliveries/{first['id']}/replay")
    assert r.status_code == 202 and r.json()["status"] == "pending"
    await eventually(lambda: _dedup(receiver), lambda d: d.get(first["id"]) == 2)
    replayed = [s for s in receiver.snapshot()[0] if s.webhook_id == first["id"]][-1]
    assert webhook.verify(replayed.body, replayed.headers)["id"] == first["event_id"]
    assert set(receiver.snapshot()[2]) == set(dedup)
    # The receiver answers before the worker records the attempt: wait for the record too.
    again = await eventually(
        lambda: _delivery(api, first["id"]), lambda d: d["status"] == "delivered"
    )
    assert again["replays"] == 1

    # Deleting the subscription ends its dispatcher.
    assert (await api.call("DELETE", f"{SUBS}/{sub_id}")).status_code == 204
    handle = dev_env.client.get_workflow_handle(
        dispatcher_workflow_id(sub_id), result_type=DispatcherResult
    )
    result = await asyncio.wait_for(handle.result(), timeout=60)
    assert result.delivered >= len(items)


async def _delivery(api: Api, delivery_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await api.call("GET", f"/v1/webhooks/deliveries/{delivery_id}")).json()
    return body


async def _dedup(receiver: Receiver) -> dict[str, int]:
    return receiver.snapshot()[2]


async def test_pause_holds_deliveries_and_resume_sends_them_in_order(
    api: Api, receiver: Receiver, dev_env: WorkflowEnvironment
) -> None:
    sub_id, secret = await subscribe(api, receiver)
    r = await api.call("POST", f"{SUBS}/{sub_id}/pause")
    assert r.status_code == 200 and r.json()["status"] == "paused"
    pid = await api.promotion()
    await asyncio.sleep(2.0)  # several idle periods of the dispatcher
    pending = await api.deliveries(sub_id, "pending")
    assert len(pending) == PER_PROMOTION and {d["process_id"] for d in pending} == {pid}
    assert receiver.snapshot()[0] == []  # nothing went out while paused

    r = await api.call("POST", f"{SUBS}/{sub_id}/resume")
    assert r.status_code == 200 and r.json()["status"] == "active"
    items = await eventually(lambda: api.deliveries(sub_id), all_delivered)
    assert len(items) == PER_PROMOTION
    assert_in_order_per_process(receiver, items)
    for s in receiver.snapshot()[0]:
        Webhook(secret).verify(s.body, s.headers)
    handle = dev_env.client.get_workflow_handle(f"webhooks-{sub_id}")
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    await api.call("DELETE", f"{SUBS}/{sub_id}")


async def test_bad_subscription_input_is_422_and_creates_nothing(api: Api) -> None:
    for body in (
        {"url": "ftp://hr.example.go.id/in", "event_types": [events.PROCESS_STARTED]},
        {"url": "https://hr.example.go.id/in", "event_types": ["meritflow.nope.v1"]},
        {"url": "https://hr.example.go.id/in", "event_types": []},
    ):
        r = await api.call("POST", SUBS, body)
        assert r.status_code == 422 and r.json()["error"] == "validation_error", r.text
    assert (await api.call("GET", SUBS)).json()["items"] == []


async def test_a_receiver_that_never_recovers_ends_with_dead_letters_that_replay(
    small_budget_api: Api, receiver: Receiver
) -> None:
    api = small_budget_api
    receiver.down = True
    sub_id, secret = await subscribe(api, receiver)
    pids = await asyncio.gather(api.promotion(), api.promotion())

    # Each process's first event spends its budget and is dead; its later events wait behind it.
    dead = await eventually(lambda: api.deliveries(sub_id, "dead"), lambda d: len(d) == 2)
    assert {d["process_id"] for d in dead} == set(pids)
    assert all(d["sequence"] == 1 and d["attempts"] == 3 and d["dead_at"] for d in dead)
    assert all(d["last_status_code"] == 503 for d in dead)
    detail = (await api.call("GET", f"/v1/webhooks/deliveries/{dead[0]['id']}")).json()
    assert [a["status_code"] for a in detail["attempt_log"]] == [503, 503, 503]
    items = await api.deliveries(sub_id)
    assert len(items) == 2 * PER_PROMOTION
    assert sum(d["status"] == "pending" for d in items) == 2 * (PER_PROMOTION - 1)
    seen, _, _ = receiver.snapshot()
    assert {s.webhook_id for s in seen} == {d["id"] for d in dead}  # nothing behind them was sent
    assert len(seen) == 6

    # The receiver is back. One dead letter replayed alone; the other with the bulk replay.
    receiver.down = False
    one, other = sorted(dead, key=lambda d: d["process_id"])
    r = await api.call("POST", f"/v1/webhooks/deliveries/{one['id']}/replay")
    assert r.status_code == 202 and r.json()["status"] == "pending", r.text
    assert r.json()["dead_at"] is None and r.json()["replays"] == 1

    def done(pid: str) -> Callable[[list[dict[str, Any]]], bool]:
        return lambda items: all_delivered([d for d in items if d["process_id"] == pid])

    await eventually(lambda: api.deliveries(sub_id), done(one["process_id"]))
    assert [d["id"] for d in await api.deliveries(sub_id, "dead")] == [other["id"]]
    r = await api.call("POST", f"{SUBS}/{sub_id}/deliveries/replay-dead")
    assert r.status_code == 202 and r.json()["replayed"] == 1, r.text
    items = await eventually(lambda: api.deliveries(sub_id), all_delivered)

    webhook = Webhook(secret)
    seen, accepted, dedup = receiver.snapshot()
    for s in seen:
        assert webhook.verify(s.body, s.headers) == s.event
    assert set(dedup) == {d["id"] for d in items} and all(n == 1 for n in dedup.values())
    assert_in_order_per_process(receiver, items)
    replayed = {d["id"]: d for d in items}
    assert replayed[one["id"]]["attempts"] == 4 and replayed[one["id"]]["replays"] == 1
    await api.call("DELETE", f"{SUBS}/{sub_id}")

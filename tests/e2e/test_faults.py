"""Decisions under crashes: the worker and the Temporal server are SIGKILLed while clients walk.

Real components as separate processes (a file-backed Temporal dev server, the worker, the API),
the run's real database. Clients walk promotions through the HTTP API concurrently, each request
with its own X-Request-Id, sent again with the same id while the answer is "not now". Mid-walk the
worker is killed and restarted; later the Temporal server. Afterwards:

- every process finished;
- every decision a client was told was accepted (2xx) is in the ledger exactly once, and no step
  has two accepted decisions;
- no ledger entry lacks its history event, and no history event its entry (reconciliation);
- every refusal a client was told of is in the ledger exactly once, by its request id;
- every chain verifies.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.settings import Settings
from tests.conftest import PERIOD, employee
from tests.helpers.live_stack import LiveStack, live_stack
from tests.helpers.walkers import ROLE_SUB, Client, walk_promotion

PROMOTIONS = 6
CONCURRENCY = 3

pytestmark = pytest.mark.timeout(900)


async def _prepare(c: Client) -> list[str]:
    body = {"code": "BKN", "name": "BKN", "kind": "technical_approval", "head_reviewer_id": "h"}
    r = await c.send("POST", "/v1/review-bodies", body, "admin", "ops", None)
    assert r.status_code in (200, 201), r.text
    for rid in ("bkn-fault-1", "bkn-fault-2"):
        r = await c.send(
            "POST",
            "/v1/review-bodies/BKN/reviewers",
            {"id": rid, "name": rid},
            "admin",
            "ops",
            None,
        )
        assert r.status_code in (200, 201), r.text
    nips = []
    for _ in range(PROMOTIONS):
        rec = employee()
        r = await c.send("POST", "/v1/employees", rec, "hr_system", "simpeg")
        assert r.status_code in (200, 201), r.text
        nips.append(rec["nip"])
    return nips


def _decisions(c: Client) -> list[Any]:
    return [s for s in c.sent if s.url.endswith("/decisions") or "/reviews/" in s.url]


async def _inject(stack: LiveStack, c: Client, done: asyncio.Event) -> list[str]:
    """Kill the worker after a few decisions, then the Temporal server after a few more."""
    faults: list[str] = []
    for name, after in (("worker", 4), ("temporal", 10)):
        while sum(1 for s in _decisions(c) if s.status < 300) < after and not done.is_set():
            await asyncio.sleep(0.1)
        if done.is_set():
            break
        stack.kill(name)
        faults.append(name)
        await asyncio.sleep(2.0)
        await stack.restart(name)
    return faults


async def _check(c: Client, pids: list[str]) -> None:
    for pid in pids:
        p = (await c.get(f"/v1/promotions/{pid}")).json()
        assert p["status"] == "completed", p
        entries = (await c.get(f"/v1/processes/{pid}/ledger")).json()["entries"]
        accepted = [
            e["payload"]["step"]
            for e in entries
            if e["outcome"] == "accepted"
            and e["kind"].startswith(("promotion.decision", "promotion.review_concluded"))
        ]
        assert Counter(accepted) == Counter(set(accepted)), (pid, accepted)
        assert len(accepted) == 5, (pid, accepted)
        told = [s for s in c.sent if s.url == f"/v1/promotions/{pid}/decisions" and s.status < 300]
        assert {s.body["last_decision"]["step"] for s in told} <= set(accepted)
        refused_ids = Counter(
            e["payload"].get("request_id") for e in entries if e["outcome"] == "refused"
        )
        for s in c.sent:
            if s.url.startswith(f"/v1/promotions/{pid}/") and 400 <= s.status < 500:
                assert refused_ids[s.request_id] == 1, (s, refused_ids)
        report = (await c.get(f"/v1/audit/processes/{pid}/reconciliation")).json()
        assert report["ok"], report
        review_ids = {e["payload"]["review_id"] for e in entries if "review_id" in e["payload"]}
        for rid in review_ids:
            report = (await c.get(f"/v1/audit/processes/{rid}/reconciliation")).json()
            assert report["ok"], report
        for process in (pid, *review_ids):
            verdict = (await c.get(f"/v1/processes/{process}/ledger/verify")).json()
            assert verdict["ok"], verdict


async def test_decisions_survive_killed_worker_and_temporal_server(
    migrated_url: str, tmp_path: Path, settings: Settings
) -> None:
    async with live_stack(migrated_url, tmp_path) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=90.0) as http:
            c = Client(http, settings)
            nips = await _prepare(c)
            done = asyncio.Event()
            injector = asyncio.create_task(_inject(stack, c, done))
            gate = asyncio.Semaphore(CONCURRENCY)

            async def one(nip: str) -> str:
                async with gate:
                    return await walk_promotion(c, nip, PERIOD.isoformat())

            try:
                pids = await asyncio.gather(*(one(n) for n in nips))
            except AssertionError as err:
                raise AssertionError(f"{err}\n{stack.logs()}") from err
            finally:
                done.set()
            faults = await injector
            assert faults == ["worker", "temporal"], faults
            await _check(c, list(pids))


async def test_decisions_while_temporal_is_down_answer_503_then_succeed(
    migrated_url: str, tmp_path: Path, settings: Settings
) -> None:
    """The Temporal server is down: a decision answers 503 with Retry-After and a sentence (not 500),
    and reads of the process still answer; the same request, sent again after the restart, is
    accepted once and recorded once."""
    async with live_stack(migrated_url, tmp_path) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=90.0) as http:
            c = Client(http, settings)
            (nip,) = (await _prepare(c))[:1]
            r = await c.send("POST", "/v1/promotions", {"nip": nip, "period": PERIOD.isoformat()},
                             "hr_system", "hr")  # fmt: skip
            assert r.status_code in (200, 201), r.text
            pid = r.json()["id"]
            pending = await _pending(c, pid)
            stack.kill("temporal")
            body = {"decision": "approve", "justification": "checked", "step": pending["step"]}
            role = pending.get("escalated_to_role") or pending["role"]
            sub = pending.get("actor_id") or ROLE_SUB.get(role, f"{role}-1")
            headers = {**c.auth(role, sub), "X-Request-Id": "down-1"}
            url = f"/v1/promotions/{pid}/decisions"
            during = await http.post(url, json=body, headers=headers)
            assert during.status_code == 503, during.text
            assert int(during.headers["Retry-After"]) > 0
            assert during.json()["error"] == "temporal_unavailable", during.text
            read = await http.get(f"/v1/promotions/{pid}", headers=c.auth("auditor", "reader"))
            assert read.status_code in (200, 503), read.text
            await stack.restart("temporal")
            deadline = asyncio.get_running_loop().time() + 120
            after = during
            while after.status_code == 503 or _in_progress(after):
                assert asyncio.get_running_loop().time() < deadline, after.text
                await asyncio.sleep(1.0)
                after = await http.post(url, json=body, headers=headers)
            assert after.status_code < 300, after.text
            entries = (await c.get(f"/v1/processes/{pid}/ledger")).json()["entries"]
            step = pending["step"]
            accepted = [
                e
                for e in entries
                if e["outcome"] == "accepted"
                and e["kind"].startswith("promotion.decision")
                and e["payload"].get("step") == step
            ]
            assert len(accepted) == 1, accepted
            refused = [e for e in entries if e["payload"].get("request_id") == "down-1"]
            assert refused == [], refused  # an outage is not a refusal


def _in_progress(r: httpx.Response) -> bool:
    return r.status_code == 409 and r.json().get("error") == "request_in_progress"


async def _pending(c: Client, pid: str) -> dict[str, Any]:
    for _ in range(600):
        p = (await c.get(f"/v1/promotions/{pid}")).json()
        if p.get("pending") and not p["pending"].get("review_id"):
            return dict(p["pending"])
        await asyncio.sleep(0.2)
    raise AssertionError(f"{pid} never waited for a decision")

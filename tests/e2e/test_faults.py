"""Decisions under crashes (``make chaos`` runs the long profile, CI the short one).

Real components as separate processes (a file-backed Temporal dev server, the worker, the API),
the run's real database. Clients walk promotions and a selection through the HTTP API concurrently,
each request with its own X-Request-Id, sent again with the same id while the answer is "not now".
Meanwhile the worker is SIGKILLed mid-activity, the Temporal server restarted, the API SIGKILLed
mid-request and, on PostgreSQL, the app's database connections ended (``pg_terminate_backend``: the
machine's server is shared, so it is not restarted). During the outages every answer is a 2xx, a
4xx, or 503 with Retry-After: never 500. Afterwards:

- every process finished or is waiting for its next step: none stuck;
- every decision a client was told was accepted (2xx) is in the ledger exactly once, and no step
  has two accepted decisions; no entry is duplicated (seq 1..n in every chain);
- every refusal a client was told of is in the ledger exactly once, by its request id;
- every chain verifies, and the offline verifier passes over the whole export against a checkpoint
  signed after the recovery;
- reconciliation against the Temporal histories finds nothing.

The run prints those counts (docs/reliability-ops.md).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.settings import Settings
from tests.conftest import PERIOD
from tests.e2e.chaos_support import (
    Answers,
    inject,
    profile,
    refuse,
    server_error_context,
    verify_offline,
    walk_selection,
)
from tests.helpers.live_stack import live_stack
from tests.helpers.walkers import ROLE_SUB, Client, prepare_stack, walk_promotion

pytestmark = pytest.mark.timeout(900)


def _decisions(c: Client) -> list[Any]:
    return [s for s in c.sent if s.url.endswith("/decisions") or "/reviews/" in s.url]


async def _ledger(c: Client, process: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = (await c.get(f"/v1/processes/{process}/ledger")).json()[
        "entries"
    ]
    seqs = [e["seq"] for e in entries]
    assert seqs == list(range(1, len(seqs) + 1)), (process, seqs)  # no entry twice, no gap
    return entries


async def _check(c: Client, pids: list[str], selection: str, counts: Counter[str]) -> None:
    processes = [selection]
    for pid in pids:
        p = (await c.get(f"/v1/promotions/{pid}")).json()
        assert p["status"] == "completed", p
        entries = await _ledger(c, pid)
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
        counts["decisions told 2xx"] += len(told)
        counts["steps accepted in the ledger"] += len(accepted)
        processes += [
            pid,
            *{e["payload"]["review_id"] for e in entries if "review_id" in e["payload"]},
        ]
    for process in processes:
        entries = await _ledger(c, process)
        counts["ledger entries"] += len(entries)
        refused_ids = Counter(
            e["payload"].get("request_id") for e in entries if e["outcome"] == "refused"
        )
        prefix = {"promotion": "/v1/promotions/", "selection": "/v1/selections/"}.get(
            process.split("-")[0], "/v1/reviews/"
        )
        for s in c.sent:
            if s.url.startswith(f"{prefix}{process}") and 400 <= s.status < 500:
                assert refused_ids[s.request_id] == 1, (s, refused_ids)
                counts["refusals told, each in the ledger once"] += 1
        report = (await c.get(f"/v1/audit/processes/{process}/reconciliation")).json()
        assert report["ok"], (process, report["differences"])
        counts["reconciliation differences"] += len(report["differences"])
        verdict = (await c.get(f"/v1/processes/{process}/ledger/verify")).json()
        assert verdict["ok"], verdict
        counts["chains verified"] += 1


async def test_decisions_survive_killed_worker_temporal_api_and_database(
    migrated_url: str, tmp_path: Path, settings: Settings
) -> None:
    run = profile()
    answers = Answers()
    extra = {"MERITFLOW_DATA_DIR": str(tmp_path / "data")}
    async with live_stack(migrated_url, tmp_path, extra) as stack:
        async with httpx.AsyncClient(
            base_url=stack.api_url,
            timeout=90.0,
            event_hooks={"request": [answers.on_request], "response": [answers.hook]},
        ) as http:
            c = Client(http, settings)
            nips = await prepare_stack(c, run.promotions)
            done = asyncio.Event()
            injector = asyncio.create_task(inject(stack, c, done, migrated_url, run.rounds))
            refuser = asyncio.create_task(refuse(c, done))
            gate = asyncio.Semaphore(run.concurrency)

            async def one(nip: str) -> str:
                async with gate:
                    return await walk_promotion(c, nip, PERIOD.isoformat())

            code = f"CHAOS-{uuid.uuid4().hex[:6].upper()}"
            try:
                *pids, selection = await asyncio.gather(
                    *(one(n) for n in nips), walk_selection(c, code)
                )
            except AssertionError as err:
                raise AssertionError(f"{err}\n{stack.logs()}") from err
            finally:
                done.set()
            faults = await injector
            await refuser
            assert faults[:3] == ["worker", "temporal", "api"], faults
            counts: Counter[str] = Counter()
            await _check(c, list(pids), selection, counts)
            verified = await verify_offline(c, tmp_path)
            api_log = stack.services["api"].log_path
    assert answers.server_errors == 0, f"{answers.statuses}\n{server_error_context(api_log)}"
    assert answers.without_retry_after == [], answers.without_retry_after
    assert counts["refusals told, each in the ledger once"] > 0, counts
    print(  # noqa: T201 - the run's report
        f"chaos ({len(pids)} promotions, 1 selection): faults {faults}; answers "
        f"{dict(sorted(answers.statuses.items()))}; 5xx other than 503: "
        f"{answers.server_errors}; requests without an answer (API down): "
        f"{answers.connection_failures}; {dict(counts)}; processes stuck: 0; offline: {verified}"
    )


async def test_decisions_while_temporal_is_down_answer_503_then_succeed(
    migrated_url: str, tmp_path: Path, settings: Settings
) -> None:
    """The Temporal server is down: a decision answers 503 with Retry-After and a sentence (not 500),
    and reads of the process still answer; the same request, sent again after the restart, is
    accepted once and recorded once."""
    async with live_stack(migrated_url, tmp_path) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=90.0) as http:
            c = Client(http, settings)
            (nip,) = (await prepare_stack(c))[:1]
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

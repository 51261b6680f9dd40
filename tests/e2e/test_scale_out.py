"""Scale-out, tested: two workers and two API processes on one PostgreSQL, and what a client is told
while the read model lags its workflow (after a worker died).

- Two workers and two APIs (separate processes, one task queue, one database): clients walk
  promotions through both APIs at once; one worker is SIGKILLed mid-walk and the other finishes its
  tasks. Afterwards every chain verifies, no chain forks (one entry per seq) and no seq repeats.
- A decision refused by the workflow for a state the read model does not show yet (the BKN review
  opened, the review concluded) answers 503 ``state_catching_up`` with Retry-After, is not recorded,
  and the same request once the read model shows the state gets its real refusal, recorded once.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.processes import Service
from infra.settings import ROOT, Settings
from tests.conftest import PERIOD, free_port
from tests.helpers.live_stack import LiveStack, _http_ready, live_stack
from tests.helpers.promotion_api import Api, new_employee, pertek_through_inbox, started
from tests.helpers.walkers import Client, prepare_stack, walk_promotion

AGENCY = "KEMENPANRB"


# ---- read-model lag: retry, not a permanent-sounding refusal -----------------------------------


async def _set(sessions: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> None:
    async with sessions() as s, s.begin():
        await s.execute(text(sql), params)


async def _refusals(api: Api, process: str, request_id: str) -> int:
    r = await api.get(f"/v1/processes/{process}/ledger", "auditor", None)
    entries = r.json()["entries"]
    return sum(1 for e in entries if e["payload"].get("request_id") == request_id)


async def _to_review(api: Api, rec: dict[str, Any], pid: str) -> None:
    chain = [("supervisor", rec["supervisor_nip"]), ("promotion_board", "b"), ("agency_hr", "h")]
    for role, sub in chain:
        body = {"decision": "approve", "justification": f"{role} checked"}
        r = await api.post(f"/v1/promotions/{pid}/decisions", body, role, sub)
        assert r.status_code == 200, r.text
    await api.wait_for(pid, lambda b: (b["pending"] or {}).get("review_id"))


async def test_a_decision_refused_only_because_the_read_model_lags_is_retryable(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    await _to_review(api, rec, pid)
    review_id = (await api.get(f"/v1/promotions/{pid}")).json()["pending"]["review_id"]
    # The read model lags: it does not show the review the workflow has opened.
    await _set(
        sessions, "UPDATE promotions SET pending_review_id = NULL WHERE process_id = :p", p=pid
    )
    rid = uuid.uuid4().hex
    body = {"decision": "approve", "justification": "hr again", "step": "bkn_technical_approval"}
    headers = {**api.auth("agency_hr", "h"), "X-Request-Id": rid}
    r = await api.http.post(f"/v1/promotions/{pid}/decisions", json=body, headers=headers)
    assert r.status_code == 503, r.text
    assert r.json()["error"] == "state_catching_up" and int(r.headers["Retry-After"]) > 0
    assert await _refusals(api, pid, rid) == 0  # "retry" is not a refusal
    # It caught up: the same request now gets its real answer, recorded once.
    await _set(
        sessions,
        "UPDATE promotions SET pending_review_id = :r WHERE process_id = :p",
        r=review_id,
        p=pid,
    )
    r = await api.http.post(f"/v1/promotions/{pid}/decisions", json=body, headers=headers)
    assert r.status_code == 409 and r.json()["error"] == "under_review", r.text
    assert await _refusals(api, pid, rid) == 1

    await pertek_through_inbox(api, pid)
    seats = (await api.get(f"/v1/reviews/{review_id}", "admin", None)).json()["seats"]
    reviewer = seats[0]["reviewer_id"]
    await _set(sessions, "UPDATE reviews SET status = 'open' WHERE review_id = :r", r=review_id)
    verdict = {"verdict": "approve", "justification": "once more"}
    headers = {**api.auth("reviewer", reviewer, None), "X-Request-Id": uuid.uuid4().hex}
    url = f"/v1/reviews/{review_id}/verdicts"
    r = await api.http.post(url, json=verdict, headers=headers)
    assert r.status_code == 503 and r.json()["error"] == "state_catching_up", r.text


# ---- two workers and two APIs on one PostgreSQL ------------------------------------------------


@asynccontextmanager
async def _second_api_and_worker(stack: LiveStack, tmp: Path) -> AsyncIterator[str]:
    env = {**stack.services["api"].env}
    port = free_port()
    env["MERITFLOW_API_PORT"] = str(port)
    logs = tmp / "logs"
    worker2 = Service("worker-2", [sys.executable, str(ROOT / "worker.py")], env, logs)
    argv = ["-m", "uvicorn", "server:app", "--host", "127.0.0.1", "--port", str(port)]
    api2 = Service("api-2", [sys.executable, *argv], env, logs)
    stack.services.add(worker2)
    stack.services.add(api2)
    worker2.start()
    api2.start()
    url = f"http://127.0.0.1:{port}"
    await _http_ready(url)
    yield url


async def _chains(c: Client, processes: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for process in processes:
        entries = (await c.get(f"/v1/processes/{process}/ledger")).json()["entries"]
        seqs = Counter(e["seq"] for e in entries)
        counts["duplicate seq"] += sum(n - 1 for n in seqs.values())
        prevs = Counter(e["prev_hash"] for e in entries)
        counts["forks"] += sum(n - 1 for n in prevs.values())
        verdict = (await c.get(f"/v1/processes/{process}/ledger/verify")).json()
        counts["chains verified"] += int(verdict["ok"])
        counts["entries"] += len(entries)
    return counts


@pytest.mark.timeout(900)
async def test_two_workers_and_two_apis_on_one_postgresql(
    migrated_url: str, tmp_path: Path, settings: Settings
) -> None:
    if not os.environ.get("MERITFLOW_TEST_DATABASE_URL"):
        pytest.skip("scale-out runs on PostgreSQL (SQLite is one machine's file)")
    extra = {"MERITFLOW_DATA_DIR": str(tmp_path / "data")}
    async with live_stack(migrated_url, tmp_path, extra) as stack:
        async with _second_api_and_worker(stack, tmp_path) as url2:
            async with (
                httpx.AsyncClient(base_url=stack.api_url, timeout=90.0) as h1,
                httpx.AsyncClient(base_url=url2, timeout=90.0) as h2,
            ):
                c1, c2 = Client(h1, settings), Client(h2, settings)
                nips = await prepare_stack(c1, 6)
                walks = [
                    walk_promotion(c1 if i % 2 else c2, nip, PERIOD.isoformat())
                    for i, nip in enumerate(nips)
                ]
                tasks = [asyncio.create_task(w) for w in walks]
                while sum(1 for s in c1.sent + c2.sent if s.status < 300) < 12:
                    await asyncio.sleep(0.1)
                stack.kill("worker")  # its tasks must be finished by worker-2
                pids = await asyncio.gather(*tasks)
                assert not stack.services["worker"].alive()
                assert stack.services["worker-2"].alive()
                processes = list(pids)
                for pid in pids:
                    entries = (await c1.get(f"/v1/processes/{pid}/ledger")).json()["entries"]
                    processes += {
                        e["payload"]["review_id"] for e in entries if "review_id" in e["payload"]
                    }
                    assert (await c2.get(f"/v1/promotions/{pid}")).json()["status"] == "completed"
                counts = await _chains(c1, processes)
    print(f"scale-out (2 workers, 2 APIs, worker 1 killed): {dict(counts)}")  # noqa: T201
    assert counts["forks"] == 0 and counts["duplicate seq"] == 0, counts
    assert counts["chains verified"] == len(processes), counts

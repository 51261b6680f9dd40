"""``make bench`` (console part): the pages' server time with 10,000 processes in the database.

    python -m bench.console_pages [--processes 10000] [--requests 300]

One run makes a temporary SQLite database and fills it through the store's own functions with
``--processes`` promotions of one agency (the read model and a realistic ledger of five entries each,
a quarter waiting for the promotion board), then serves the real app (``server.create_app``, the
API and the console) in this process through httpx's ASGI transport, so the time measured is the
server's: session cookie, rendering, queries. No Temporal is involved (its client is lazy and
never connects), so there is no ratio here.

Measured, one request at a time after a warm-up: the inbox of a board member (who waits on a
quarter of the processes), a promotion's page (eligibility, timeline), the audit search and the
landing page. The issue's target is p95 <= 50 ms for the inbox and the process page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.ledger import Actor, LedgerEntryIn, entry_id
from infra.db import create_engine, migrate, session_factory
from infra.settings import Settings
from server import create_app
from store import ledger, repositories

AGENCY = "KEMENPANRB"
BATCH = 500


def _entries(pid: str, nip: str, now: datetime) -> list[LedgerEntryIn]:
    kinds = [
        ("promotion.started", None, "starting", "hr_system"),
        ("promotion.eligibility_assessed", "snapshot", "eligible", "system"),
        ("promotion.step_opened", "eligible", "supervisor", "system"),
        ("promotion.decision", "supervisor", "promotion_board", "supervisor"),
        ("promotion.reminder_sent", "promotion_board", "promotion_board", "system"),
    ]
    return [
        LedgerEntryIn(
            entry_id=entry_id(pid, "bench", n),
            process_id=pid,
            process_kind="promotion",
            kind=kind,
            outcome="accepted",
            stage_before=before,
            stage_after=after,
            actor=Actor(id=f"{role}-1", role=role, agency=AGENCY),
            subject=nip,
            agency=AGENCY,
            payload={"step": after},
            justification="benchmark" if kind == "promotion.decision" else None,
            occurred_at=now - timedelta(hours=10 - n),
        )
        for n, (kind, before, after, role) in enumerate(kinds, start=1)
    ]


async def fill(url: str, processes: int) -> list[str]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    pids: list[str] = []
    for start in range(0, processes, BATCH):
        async with sessions() as session, session.begin():
            for i in range(start, min(start + BATCH, processes)):
                nip = f"19800101{i:010d}"
                pid = f"promotion-{nip}-2027-04"
                pids.append(pid)
                await repositories.insert_promotion_if_absent(
                    session,
                    process_id=pid,
                    nip=nip,
                    agency=AGENCY,
                    period=date(2027, 4, 1),
                    promotion_type="regular",
                    rulebook_version="PerBKN-4-2025",
                    now=now,
                )
                waiting = i % 4 == 0
                patch: dict[str, Any] = {
                    "status": "in_progress",
                    "stage": "promotion_board" if waiting else "supervisor",
                    "pending_step": "promotion_board" if waiting else "supervisor",
                    "pending_role": "promotion_board" if waiting else "supervisor",
                    "due_at": now + timedelta(days=(i % 9) - 2),
                    "reminder_at": now + timedelta(days=1),
                    "eligibility": {"eligible": True, "reasons": []},
                }
                await repositories.apply_promotion_patch(session, pid, patch, now=now)
                for entry in _entries(pid, nip, now):
                    await ledger.append(session, entry, recorded_at=now)
    await engine.dispose()
    return pids


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def measure(url: str, pids: list[str], requests: int) -> dict[str, Any]:
    settings = Settings(database_url=url, env="test", task_queue="bench-console")
    client = await Client.connect("127.0.0.1:1", lazy=True, data_converter=pydantic_data_converter)
    app = create_app(settings, client=client)
    out: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            await _persona(http, "promotion_board", "board-1")
            pages = {
                "inbox": lambda _: "/inbox",
                "process page": lambda i: f"/promotions/{pids[(i * 7919) % len(pids)]}",
                "landing": lambda _: "/",
            }
            for name, url_of in pages.items():
                out[name] = await _time(http, url_of, requests)
            await _persona(http, "auditor", "auditor-1")
            out["audit search"] = await _time(
                http, lambda i: f"/audit?process_id={pids[i % len(pids)]}", requests // 3
            )
    return out


async def _persona(http: httpx.AsyncClient, role: str, sub: str) -> None:
    page = await http.get("/signin")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = await http.post(
        "/signin/persona",
        data={"csrf_token": token, "role": role, "name": sub, "sub": sub, "agency": AGENCY},
    )
    assert r.status_code == 303, r.text


async def _time(http: httpx.AsyncClient, url_of: Any, n: int) -> dict[str, float]:
    for i in range(5):
        assert (await http.get(url_of(i))).status_code == 200
    samples = []
    for i in range(n):
        started = time.perf_counter()
        r = await http.get(url_of(i))
        samples.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, r.text[:200]
    return {
        "n": n,
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(_pct(samples, 0.95), 1),
        "p99_ms": round(_pct(samples, 0.99), 1),
    }


async def run(processes: int, requests: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await migrate(url)
        started = time.perf_counter()
        pids = await fill(url, processes)
        filled = time.perf_counter() - started
        result = await measure(url, pids, requests)
    return {
        "benchmark": "console_pages",
        "processes": processes,
        "fill_s": round(filled, 1),
        "load_average": os.getloadavg(),
        "pages": result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--output", type=Path, default=Path("data/bench/console_pages.json"))
    args = parser.parse_args()
    result = asyncio.run(run(args.processes, args.requests))
    print(
        f"{args.processes} processes (filled in {result['fill_s']} s), load {result['load_average']}"
    )
    print(f"{'page':<14} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, r in result["pages"].items():
        print(f"{name:<14} {r['n']:>5} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

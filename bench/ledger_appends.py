"""Ledger appends per second at the durable setting, 20 concurrent writers, on a fresh database.

Each writer is one promotion appending its decisions one at a time, as the worker's
``record_promotion_batch`` does after each decision: the entry, the promotion read model and the
webhook outbox in one transaction, the caller answered once it is durable (SQLite: WAL with
``synchronous=FULL`` on the writing connection; PostgreSQL: the normal commit). Phases, in one run:

- ``writer``: through the ledger writer (``store/ledger_writer.py``), the path the worker takes;
- ``writer_entries_only``: the writer with entries alone (no read model, no outbox);
- ``orm``: the previous path, for comparison: ``GroupCommit`` over ORM sessions, a savepoint per
  unit, ``store.ledger.append`` with the ORM read-model and outbox functions.

    python -m bench.ledger_appends [--postgres] [--writers 20] [--appends 100]

Prints JSON: appends/s, CPU ms per append, p50/p99 latency, batches, and the load average before
and after each phase (the machine is shared; read the numbers next to it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from activities.contracts import PromotionIdentity, PromotionViewData, RecordPromotion
from activities.ledger import record
from domain.ledger import Actor, LedgerEntryIn
from infra.db import create_engine, migrate, session_factory
from infra.logging import configure_logging
from store import ledger, repositories, webhooks
from store.group_commit import GroupCommit
from store.ledger_writer import LedgerWriter

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
Append = Callable[[RecordPromotion], Awaitable[int]]


def item(run: str, writer: int, n: int) -> RecordPromotion:
    process_id = f"promotion:bench-{run}-{writer}"
    entry = LedgerEntryIn(
        entry_id=f"{process_id}:run-1:{n}",
        process_id=process_id,
        process_kind="promotion",
        kind="promotion.approved",
        outcome="accepted",
        stage_before=f"step{n}",
        stage_after=f"step{n + 1}",
        actor=Actor(id="198001012005011002", role="supervisor", agency="BKN"),
        subject="199001012015011001",
        agency="BKN",
        payload={"decision": "approve", "n": n},
        rulebook_version="2025.1",
        workflow_id=process_id,
        run_id="run-1",
        update_id=f"upd-{n}",
        occurred_at=datetime.now(UTC),
    )
    identity = PromotionIdentity(
        nip=f"1990010120150110{writer:02d}",
        agency="BKN",
        period=date(2025, 4, 1),
        promotion_type="regular",
        rulebook_version="2025.1",
    )
    view = PromotionViewData(status="in_progress", stage=f"step{n + 1}", return_count=0)
    return RecordPromotion(
        process_id=process_id, entry=entry, view=view, identity=identity if n == 1 else None
    )


def orm_path(engine: AsyncEngine) -> Append:
    """The previous write path, as activities/ledger.py had it."""
    commit = GroupCommit(session_factory(engine))

    async def unit(session: AsyncSession, req: RecordPromotion) -> int:
        now = datetime.now(UTC)
        row, created = await ledger.append(session, req.entry, recorded_at=now)
        if created:
            if req.identity is not None:
                await repositories.insert_promotion_if_absent(
                    session, process_id=req.process_id, now=now, **req.identity.model_dump()
                )
            patch = req.view.model_dump()
            await repositories.apply_promotion_patch(session, req.process_id, patch, now=now)
            await webhooks.enqueue_for_entry(session, row, req.view)
        return row.seq

    async def append(req: RecordPromotion) -> int:
        return await commit.run(lambda session: unit(session, req))

    return append


def writer_path(writer: LedgerWriter, *, effects: bool) -> Append:
    async def append(req: RecordPromotion) -> int:
        if effects:
            return await record(writer, [req])
        [row] = await writer.append([req.entry], recorded_at=datetime.now(UTC))
        return row.seq

    return append


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


async def phase(name: str, append: Append, writers: int, appends: int) -> dict[str, Any]:
    latencies: list[float] = []

    async def one_writer(k: int) -> None:
        for n in range(1, appends + 1):
            req = item(name, k, n)
            start = time.perf_counter()
            assert await append(req) == n
            latencies.append(time.perf_counter() - start)

    load_before = load()
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one_writer(k) for k in range(writers)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    total = writers * appends
    return {
        "appends": total,
        "wall_s": round(wall, 3),
        "appends_per_s": round(total / wall, 1),
        "cpu_ms_per_append": round(cpu / total * 1000, 3),
        "p50_ms": _ms(latencies, 0.50),
        "p99_ms": _ms(latencies, 0.99),
        "load_before": load_before,
        "load_after": load(),
    }


@asynccontextmanager
async def database(postgres: bool) -> AsyncIterator[str]:
    if not postgres:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            await migrate(url)
            yield url
        return
    name = f"mf_bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
        try:
            await migrate(url)
            yield url
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "database": "postgresql" if args.postgres else "sqlite",
        "durable": "normal commit" if args.postgres else "WAL, synchronous=FULL",
        "writers": args.writers,
        "cpus": os.cpu_count(),
    }
    async with database(args.postgres) as url:
        engine = create_engine(url)
        try:
            writer = LedgerWriter(engine)
            results["writer"] = await phase(
                "writer", writer_path(writer, effects=True), args.writers, args.appends
            )
            results["writer"]["batches"] = writer.batches
            results["writer_entries_only"] = await phase(
                "entries", writer_path(writer, effects=False), args.writers, args.appends
            )
            await writer.wait_idle()
            if args.orm_appends > 0:
                results["orm"] = await phase(
                    "orm", orm_path(engine), args.writers, args.orm_appends
                )
                results["writer_over_orm"] = round(
                    results["writer"]["appends_per_s"] / results["orm"]["appends_per_s"], 2
                )
        finally:
            await engine.dispose()
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="the PostgreSQL at 127.0.0.1:5432")
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--appends", type=int, default=150, help="appends per writer")
    parser.add_argument(
        "--orm-appends", type=int, default=25, help="appends per writer on the ORM path (0: skip)"
    )
    args = parser.parse_args(argv)
    # The per-append info lines would be most of the output and some of the cost: warnings only.
    configure_logging(json=True, level=logging.WARNING)
    print(json.dumps(asyncio.run(run(args)), indent=2))  # noqa: T201 - the bench's output
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

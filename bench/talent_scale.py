"""Talent management at scale: ``python -m bench.talent_scale [--employees 100000] [--reviews 1000,2000]``.

1. Scoring and box assignment: the rulebook's formula over N generated employees (a province), in
   one process, as the review's scoring activity runs it: the time, the rate, and the process's
   peak resident memory (VmHWM) before and after.
2. The workflow cost of a whole review, per 1,000 employees: reviews of each size walked through
   the action pipeline on the time-skipping server with the real worker and a throwaway SQLite
   database (cut-off, scores, a calibration move, two objections answered, the window's timer, the
   pool): the history events and the ledger entries of the review, and the wall time. The point:
   the history stays flat as the population grows; the ledger grows with the committee's and
   employees' actions, not with the population.

Generating the employees is not timed. The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from actions.queries import talent as reads
from actions.services import Services
from actions.talent import people, reviews
from domain.talent.rulebook import DEFAULT_TALENT_RULEBOOK, get_talent_rulebook
from domain.talent.scoring import Unscorable, score
from infra.db import create_engine, migrate, session_factory
from infra.settings import Settings
from infra.temporal_bin import find_test_server
from store.models import LedgerEntry
from tests.conftest import free_port
from tests.helpers.talent import CUTOFF, population
from tests.helpers.talent_run import TalentRun
from worker import build_worker


def vmhwm_mib() -> float:
    """The process's peak resident memory so far."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scoring(n: int) -> None:
    """Score and box everyone; each person's box and score are kept (the scoring activity writes
    each chunk's rows and lets go of them, so nothing more stays)."""
    rb = get_talent_rulebook(DEFAULT_TALENT_RULEBOOK)
    start = vmhwm_mib()
    t0 = time.perf_counter()
    records = population(n, "PROV-BENCH", seed=7)
    made = time.perf_counter() - t0
    before = vmhwm_mib()
    t1 = time.perf_counter()
    results: list[tuple[str, int, float] | None] = []
    for r in records:
        try:
            s = score(r, rb, CUTOFF)
        except Unscorable:
            results.append(None)
            continue
        results.append((s.nip, s.box, s.talent_score))
    boxes = Counter(r[1] for r in results if r is not None)
    took = time.perf_counter() - t1
    after = vmhwm_mib()
    excluded = sum(s is None for s in results)
    print(  # noqa: T201
        f"generated {n:,} employees in {made:.1f} s (untimed setup); peak RSS {start:.0f} MiB "
        f"before, {before:.0f} MiB with the records"
    )
    print(  # noqa: T201
        f"scored and boxed {n - excluded:,} ({excluded:,} unscorable, with the reason) in "
        f"{took:.2f} s: {n / took:,.0f} employees/s; peak RSS {after:.0f} MiB "
        f"(+{after - before:.0f} MiB while scoring)"
    )
    print("boxes:", {b: boxes[b] for b in range(1, 10)})  # noqa: T201


async def review_cost(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/talent.db"
        await migrate(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=find_test_server(),
            port=free_port(),
            data_converter=pydantic_data_converter,
        )
        settings = Settings(database_url=url, task_queue=f"tq-{uuid.uuid4().hex[:8]}", env="test")
        services = Services(settings=settings, sessions=sessions, client=env.client)
        try:
            async with build_worker(env.client, sessions, settings):
                run = TalentRun(services, "PEMKAB-BENCH")
                t0 = time.perf_counter()
                await walk(run, env, n)
                took = time.perf_counter() - t0
                history = await env.client.get_workflow_handle(run.id).fetch_history()
            async with sessions() as session:
                stmt = select(func.count()).where(LedgerEntry.process_id == run.id)
                entries = int((await session.execute(stmt)).scalar_one())
            row = await run.row()
            return {
                "employees": n,
                "reviewed": row.counts.get("included", 0),
                "events": len(history.events),
                "entries": entries,
                "seconds": took,
            }
        finally:
            await env.shutdown()
            await engine.dispose()


async def walk(run: TalentRun, env: WorkflowEnvironment, n: int) -> None:
    await run.import_records(population(n, run.agency, seed=n))
    await run.start()
    await run.until("calibration", timeout=900)
    await run.declare_all()

    page = await reads.people_page(run.services, run.who("agency_hr"), run.id, limit=20)
    scored = [(p.nip, p.box) for p in page.items if p.box is not None]
    (a, box_a), (b, _), (c, _) = scored[:3]
    move = {"nip": a, "box": 1 if box_a != 1 else 2, "justification": "Calibrated at the meeting"}
    await run.act(people.CALIBRATE, run.member(1), move)
    await run.act(reviews.CLOSE_CALIBRATION, run.member(0), {})
    await run.until("objection", timeout=900)
    for nip in (b, c):
        await run.act(people.OBJECT, run.who("employee", nip), {"grounds": "SKP revised"})
    up = {"nip": b, "uphold": True, "box": 9, "justification": "The revised SKP changes the axis"}
    if (await reads.person(run.services, run.who("agency_hr"), run.id, b)).published_box == 9:
        up["box"] = 8
    await run.act(people.ANSWER, run.member(1), up)
    no = {"nip": c, "uphold": False, "justification": "The revision is outside the years read"}
    await run.act(people.ANSWER, run.member(2), no)
    await env.sleep(timedelta(minutes=6))
    await run.until("answering", timeout=900)
    await run.act(reviews.FINALIZE, run.member(0), {})
    await run.until("completed", timeout=900)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--reviews", default="1000,2000,10000")
    args = parser.parse_args()
    print(f"load average at start: {load()} ({os.cpu_count()} CPUs)")  # noqa: T201
    scoring(args.employees)
    sizes = [int(s) for s in args.reviews.split(",") if s]
    for n in sizes:
        r = await review_cost(n)
        per = 1000 / max(r["reviewed"], 1)
        print(  # noqa: T201
            f"review of {r['employees']:,} employees ({r['reviewed']:,} in the population): "
            f"{r['events']} history events, {r['entries']} ledger entries, {r['seconds']:.1f} s; "
            f"per 1,000 reviewed: {r['events'] * per:.1f} events, {r['entries'] * per:.1f} entries"
        )
    print(f"load average at end: {load()}")  # noqa: T201


if __name__ == "__main__":
    asyncio.run(main())

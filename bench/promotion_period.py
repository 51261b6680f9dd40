"""``make bench`` (second part): a promotion period of N employees vs bare Temporal workflow starts.

One run starts its own Temporal dev server (state in a SQLite file in a temporary directory), the
Meritflow worker (``worker.py``), the bare worker (``bench.bare``) and the API (uvicorn), each as
``make run`` starts it (bench/_stack.py), on 127.0.0.1, with a temporary Meritflow SQLite database.

Untimed setup: N employees written straight into the employee table (every ``--ineligible-every``-th
one ineligible: in rank for one year only), all of one agency.

Timed, in this order, on the same dev server:

1. bare client starts: ``client.start_workflow`` of ``BareApprovalWorkflow`` (it waits for
   updates, like an eligible promotion waits for its supervisor) ``--bare`` times, at most
   ``--concurrency`` calls in flight, from this process; wall clock from the first call to the
   last answer.
2. only with ``--bare-period N``: ``BarePeriodWorkflow`` (bench/_bare_period.py, its own worker
   process) starting N ``BareApprovalWorkflow`` children the way the period did before its
   starts moved to activities (pages, in-flight bound, continue-as-new; no activity, database
   or ledger). Off by default: at about 4 children/s it cost most of the run.
3. Meritflow: one ``id.go.bkn.promotion_period.opened.v1`` CloudEvent through ``POST /v1/events``
   (no NIP list: the period pulls the agency's candidates from the HR source), then
   ``GET /v1/promotion-periods/{id}`` every 0.25 s until the period is ``completed`` (every
   PromotionWorkflow started: ``start_period_page`` activities of ``--page-size`` members each,
   ``--concurrency`` client starts in flight, ``--children-per-run`` per run before
   continue-as-new). The server-side span (first run started to last run closed, from Temporal)
   is reported too. Then, untimed for the ratio, how long until every promotion has assessed
   eligibility (no promotion left "starting" in the read model); any still starting after
   ``--settle-timeout`` are stuck. Last, the Temporal server is asked for the workflow task
   timeouts and failures in the histories of the period's runs and of every promotion.

``--postgres`` puts Meritflow's database on the PostgreSQL server (a fresh database per run).

The ratios divide Meritflow's children started per second by each bare rate. Peak memory: VmHWM
(the kernel's resident-set high-water mark, which never goes down) of each worker *subprocess*
from /proc/<pid>/status, read before the period (after start-up and the bare phases) and once more
after every promotion has assessed eligibility; RSS is also sampled every second during the period
to show its course. Everything started is stopped on the way out. The table is printed and the JSON
written to ``data/bench/promotion_period.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client

from bench import _meritflow as mf
from bench._database import DEFAULT_POSTGRES, bench_database
from bench._health import health
from bench._memory import RssSampler, memory
from bench._period_bare import bare_period, bare_starts, runs_of
from bench._period_report import render, result_of
from bench._stack import (
    LOOPBACK,
    BenchError,
    Stack,
    child_env,
    free_port,
    machine_cpu_seconds,
    run_cli,
    start_processes,
    wait_http_ok,
)
from domain import cloudevents as ce
from infra.db import create_engine, migrate, session_factory
from infra.settings import ROOT, Settings
from infra.tokens import mint_token
from store import repositories
from workflows.contracts import promotion_workflow_id

OUTPUT = ROOT / "data" / "bench" / "promotion_period.json"
AGENCY = "BENCHAGENCY"
POLL_S = 0.25
SETTLE_TIMEOUT_S = 4 * 3600.0
VISIBILITY_TIMEOUT_S = 120.0
WARM_UP_CHILDREN = 10


@dataclass(frozen=True)
class Config:
    employees: int
    bare: int
    concurrency: int
    children_per_run: int
    page_size: int
    ineligible_every: int
    temporal_db: str
    output: Path
    bare_period: int = 0
    postgres: str | None = None
    settle_timeout_s: float = 1800.0


async def run(cfg: Config) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="meritflow-bench-period-"))
    ok = False
    stack: Stack | None = None
    try:
        async with bench_database(tmp, cfg.postgres) as url:
            settings = Settings(
                _env_file=None,
                database_url=url,
                temporal_address=f"{LOOPBACK}:{free_port()}",
                task_queue=f"bench-period-{secrets.token_hex(4)}",
                api_host=LOOPBACK,
                api_port=free_port(),
                jwt_secret=secrets.token_urlsafe(32),
            )
            env = child_env(settings, tmp / "data")
            env.update(
                {
                    "MERITFLOW_PERIOD_MAX_IN_FLIGHT": str(cfg.concurrency),
                    "MERITFLOW_PERIOD_CHILDREN_PER_RUN": str(cfg.children_per_run),
                    "MERITFLOW_PERIOD_PAGE_SIZE": str(cfg.page_size),
                }
            )
            stack = Stack(tmp / "logs", env)
            try:
                result = await _run(cfg, settings, stack, tmp)
            finally:
                stack.stop()  # before the database is dropped
        ok = all(result["checks"].values())
        return result
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except BaseException:
        if stack is not None:
            sys.stderr.write(f"\nbenchmark failed; last lines of each process:\n{stack.tails()}\n")
        raise
    finally:
        if stack is not None:
            stack.stop()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            sys.stderr.write(f"logs and databases kept in {tmp}\n")


async def _run(cfg: Config, settings: Settings, stack: Stack, tmp: Path) -> dict[str, Any]:
    loadavg = round(os.getloadavg()[0], 2)
    period = mf.promotion_period(date.today())
    _say("migrating the temporary database")
    await migrate(settings.database_url)
    _say(f"setup: {cfg.employees} employees of {AGENCY} in the employee table")
    await _employees(settings.database_url, cfg, period)
    bare_queue = f"bench-bare-{secrets.token_hex(4)}"
    _say("starting the Temporal dev server, the workers and the API")
    client = await start_processes(stack, settings, tmp, bare_queue, cfg.temporal_db)
    period_queue = f"bench-bare-period-{secrets.token_hex(4)}"
    if cfg.bare_period:
        stack.spawn(
            "bare-period-worker",
            [sys.executable, "-m", "bench._bare_period", "--address",
             settings.temporal_address, "--task-queue", period_queue],
        )  # fmt: skip
    base = f"http://{LOOPBACK}:{settings.api_port}"
    bare_period_result: dict[str, Any] | None = None
    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as http:
        await wait_http_ok(stack, http, "/healthz")
        _say(f"timed: {cfg.bare} bare workflow starts at concurrency {cfg.concurrency}")
        cpu = _cpu(stack)
        bare = await bare_starts(client, bare_queue, cfg)
        bare["cpu_s"], cpu = _cpu_since(stack, cpu)
        _say(f"  bare client starts: {bare}")
        if cfg.bare_period:
            _say(f"untimed: warm-up bare period of {WARM_UP_CHILDREN} children")
            await bare_period(client, period_queue, cfg, WARM_UP_CHILDREN)
            _say(f"timed: a bare period workflow starting {cfg.bare_period} children")
            cpu = _cpu(stack)
            bare_period_result = await bare_period(client, period_queue, cfg, cfg.bare_period)
            bare_period_result["cpu_s"], cpu = _cpu_since(stack, cpu)
            _say(f"  bare period: {bare_period_result}")
        memory_before = memory(stack)
        _say(f"timed: a period of {cfg.employees} employees through POST /v1/events")
        sampler = RssSampler(stack)
        sampling = asyncio.create_task(sampler.run())
        try:
            merit = await _period(stack, http, settings, client, period, cfg)
        finally:
            sampling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampling
        merit["cpu_s"], _ = _cpu_since(stack, cpu)
        memory_after = memory(stack)
        merit["rss_samples_mib"] = sampler.summary()
        _say(f"  Meritflow period: {merit}; worker VmHWM {memory_after}")
    _say("asking the Temporal server: workflow task timeouts in every history of the period")
    promotions = [promotion_workflow_id(nip, period) for nip in _nips(cfg)]
    merit["health"] = await health(client, [merit["process_id"], *promotions], expect_closed=False)
    merit["health"]["stuck"] = merit["tally"].get("starting", 0)
    stack.check_alive()
    return result_of(
        cfg, period, loadavg, {"client": bare, "period": bare_period_result}, merit,
        memory_before, memory_after,
    )  # fmt: skip


def _nips(cfg: Config) -> list[str]:
    return [f"19850312{i:010d}" for i in range(cfg.employees)]


async def _employees(url: str, cfg: Config, period: date) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    records = []
    for i in range(cfg.employees):
        since = period.year - (1 if cfg.ineligible_every and i % cfg.ineligible_every == 0 else 5)
        p = mf.Promotion(i, f"19850312{i:010d}", f"19750101{i:010d}")
        record = mf.employee_record(p, period)
        records.append({**record, "agency": AGENCY, "rank_since": f"{since}-{period:%m}-01"})
    try:
        for i in range(0, len(records), 1000):
            async with sessions() as session, session.begin():
                await repositories.upsert_employees(
                    session, records[i : i + 1000], now=datetime.now(UTC)
                )
    finally:
        await engine.dispose()


async def _period(
    stack: Stack,
    http: httpx.AsyncClient,
    settings: Settings,
    client: Client,
    period: date,
    cfg: Config,
) -> dict[str, Any]:
    token = mint_token(settings, role="hr_system", sub="bench-siasn", agency=AGENCY)
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/cloudevents+json"}
    event = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "//siasn.bench/periods",
        "type": ce.PERIOD_OPENED,
        "data": {"period": period.isoformat()},
    }
    t0 = time.perf_counter()
    r = await http.post("/v1/events", content=json.dumps(event), headers=headers)
    if r.status_code != 202:
        raise BenchError(f"POST /v1/events -> {r.status_code}: {r.text[:500]}")
    pid = r.json()["process_id"]
    view = await _poll(stack, http, headers, pid, lambda v: v["status"] == "completed")
    wall = time.perf_counter() - t0
    _say(f"all {view['started']} children started in {wall:.1f} s; waiting for them to settle")
    settled = await _poll(
        stack, http, headers, pid, lambda v: v["tally"]["starting"] == 0, cfg.settle_timeout_s
    )
    settle_s = time.perf_counter() - t0
    runs = await runs_of(client, pid)
    span = (max(r["close"] for r in runs) - min(r["start"] for r in runs)).total_seconds()
    started = int(view["started"])
    return {
        "process_id": pid,
        "requested": view["requested"],
        "started": started,
        "already_running": view["already_running"],
        "wall_s": round(wall, 3),
        "per_s": round(started / wall, 1),
        "server_span_s": round(span, 3),
        "server_per_s": round(started / span, 1) if span > 0 else None,
        "all_assessed_s": round(settle_s, 3),
        "runs": len(runs),
        "max_events_per_run": max(r["events"] for r in runs),
        "tally": settled["tally"],
    }


async def _poll(
    stack: Stack,
    http: httpx.AsyncClient,
    headers: dict[str, str],
    pid: str,
    done: Any,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """The period's view once ``done``; after ``timeout_s`` (if given) the last view as it is,
    else an error after SETTLE_TIMEOUT_S."""
    deadline = time.monotonic() + (timeout_s or SETTLE_TIMEOUT_S)
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = await http.get(f"/v1/promotion-periods/{pid}", headers=headers)
        if r.status_code == 200:
            view = r.json()
            if done(view):
                return view
        stack.check_alive()
        await asyncio.sleep(POLL_S)
    if timeout_s is not None and view:
        _say(f"period {pid} not settled after {timeout_s:.0f} s: {view.get('tally')}")
        return view
    raise BenchError(f"period {pid} did not get there within {SETTLE_TIMEOUT_S:.0f} s")


def _cpu(stack: Stack) -> dict[str, float]:
    now = {**stack.cpu_seconds(), "bench": time.process_time(), **machine_cpu_seconds()}
    return {k: v for k, v in now.items() if v is not None}


def _cpu_since(stack: Stack, before: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """CPU seconds each process (and the whole machine) used since ``before``; and the new mark."""
    now = _cpu(stack)
    return {k: round(v - before[k], 1) for k, v in now.items() if k in before}, now


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _say(message: str) -> None:
    sys.stderr.write(f"• {message}\n")


def parse_args(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        prog="python -m bench.promotion_period",
        description="A promotion period of N employees vs bare Temporal workflow starts.",
    )
    add = parser.add_argument
    add("--employees", type=int, default=10_000, help="employees in the period (default 10000)")
    add("--bare", type=int, default=None, help="bare workflow starts (default: --employees)")
    add("--concurrency", type=int, default=50, help="starts in flight, both sides (default 50)")
    add("--children-per-run", type=int, default=5000, help="before continue-as-new (default 5000)")
    add("--page-size", type=int, default=200, help="members per start activity (default 200)")
    add("--bare-period", type=int, default=0, help="children of a bare period workflow; 0: none")
    add(
        "--postgres",
        nargs="?",
        const=DEFAULT_POSTGRES,
        default=None,
        metavar="URL",
        help=f"Meritflow's database on PostgreSQL (a fresh one per run; default {DEFAULT_POSTGRES})",
    )
    add("--settle-timeout", type=float, default=1800.0, help="s until still-starting is stuck")
    add("--ineligible-every", type=int, default=10, help="every k-th ineligible; 0: none")
    add(
        "--temporal-db",
        choices=("file", "memory"),
        default="file",
        help="the dev server's state: a SQLite file in the temp dir (default) or memory",
    )
    add("--output", type=Path, default=OUTPUT, help=f"the JSON file (default {OUTPUT})")
    args = parser.parse_args(argv)
    if min(args.employees, args.concurrency, args.children_per_run, args.page_size) < 1:
        parser.error("--employees, --concurrency, --children-per-run, --page-size must be >= 1")
    return Config(
        employees=args.employees,
        bare=args.bare if args.bare is not None else args.employees,
        concurrency=args.concurrency,
        children_per_run=args.children_per_run,
        page_size=args.page_size,
        ineligible_every=args.ineligible_every,
        temporal_db=args.temporal_db,
        output=args.output,
        bare_period=args.bare_period,
        postgres=args.postgres,
        settle_timeout_s=args.settle_timeout,
    )


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    return run_cli(lambda: run(cfg), render, cfg.output)


if __name__ == "__main__":
    raise SystemExit(main())

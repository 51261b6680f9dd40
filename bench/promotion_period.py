"""``make bench`` (second part): a promotion period of N employees vs bare Temporal workflow starts.

One run starts its own Temporal dev server (state in a SQLite file in a temporary directory), the
Meritflow worker (``worker.py``), the bare worker (``bench.bare``) and the API (uvicorn), each as
``make run`` starts it (bench/_stack.py), on 127.0.0.1, with a temporary Meritflow SQLite database.

Untimed setup: N employees written straight into the employee table (every ``--ineligible-every``-th
one ineligible: in rank for one year only), all of one agency.

Timed, in this order, on the same dev server:

1. bare: ``client.start_workflow`` of ``BareApprovalWorkflow`` (it waits for updates, like an
   eligible promotion waits for its supervisor) ``--bare`` times, at most ``--concurrency`` calls in
   flight, from this process; wall clock from the first call to the last answer.
2. Meritflow: one ``id.go.bkn.promotion_period.opened.v1`` CloudEvent through ``POST /v1/events``
   (no NIP list: the period pulls the agency's candidates from the HR source), then
   ``GET /v1/promotion-periods/{id}`` every 0.25 s until the period is ``completed`` (every child
   PromotionWorkflow started; ``--concurrency`` child starts in flight, ``--children-per-run`` per
   run before continue-as-new). The server-side span (first run started to last run closed, from
   Temporal) is reported too. Then, untimed for the ratio, how long until every promotion has
   assessed eligibility (no promotion left "starting" in the read model).

Peak memory: VmHWM (the kernel's resident-set high-water mark) of the worker *subprocesses* from
/proc/<pid>/status — the Meritflow worker's before the period (after start-up) and at the end, and
the bare worker's. Everything started is stopped on the way out. The table is printed and the JSON
written to ``data/bench/promotion_period.json``.
"""

from __future__ import annotations

import argparse
import asyncio
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
from bench._load import bounded
from bench._report import machine
from bench._stack import (
    LOOPBACK,
    BenchError,
    Stack,
    child_env,
    free_port,
    machine_cpu_seconds,
    start_processes,
    wait_http_ok,
)
from bench.bare import BareApprovalWorkflow, BareStart
from domain import cloudevents as ce
from infra.db import create_engine, migrate, session_factory
from infra.settings import ROOT, Settings
from infra.tokens import mint_token
from store import repositories

OUTPUT = ROOT / "data" / "bench" / "promotion_period.json"
AGENCY = "BENCHAGENCY"
POLL_S = 0.25
SETTLE_TIMEOUT_S = 4 * 3600.0
METHOD = (
    "one Temporal dev server (state in a SQLite file or memory, see parameters) for both "
    "sides; Meritflow worker, bare worker and API (uvicorn) one process each, load from this "
    "process over loopback; bare = client.start_workflow of a workflow that waits for updates, "
    "at most `concurrency` calls in flight, wall clock from first call to last answer; "
    "Meritflow = one CloudEvent POST /v1/events opening the period, wall clock until "
    "GET /v1/promotion-periods/{id} says completed (every child started; polled every 0.25 s), "
    "`concurrency` child starts in flight in the period workflow; the children run their own "
    "activities (HR snapshot, calendar, ledger) meanwhile on the same worker, server and SQLite "
    "database; peak memory = VmHWM of the worker subprocesses from /proc"
)


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


async def run(cfg: Config) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="meritflow-bench-period-"))
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp / 'meritflow.db'}",
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
    ok = False
    try:
        result = await _run(cfg, settings, stack, tmp)
        ok = result["checks"]["period_completed"]
        return result
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except BaseException:
        sys.stderr.write(f"\nbenchmark failed; last lines of each process:\n{stack.tails()}\n")
        raise
    finally:
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
    base = f"http://{LOOPBACK}:{settings.api_port}"
    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as http:
        await wait_http_ok(stack, http, "/healthz")
        _say(f"timed: {cfg.bare} bare workflow starts at concurrency {cfg.concurrency}")
        cpu = _cpu(stack)
        bare = await _bare(client, bare_queue, cfg)
        bare["cpu_s"], cpu = _cpu_since(stack, cpu)
        memory_before = _memory(stack)
        _say(f"timed: a period of {cfg.employees} employees through POST /v1/events")
        merit = await _period(stack, http, settings, client, period)
        merit["cpu_s"], _ = _cpu_since(stack, cpu)
        memory_after = _memory(stack)
    stack.check_alive()
    return _result(cfg, period, loadavg, bare, merit, memory_before, memory_after)


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


async def _bare(client: Client, queue: str, cfg: Config) -> dict[str, Any]:
    run = secrets.token_hex(4)

    async def start(i: int) -> None:
        await client.start_workflow(
            BareApprovalWorkflow.run, BareStart(), id=f"bare-{run}-{i}", task_queue=queue
        )

    t0 = time.perf_counter()
    await bounded(cfg.concurrency, [start(i) for i in range(cfg.bare)])
    wall = time.perf_counter() - t0
    return {"started": cfg.bare, "wall_s": round(wall, 3), "per_s": round(cfg.bare / wall, 1)}


async def _period(
    stack: Stack, http: httpx.AsyncClient, settings: Settings, client: Client, period: date
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
    settled = await _poll(stack, http, headers, pid, lambda v: v["tally"]["starting"] == 0)
    settle_s = time.perf_counter() - t0
    runs = await _runs(client, pid)
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
    stack: Stack, http: httpx.AsyncClient, headers: dict[str, str], pid: str, done: Any
) -> dict[str, Any]:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        r = await http.get(f"/v1/promotion-periods/{pid}", headers=headers)
        if r.status_code == 200 and done(r.json()):
            view: dict[str, Any] = r.json()
            return view
        stack.check_alive()
        await asyncio.sleep(POLL_S)
    raise BenchError(f"period {pid} did not get there within {SETTLE_TIMEOUT_S:.0f} s")


async def _runs(client: Client, pid: str) -> list[dict[str, Any]]:
    runs = []
    async for w in client.list_workflows(f"WorkflowId = '{pid}'"):
        history = await client.get_workflow_handle(pid, run_id=w.run_id).fetch_history()
        runs.append({"start": w.start_time, "close": w.close_time, "events": len(history.events)})
    if not runs or any(r["close"] is None for r in runs):
        raise BenchError(f"period {pid}: runs not all closed in Temporal's visibility: {runs}")
    return runs


def _cpu(stack: Stack) -> dict[str, float]:
    now = {**stack.cpu_seconds(), "bench": time.process_time(), **machine_cpu_seconds()}
    return {k: v for k, v in now.items() if v is not None}


def _cpu_since(stack: Stack, before: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """CPU seconds each process (and the whole machine) used since ``before``; and the new mark."""
    now = _cpu(stack)
    return {k: round(v - before[k], 1) for k, v in now.items() if k in before}, now


def _memory(stack: Stack) -> dict[str, float | None]:
    """Peak resident set (VmHWM, MiB) of each worker subprocess so far."""
    out: dict[str, float | None] = {}
    for child in stack.children:
        if child.name.endswith("worker"):
            out[child.name] = _vm_hwm_mib(child.proc.pid)
    return out


def _vm_hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _result(
    cfg: Config,
    period: date,
    loadavg: float,
    bare: dict[str, Any],
    merit: dict[str, Any],
    before: dict[str, float | None],
    after: dict[str, float | None],
) -> dict[str, Any]:
    ratio = merit["per_s"] / bare["per_s"] if bare["per_s"] else None
    return {
        "benchmark": "promotion_period",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "loadavg_1m_at_start": loadavg},
        "parameters": {
            "employees": cfg.employees,
            "bare_starts": cfg.bare,
            "concurrency": cfg.concurrency,
            "children_per_run": cfg.children_per_run,
            "page_size": cfg.page_size,
            "ineligible_every": cfg.ineligible_every,
            "temporal_db": cfg.temporal_db,
            "period": period.isoformat(),
        },
        "method": METHOD,
        "bare": bare,
        "meritflow": merit,
        "ratio_meritflow_over_bare": round(ratio, 4) if ratio else None,
        "worker_peak_rss_mib": {"before_period": before, "at_end": after},
        "checks": {
            "period_completed": merit["started"] + merit["already_running"] == cfg.employees,
        },
    }


def render(res: dict[str, Any]) -> str:
    m, p, b, mf_ = res["machine"], res["parameters"], res["bare"], res["meritflow"]
    mem_before, mem_after = res["worker_peak_rss_mib"].values()
    ratio = res["ratio_meritflow_over_bare"]
    rows = [
        ("bare client.start_workflow", b["started"], b["wall_s"], b["per_s"]),
        ("Meritflow period: children started", mf_["started"], mf_["wall_s"], mf_["per_s"]),
        (
            "  same, Temporal server-side span",
            mf_["started"],
            mf_["server_span_s"],
            mf_["server_per_s"],
        ),  # fmt: skip
    ]
    lines = [
        "Meritflow: a promotion period's child starts vs bare Temporal workflow starts",
        f"machine     : {m['nproc']} CPUs, {m['platform']}, Python {m['python']}, load average "
        f"{m['loadavg_1m_at_start']} at start; temporalio {m['temporalio']}, {m['temporal_cli']}",
        f"parameters  : {p['employees']} employees (every {p['ineligible_every']}th ineligible), "
        f"{p['bare_starts']} bare starts, concurrency {p['concurrency']}, "
        f"{p['children_per_run']} children per run, pages of {p['page_size']}, period {p['period']}, "
        f"Temporal state in {p['temporal_db']}",
        f"measured    : {res['method']}",
        "",
        f"{'phase':<40}{'workflows':>10}{'wall s':>10}{'per s':>10}",
        *[f"{n:<40}{c:>10}{w:>10.2f}{r if r is not None else '-':>10}" for n, c, w, r in rows],
        "",
        f"ratio Meritflow / bare (starts per second): {ratio if ratio is not None else '-'}",
        f"period runs (continue-as-new): {mf_['runs']}, largest run history: "
        f"{mf_['max_events_per_run']} events",
        f"every promotion past eligibility after: {mf_['all_assessed_s']:.1f} s; "
        f"tally {mf_['tally']}",
        f"worker peak RSS (VmHWM of the subprocess, MiB): before the period {mem_before}, "
        f"at the end {mem_after}",
        f"CPU seconds, bare phase: {b['cpu_s']}",
        f"CPU seconds, period phase (until every promotion was past eligibility): {mf_['cpu_s']}",
    ]
    return "\n".join(lines)


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
    add("--children-per-run", type=int, default=500, help="before continue-as-new (default 500)")
    add("--page-size", type=int, default=100, help="members read per page (default 100)")
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
    )


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    try:
        result = asyncio.run(run(cfg))
    except BenchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.stderr.write("interrupted; everything started was stopped\n")
        return 130
    print(render(result))
    cfg.output.parent.mkdir(parents=True, exist_ok=True)
    cfg.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON: {cfg.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

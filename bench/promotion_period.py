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
2. bare period: ``BarePeriodWorkflow`` (bench/_bare_period.py, its own worker process) starting
   ``--bare`` ``BareApprovalWorkflow`` children the way the period does — pages of
   ``--page-size``, ``--concurrency`` starts in flight, continue-as-new every
   ``--children-per-run`` — but with no activity, database or ledger; wall clock from the start
   call to the result (after an untimed warm-up period of a few children).
3. Meritflow: one ``id.go.bkn.promotion_period.opened.v1`` CloudEvent through ``POST /v1/events``
   (no NIP list: the period pulls the agency's candidates from the HR source), then
   ``GET /v1/promotion-periods/{id}`` every 0.25 s until the period is ``completed`` (every child
   PromotionWorkflow started; ``--concurrency`` child starts in flight, ``--children-per-run`` per
   run before continue-as-new). The server-side span (first run started to last run closed, from
   Temporal) is reported too. Then, untimed for the ratio, how long until every promotion has
   assessed eligibility (no promotion left "starting" in the read model).

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
from bench._bare_period import BarePeriodInput, BarePeriodWorkflow
from bench._load import bounded
from bench._report import machine
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
VISIBILITY_TIMEOUT_S = 120.0
WARM_UP_CHILDREN = 10
RSS_SAMPLE_S = 1.0
METHOD = (
    "one Temporal dev server (state in a SQLite file or memory, see parameters) for both "
    "sides; Meritflow worker, bare worker and API (uvicorn) one process each, load from this "
    "process over loopback; bare = client.start_workflow of a workflow that waits for updates, "
    "at most `concurrency` calls in flight, wall clock from first call to last answer; "
    "bare period = one workflow starting the same number of those as children, in the period's "
    "pages, in-flight bound and continue-as-new, no activities, on its own worker process; "
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
        ok = all(result["checks"].values())
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
    period_queue = f"bench-bare-period-{secrets.token_hex(4)}"
    stack.spawn(
        "bare-period-worker",
        [sys.executable, "-m", "bench._bare_period", "--address", settings.temporal_address,
         "--task-queue", period_queue],
    )  # fmt: skip
    base = f"http://{LOOPBACK}:{settings.api_port}"
    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as http:
        await wait_http_ok(stack, http, "/healthz")
        _say(f"timed: {cfg.bare} bare workflow starts at concurrency {cfg.concurrency}")
        cpu = _cpu(stack)
        bare = await _bare(client, bare_queue, cfg)
        bare["cpu_s"], _ = _cpu_since(stack, cpu)
        _say(f"  bare client starts: {bare}")
        _say(f"untimed: warm-up bare period of {WARM_UP_CHILDREN} children")
        await _bare_period(client, period_queue, cfg, WARM_UP_CHILDREN)
        _say(f"timed: a bare period workflow starting {cfg.bare} children")
        cpu = _cpu(stack)
        bare_period = await _bare_period(client, period_queue, cfg, cfg.bare)
        bare_period["cpu_s"], cpu = _cpu_since(stack, cpu)
        _say(f"  bare period: {bare_period}")
        memory_before = _memory(stack)
        _say(f"timed: a period of {cfg.employees} employees through POST /v1/events")
        sampler = RssSampler(stack)
        sampling = asyncio.create_task(sampler.run())
        try:
            merit = await _period(stack, http, settings, client, period)
        finally:
            sampling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampling
        merit["cpu_s"], _ = _cpu_since(stack, cpu)
        memory_after = _memory(stack)
        merit["rss_samples_mib"] = sampler.summary()
        _say(f"  Meritflow period: {merit}; worker VmHWM {memory_after}")
    stack.check_alive()
    return _result(
        cfg, period, loadavg, {"client": bare, "period": bare_period}, merit,
        memory_before, memory_after,
    )  # fmt: skip


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


async def _bare_period(client: Client, queue: str, cfg: Config, children: int) -> dict[str, Any]:
    wid = f"bare-period-{secrets.token_hex(4)}"
    inp = BarePeriodInput(
        prefix=f"{wid}-child",
        total=children,
        max_in_flight=cfg.concurrency,
        children_per_run=cfg.children_per_run,
        page_size=cfg.page_size,
    )
    t0 = time.perf_counter()
    result = await client.execute_workflow(BarePeriodWorkflow.run, inp, id=wid, task_queue=queue)
    wall = time.perf_counter() - t0
    runs = await _runs(client, wid)
    span = (max(r["close"] for r in runs) - min(r["start"] for r in runs)).total_seconds()
    return {
        "started": result.started,
        "wall_s": round(wall, 3),
        "per_s": round(result.started / wall, 1),
        "server_span_s": round(span, 3),
        "server_per_s": round(result.started / span, 1) if span > 0 else None,
        "runs": len(runs),
        "max_events_per_run": max(r["events"] for r in runs),
    }


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
    """Every run of ``pid`` once all are closed. The period's row says "completed" from its last
    activity, before the run itself closes, and the dev server's visibility lags a little."""
    handle = client.get_workflow_handle(pid)
    await handle.result()  # the last run (the handle follows continue-as-new) has closed
    deadline = time.monotonic() + VISIBILITY_TIMEOUT_S
    while True:
        runs: list[dict[str, Any]] = []
        async for w in client.list_workflows(f"WorkflowId = '{pid}'"):
            runs.append({"run_id": w.run_id, "start": w.start_time, "close": w.close_time})
        if runs and all(r["close"] is not None for r in runs):
            break
        if time.monotonic() > deadline:
            raise BenchError(f"{pid}: runs not all closed in Temporal's visibility: {runs}")
        await asyncio.sleep(POLL_S)
    for r in runs:
        history = await client.get_workflow_handle(pid, run_id=r["run_id"]).fetch_history()
        r["events"] = len(history.events)
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


def _vm_hwm_mib(pid: int, field: str = "VmHWM") -> float | None:
    """A ``/proc/<pid>/status`` memory field in MiB (VmHWM: peak resident set; VmRSS: now)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class RssSampler:
    """VmRSS of the Meritflow worker every second while the period runs: its course, not its peak
    (the peak is VmHWM, which the kernel keeps exactly)."""

    def __init__(self, stack: Stack) -> None:
        self._pids = [c.proc.pid for c in stack.children if c.name == "meritflow-worker"]
        self.samples: list[tuple[float, float]] = []
        self._t0 = time.perf_counter()

    async def run(self) -> None:
        while True:
            for pid in self._pids:
                rss = _vm_hwm_mib(pid, "VmRSS")
                if rss is not None:
                    self.samples.append((time.perf_counter() - self._t0, rss))
            await asyncio.sleep(RSS_SAMPLE_S)

    def summary(self) -> dict[str, Any]:
        if not self.samples:
            return {}
        values = [v for _, v in self.samples]
        step = max(len(self.samples) // 10, 1)
        return {
            "count": len(values),
            "first": values[0],
            "max": max(values),
            "last": values[-1],
            "course": [[round(t), v] for t, v in self.samples[::step]],
        }


def _result(
    cfg: Config,
    period: date,
    loadavg: float,
    bare: dict[str, dict[str, Any]],
    merit: dict[str, Any],
    before: dict[str, float | None],
    after: dict[str, float | None],
) -> dict[str, Any]:
    ratios = {
        f"meritflow_over_bare_{name}": round(merit["per_s"] / side["per_s"], 4)
        if side["per_s"]
        else None
        for name, side in bare.items()
    }
    return {
        "benchmark": "promotion_period",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "loadavg_1m_at_start": loadavg, "loadavg_at_end": _loadavg()},
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
        "bare_client": bare["client"],
        "bare_period": bare["period"],
        "meritflow": merit,
        "ratios": ratios,
        "worker_peak_rss_mib": {"before_period": before, "at_end": after},
        "checks": {
            "period_completed": merit["started"] + merit["already_running"] == cfg.employees,
            "bare_period_completed": bare["period"]["started"] == cfg.bare,
        },
    }


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cell(value: Any, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def render(res: dict[str, Any]) -> str:
    m, p, mf_ = res["machine"], res["parameters"], res["meritflow"]
    bc, bp = res["bare_client"], res["bare_period"]
    mem_before, mem_after = res["worker_peak_rss_mib"].values()
    ratios = res["ratios"]
    rows = [
        ("bare: client.start_workflow", bc["started"], bc["wall_s"], bc["per_s"]),
        ("bare: period workflow, children started", bp["started"], bp["wall_s"], bp["per_s"]),
        ("  same, Temporal server-side span", bp["started"], bp["server_span_s"],
         bp["server_per_s"]),
        ("Meritflow period: children started", mf_["started"], mf_["wall_s"], mf_["per_s"]),
        ("  same, Temporal server-side span", mf_["started"], mf_["server_span_s"],
         mf_["server_per_s"]),
    ]  # fmt: skip
    rss = mf_.get("rss_samples_mib") or {}
    lines = [
        "Meritflow: a promotion period's child starts vs bare Temporal workflow starts",
        f"machine     : {m['nproc']} CPUs, {m['platform']}, Python {m['python']}, load average "
        f"{m['loadavg_1m_at_start']} (1 min) at start, {m['loadavg_at_end']} (1/5/15 min) at the "
        f"end; temporalio {m['temporalio']}, {m['temporal_cli']}",
        f"parameters  : {p['employees']} employees (every {p['ineligible_every']}th ineligible), "
        f"{p['bare_starts']} bare starts, concurrency {p['concurrency']}, "
        f"{p['children_per_run']} children per run, pages of {p['page_size']}, period {p['period']}, "
        f"Temporal state in {p['temporal_db']}",
        f"measured    : {res['method']}",
        "",
        f"{'phase':<44}{'workflows':>10}{'wall s':>10}{'per s':>10}",
        *[f"{n:<44}{c:>10}{w:>10.2f}{_cell(r, '.1f'):>10}" for n, c, w, r in rows],
        "",
        "ratio Meritflow / bare client starts (starts per second): "
        f"{_cell(ratios['meritflow_over_bare_client'], '.4f')}",
        "ratio Meritflow / bare period workflow (children per second): "
        f"{_cell(ratios['meritflow_over_bare_period'], '.4f')}",
        f"period runs (continue-as-new): Meritflow {mf_['runs']} (largest history "
        f"{mf_['max_events_per_run']} events), bare {bp['runs']} (largest "
        f"{bp['max_events_per_run']})",
        f"every promotion past eligibility after: {mf_['all_assessed_s']:.1f} s; "
        f"tally {mf_['tally']}",
        f"worker peak RSS (VmHWM of each worker subprocess, MiB): before the period {mem_before}; "
        f"at the end {mem_after}",
        f"Meritflow worker RSS during the period (VmRSS every {RSS_SAMPLE_S:.0f} s, MiB): "
        f"first {rss.get('first')}, max {rss.get('max')}, last {rss.get('last')}, "
        f"{rss.get('count', 0)} samples",
        f"CPU seconds, bare client starts: {bc['cpu_s']}",
        f"CPU seconds, bare period: {bp['cpu_s']}",
        f"CPU seconds, Meritflow period (until every promotion was past eligibility): "
        f"{mf_['cpu_s']}",
        f"checks: {res['checks']}",
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
    return run_cli(lambda: run(cfg), render, cfg.output)


if __name__ == "__main__":
    raise SystemExit(main())

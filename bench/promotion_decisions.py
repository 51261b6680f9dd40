"""``make bench``: approval decisions per second through Meritflow's HTTP API vs bare Temporal.

One run starts its own Temporal dev server (SQLite file in a temporary directory), migrates a
temporary Meritflow SQLite database, and starts three more processes on 127.0.0.1 only: the
Meritflow worker (``worker.py``, i.e. ``build_worker``), the bare worker (``bench.bare``) and the
API (``uvicorn api.main:app``). This process is the load generator.

Untimed: N+1 eligible employees and their promotions through the API, until each waits on its
supervisor; N+1 bare workflows started and past their first workflow task; one of each walked
through the chain as a warm-up. Timed: ``--concurrency`` drivers each walk their share of the N
promotions through the five approvals (supervisor, promotion board, agency HR, BKN, appointing
authority), one request at a time; then the same for the bare workflows with a temporalio client.
Last, ``--reads`` GETs of the completed promotions at the same concurrency.

Everything started is stopped on the way out, error or not. The numbers are printed as a table and
written to ``data/bench/promotion_decisions.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import httpx
from temporalio.client import Client, WorkflowExecutionStatus

from bench._report import Phase, render
from bench._stack import (
    LOOPBACK,
    BenchError,
    Stack,
    connect_when_ready,
    free_port,
    temporal_argv,
    wait_http_ok,
)
from bench.bare import BareApprovalWorkflow, BareDecision, BareStart
from domain.errors import DomainError
from domain.rulebook import check_period, rulebook_for_period
from infra.db import migrate
from infra.settings import ROOT, Settings
from infra.temporal_bin import find_temporal_cli
from infra.tokens import mint_token

T = TypeVar("T")
AGENCY = "KEMENPANRB"
DEFAULT_PROMOTIONS = 60
DEFAULT_CONCURRENCY = 20
DEFAULT_READS = 2000
SETUP_TIMEOUT_S = 300.0
HTTP_TIMEOUT_S = 120.0
OUTPUT = ROOT / "data" / "bench" / "promotion_decisions.json"
# (role, sub, agency); None as sub means "the employee's supervisor", as the workflow requires.
CHAIN: list[tuple[str, str | None, str | None]] = [
    ("supervisor", None, AGENCY),
    ("promotion_board", "board-chair", AGENCY),
    ("agency_hr", "hr-head", AGENCY),
    ("bkn", "bkn-validator", None),
    ("appointing_authority", "ppk-minister", AGENCY),
]
METHOD = (
    "wall clock from the first request to the last response of each timed phase; one Temporal dev "
    "server (SQLite file) for both; API = 1 uvicorn process, Meritflow worker and bare worker = 1 "
    "process each, load generator = this process (httpx.AsyncClient over loopback / temporalio "
    "Client, pydantic data converter); every API request carries a bearer token; Meritflow "
    "database = SQLite (WAL) in a temp dir; setup and a 1-process warm-up untimed"
)


@dataclass(frozen=True)
class Config:
    promotions: int
    concurrency: int
    reads: int
    output: Path


@dataclass(frozen=True)
class Promotion:
    index: int
    nip: str
    supervisor_nip: str
    pid: str = ""


# ---- the API from the outside ---------------------------------------------------------------


class Api:
    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self.http, self.settings = http, settings
        self._tokens: dict[tuple[str, str, str | None], dict[str, str]] = {}

    def headers(self, role: str, sub: str, agency: str | None = AGENCY) -> dict[str, str]:
        key = (role, sub, agency)
        if key not in self._tokens:
            token = mint_token(self.settings, role=role, sub=sub, agency=agency)
            self._tokens[key] = {"Authorization": f"Bearer {token}"}
        return self._tokens[key]

    async def expect(
        self, method: str, url: str, status: int, who: tuple[str, str], **kw: Any
    ) -> Any:
        r = await self.http.request(method, url, headers=self.headers(*who), **kw)
        if r.status_code != status:
            raise BenchError(
                f"{method} {url} as {who[0]} -> {r.status_code} (wanted {status}): {r.text[:500]}"
            )
        return r.json()


def chain_of(p: Promotion, period: date) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    steps = []
    for role, sub, agency in CHAIN:
        body: dict[str, Any] = {
            "decision": "approve",
            "justification": f"{role}: file complete and verified",
        }
        if role == "appointing_authority":
            body["decree_number"] = f"800/KP/{period.year}/{p.index + 1}"
        steps.append((role, sub or p.supervisor_nip, agency, body))
    return steps


def promotion_period(today: date) -> date:
    """The first period after ``today`` that the rulebook in force opens."""
    d = today.replace(day=1)
    for _ in range(24):
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        try:
            check_period(rulebook_for_period(d), d)
            return d
        except DomainError:
            continue
    raise BenchError(f"no promotion period in the 24 months after {today}")


def employee_record(p: Promotion, period: date) -> dict[str, Any]:
    return {
        "nip": p.nip,
        "name": f"Pegawai {p.index}",
        "agency": AGENCY,
        "grade": "III/b",
        "rank_since": date(period.year - 5, period.month, 1).isoformat(),
        "education": "S1",
        "supervisor_nip": p.supervisor_nip,
        "ratings": [
            {"year": period.year - 2, "rating": "good"},
            {"year": period.year - 1, "rating": "good"},
        ],
    }


async def bounded(limit: int, coros: list[Awaitable[T]]) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(c: Awaitable[T]) -> T:
        async with gate:
            return await c

    return list(await asyncio.gather(*(one(c) for c in coros)))


# ---- setup (untimed) ------------------------------------------------------------------------


async def setup_promotions(api: Api, count: int, period: date, limit: int) -> list[Promotion]:
    people = [Promotion(i, f"19850312{i:010d}", f"19750101{i:010d}") for i in range(count)]
    hr = ("agency_hr", "hr-officer")
    await bounded(
        limit,
        [
            api.expect("POST", "/v1/employees", 201, hr, json=employee_record(p, period))
            for p in people
        ],
    )
    body = [{"nip": p.nip, "period": period.isoformat(), "type": "regular"} for p in people]
    started = await bounded(
        limit,
        [api.expect("POST", "/v1/promotions", 201, ("hr_system", "simpeg"), json=b) for b in body],
    )
    promos = [
        Promotion(p.index, p.nip, p.supervisor_nip, s["id"])
        for p, s in zip(people, started, strict=True)
    ]
    await bounded(limit, [wait_pending(api, p.pid) for p in promos])
    for p in promos:  # mint every token now, so that no signing happens in the timed part
        for role, sub, agency, _ in chain_of(p, period):
            api.headers(role, sub, agency)
    return promos


async def wait_pending(api: Api, pid: str) -> None:
    deadline = time.monotonic() + SETUP_TIMEOUT_S
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = await api.expect("GET", f"/v1/promotions/{pid}", 200, ("auditor", "bench-reader"))
        if (body.get("pending") or {}).get("step") == "supervisor":
            return
        if body.get("status") not in ("starting", "in_progress"):
            break
        await asyncio.sleep(0.1)
    raise BenchError(
        f"{pid} never reached the supervisor step: status={body.get('status')} "
        f"stage={body.get('stage')} reason={body.get('outcome_reason')}"
    )


async def setup_bare(client: Client, task_queue: str, count: int, limit: int) -> list[str]:
    run = secrets.token_hex(4)
    ids = [f"bare-{run}-{i}" for i in range(count)]
    await bounded(
        limit,
        [
            client.start_workflow(
                BareApprovalWorkflow.run, BareStart(), id=wid, task_queue=task_queue
            )
            for wid in ids
        ],
    )

    async def first_task_done(wid: str) -> None:
        deadline = time.monotonic() + SETUP_TIMEOUT_S
        # Started, task scheduled, task started, task completed: the workflow now waits for updates.
        while (await client.get_workflow_handle(wid).describe()).history_length < 4:
            if time.monotonic() > deadline:
                raise BenchError(
                    f"bare workflow {wid} never ran its first task; is the bare worker up?"
                )
            await asyncio.sleep(0.05)

    await bounded(limit, [first_task_done(wid) for wid in ids])
    return ids


# ---- timed phases ---------------------------------------------------------------------------

# One operation: returns None on success, else (error kind, sample text).
Op = Callable[[T, int], Awaitable[tuple[str, str] | None]]


async def run_chains(phase: Phase, items: list[T], steps: int, concurrency: int, op: Op[T]) -> None:
    """``concurrency`` drivers; each walks its items one at a time through ``steps`` operations."""

    async def driver(mine: list[T]) -> None:
        for item in mine:
            for k in range(steps):
                t0 = time.perf_counter()
                try:
                    failed = await op(item, k)
                except (
                    Exception
                ) as exc:  # a benchmark reports failures instead of stopping at the first
                    failed = (type(exc).__name__, f"{item!r} step {k}: {exc!r}"[:500])
                elapsed = time.perf_counter() - t0
                if failed is not None:
                    phase.fail(*failed)
                    break  # the rest of this chain would only be refused as out of turn
                phase.latencies_s.append(elapsed)

    start = time.perf_counter()
    await asyncio.gather(*(driver(items[i::concurrency]) for i in range(concurrency)))
    phase.wall_s = time.perf_counter() - start


def meritflow_op(api: Api, period: date) -> Op[Promotion]:
    async def op(p: Promotion, k: int) -> tuple[str, str] | None:
        role, sub, agency, body = chain_of(p, period)[k]
        r = await api.http.post(
            f"/v1/promotions/{p.pid}/decisions", json=body, headers=api.headers(role, sub, agency)
        )
        if r.status_code == 200:
            return None
        code = _error_code(r)
        return (
            f"{role}: HTTP {r.status_code} {code}",
            f"{p.pid} {role}: {r.status_code} {r.text[:400]}",
        )

    return op


def bare_op(client: Client) -> Op[str]:
    async def op(wid: str, k: int) -> tuple[str, str] | None:
        role, sub, _ = CHAIN[k]
        d = BareDecision(
            actor_id=sub or f"supervisor-of-{wid}",
            role=role,
            decision="approve",
            justification=f"{role}: file complete and verified",
            decree_number="800/KP/1" if role == "appointing_authority" else None,
        )
        handle = client.get_workflow_handle_for(BareApprovalWorkflow.run, wid)
        await handle.execute_update(BareApprovalWorkflow.decide, d)
        return None

    return op


async def run_reads(api: Api, pids: list[str], total: int, concurrency: int) -> Phase:
    phase = Phase("reads")
    if not pids:
        return phase
    counter = itertools.count()
    who = api.headers("auditor", "bench-reader")

    async def reader() -> None:
        while (i := next(counter)) < total:
            pid = pids[i % len(pids)]
            t0 = time.perf_counter()
            try:
                r = await api.http.get(f"/v1/promotions/{pid}", headers=who)
            except httpx.HTTPError as exc:
                phase.fail(type(exc).__name__, f"{pid}: {exc!r}")
                continue
            elapsed = time.perf_counter() - t0
            if r.status_code != 200:
                phase.fail(f"HTTP {r.status_code} {_error_code(r)}", f"{pid}: {r.text[:400]}")
                continue
            phase.latencies_s.append(elapsed)

    start = time.perf_counter()
    await asyncio.gather(*(reader() for _ in range(concurrency)))
    phase.wall_s = time.perf_counter() - start
    return phase


def _error_code(r: httpx.Response) -> str:
    try:
        return str(r.json().get("error"))
    except (ValueError, AttributeError):
        return "(not JSON)"


# ---- checks after the run (untimed) ---------------------------------------------------------


async def meritflow_completed(api: Api, promos: list[Promotion], limit: int) -> int:
    who = ("auditor", "bench-reader")
    bodies = await bounded(
        limit, [api.expect("GET", f"/v1/promotions/{p.pid}", 200, who) for p in promos]
    )
    return sum(b["status"] == "completed" for b in bodies)


async def bare_completed(client: Client, ids: list[str], limit: int) -> int:
    async def status(wid: str) -> bool:
        desc = await client.get_workflow_handle(wid).describe()
        return desc.status == WorkflowExecutionStatus.COMPLETED

    return sum(await bounded(limit, [status(wid) for wid in ids]))


# ---- the run --------------------------------------------------------------------------------


def child_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    # The children get their settings from here alone, not from whatever MERITFLOW_* is exported.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERITFLOW_")}
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "MERITFLOW_DATA_DIR": str(data_dir),
            "MERITFLOW_DATABASE_URL": settings.database_url,
            "MERITFLOW_TEMPORAL_ADDRESS": settings.temporal_address,
            "MERITFLOW_TEMPORAL_NAMESPACE": settings.temporal_namespace,
            "MERITFLOW_TASK_QUEUE": settings.task_queue,
            "MERITFLOW_API_HOST": settings.api_host,
            "MERITFLOW_API_PORT": str(settings.api_port),
            "MERITFLOW_JWT_SECRET": settings.jwt_secret,
            "MERITFLOW_JWT_ISSUER": settings.jwt_issuer,
            "MERITFLOW_JWT_AUDIENCE": settings.jwt_audience,
            "MERITFLOW_JWT_JWKS_URL": "",
        }
    )
    return env


async def run(cfg: Config) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="meritflow-bench-"))
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp / 'meritflow.db'}",
        temporal_address=f"{LOOPBACK}:{free_port()}",
        task_queue=f"bench-meritflow-{secrets.token_hex(4)}",
        api_host=LOOPBACK,
        api_port=free_port(),
        jwt_secret=secrets.token_urlsafe(32),
    )
    stack = Stack(tmp / "logs", child_env(settings, tmp / "data"))
    ok = False
    try:
        result = await _run(cfg, settings, stack, tmp)
        ok = True
        return result
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
    n, c = cfg.promotions, cfg.concurrency
    period = promotion_period(date.today())
    bare_queue = f"bench-bare-{secrets.token_hex(4)}"
    _say("migrating the temporary database")
    await migrate(settings.database_url)
    _say("starting the Temporal dev server, the workers and the API")
    port = settings.temporal_address.rsplit(":", 1)[1]
    stack.spawn("temporal", temporal_argv(find_temporal_cli(), int(port), tmp))
    client = await connect_when_ready(stack, settings.temporal_address)
    stack.spawn("meritflow-worker", [sys.executable, str(ROOT / "worker.py")])
    stack.spawn(
        "bare-worker",
        [
            sys.executable,
            "-m",
            "bench.bare",
            "--address",
            settings.temporal_address,
            "--task-queue",
            bare_queue,
        ],
    )
    stack.spawn(
        "api",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            LOOPBACK,
            "--port",
            str(settings.api_port),
        ],
    )
    limits = httpx.Limits(max_connections=c + 4, max_keepalive_connections=c + 4)
    base = f"http://{LOOPBACK}:{settings.api_port}"
    async with httpx.AsyncClient(
        base_url=base, timeout=HTTP_TIMEOUT_S, limits=limits, trust_env=False
    ) as http:
        await wait_http_ok(stack, http, "/healthz")
        api = Api(http, settings)
        _say(f"setup: {n + 1} employees and promotions (period {period}), {n + 1} bare workflows")
        promos = await setup_promotions(api, n + 1, period, c)
        bare_ids = await setup_bare(client, bare_queue, n + 1, c)
        _say("warm-up: one promotion and one bare workflow through the chain")
        await _warm_up(api, client, promos[0], bare_ids[0], period)
        stack.check_alive()

        _say(f"timed: {n * len(CHAIN)} Meritflow decisions at concurrency {c}")
        merit = Phase("meritflow")
        await run_chains(merit, promos[1:], len(CHAIN), c, meritflow_op(api, period))
        stack.check_alive()
        _say(f"timed: {n * len(CHAIN)} bare Temporal updates at concurrency {c}")
        bare = Phase("bare")
        await run_chains(bare, bare_ids[1:], len(CHAIN), c, bare_op(client))
        stack.check_alive()
        _say(f"timed: {cfg.reads} GET /v1/promotions/{{id}} at concurrency {c}")
        reads = await run_reads(api, [p.pid for p in promos[1:]], cfg.reads, c)
        checks = {
            "meritflow_completed": await meritflow_completed(api, promos[1:], c),
            "bare_completed": await bare_completed(client, bare_ids[1:], c),
        }
        stack.check_alive()
    return _result(cfg, merit, bare, reads, checks)


async def _warm_up(api: Api, client: Client, promo: Promotion, bare_id: str, period: date) -> None:
    for phase, item, op in (
        (Phase("warm-up meritflow"), promo, meritflow_op(api, period)),
        (Phase("warm-up bare"), bare_id, bare_op(client)),
    ):
        await run_chains(phase, [item], len(CHAIN), 1, op)
        if phase.errors:
            raise BenchError(f"{phase.name} failed: {dict(phase.errors)}; {phase.samples}")


def _result(
    cfg: Config, merit: Phase, bare: Phase, reads: Phase, checks: dict[str, int]
) -> dict[str, Any]:
    ratio = merit.per_s / bare.per_s if bare.per_s else None
    return {
        "benchmark": "promotion_decisions",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "parameters": {
            "promotions": cfg.promotions,
            "steps": len(CHAIN),
            "decisions": cfg.promotions * len(CHAIN),
            "concurrency": cfg.concurrency,
            "reads": cfg.reads,
        },
        "method": METHOD,
        "meritflow": merit.summary(),
        "bare": bare.summary(),
        "reads": reads.summary(),
        "ratio_meritflow_over_bare": round(ratio, 4) if ratio else None,
        "checks": checks,
    }


def _machine() -> dict[str, Any]:
    try:
        cli = subprocess.run(
            [find_temporal_cli(), "--version"], capture_output=True, text=True, timeout=30
        )
        temporal_cli = cli.stdout.strip() or "temporal CLI (version unknown)"
    except (OSError, subprocess.SubprocessError):
        temporal_cli = "temporal CLI (version unknown)"
    return {
        "nproc": os.cpu_count(),
        "platform": f"{platform.system()} {platform.machine()}",
        "python": platform.python_version(),
        "temporalio": version("temporalio"),
        "uvicorn": version("uvicorn"),
        "temporal_cli": temporal_cli,
    }


def _say(message: str) -> None:
    sys.stderr.write(f"• {message}\n")


def parse_args(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        prog="python -m bench.promotion_decisions", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--promotions",
        type=int,
        default=DEFAULT_PROMOTIONS,
        help=f"N promotions, 5 decisions each (default {DEFAULT_PROMOTIONS})",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"concurrent drivers and readers (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--reads",
        type=int,
        default=DEFAULT_READS,
        help=f"GET requests in the read phase (default {DEFAULT_READS})",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"JSON file (default {OUTPUT})")
    args = parser.parse_args(argv)
    if args.promotions < 1 or args.concurrency < 1 or args.reads < 0:
        parser.error("--promotions and --concurrency must be at least 1, --reads at least 0")
    return Config(args.promotions, args.concurrency, args.reads, args.output)


async def _main(cfg: Config) -> dict[str, Any]:
    task = asyncio.current_task()
    assert task is not None
    # SIGTERM unwinds like Ctrl-C, through the finally that stops every child process.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await run(cfg)


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    try:
        result = asyncio.run(_main(cfg))
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

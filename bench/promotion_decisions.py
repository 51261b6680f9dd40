"""``make bench``: approval decisions per second through Meritflow's HTTP API vs bare Temporal.

One run starts its own Temporal dev server (state in a SQLite file in a temporary directory, or
in memory with ``--temporal-db memory``), migrates a temporary Meritflow SQLite database, and
starts three more processes, all on 127.0.0.1: the Meritflow worker (``worker.py``, i.e.
``build_worker``), the bare worker (``bench.bare``) and the API (``uvicorn server:app``), each
as ``make run`` starts it. This process generates the load.

Untimed: N+1 eligible employees and their promotions through the API, until each waits on its
supervisor; N+1 bare workflows started and past their first workflow task; one of each walked
through the chain as a warm-up. Timed: ``--concurrency`` drivers each walk their share of the N
promotions through the five approvals (supervisor, promotion board, agency HR, BKN, appointing
authority), one at a time; then the same for the bare workflows with a temporalio client; last,
``--reads`` GETs of the completed promotions at the same concurrency. BKN's technical approval is
a third-party review in the product now (tests/e2e/test_promotion_api.py): its approval is the
reviewer's conflict declaration and verdict, with the polls a client needs to see the review open
and the promotion move on; ``--bkn-step decision`` drives it as a plain decision, which only builds
from before the review child accept (the product now refuses it with 409 under_review).

Everything started is stopped on the way out, error or not. The numbers are printed as a table and
written to ``data/bench/promotion_decisions.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client

from bench import _meritflow as mf
from bench._approvals import Approvals
from bench._bare_load import bare_completed, bare_op, setup_bare
from bench._load import Op, run_chains
from bench._report import Phase, machine, render
from bench._stack import (
    LOOPBACK,
    Stack,
    child_env,
    free_port,
    machine_cpu_seconds,
    run_cli,
    start_processes,
    wait_http_ok,
)
from infra.db import migrate
from infra.settings import ROOT, Settings

DEFAULT_PROMOTIONS = 60
DEFAULT_CONCURRENCY = 20
DEFAULT_READS = 2000
# Untimed setup; POST /v1/promotions at 20 concurrent requests exhausted the API's connection pool.
DEFAULT_SETUP_CONCURRENCY = 4
DEFAULT_REQUEST_TIMEOUT_S = 30.0
# Twenty drivers polling every 50 ms (the e2e test's interval) kept the one API process busy with
# reads, and on SQLite every read takes the write lock: the polls slowed the work they waited for.
DEFAULT_POLL_MS = 250
OUTPUT = ROOT / "data" / "bench" / "promotion_decisions.json"
STEPS = len(mf.CHAIN)
METHOD = (
    "wall clock from the first request to the last response of each timed phase; one Temporal dev "
    "server for both sides; API = 1 uvicorn process, Meritflow worker and bare worker = 1 "
    "process each, load = this process (httpx.AsyncClient over loopback, keep-alive / "
    "temporalio Client with the pydantic data converter); every API request carries a bearer "
    "token; Meritflow database = SQLite (WAL) in a temp dir; setup and warm-up untimed; with the "
    "BKN step as review, that approval is the pertek review of tests/e2e (poll until the review "
    "is open, declare no conflict, give the verdict, poll until the next step is pending) and is "
    "timed as one approval"
)


@dataclass(frozen=True)
class Config:
    promotions: int
    concurrency: int
    reads: int
    setup_concurrency: int
    temporal_db: str
    bkn_step: str
    settle_ms: int
    poll_ms: int
    request_timeout_s: float
    output: Path


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
        ok = not any(result[k]["operations_failed"] for k in ("meritflow", "bare", "reads"))
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
            sys.stderr.write(f"errors: logs and databases kept in {tmp}\n")


async def _run(cfg: Config, settings: Settings, stack: Stack, tmp: Path) -> dict[str, Any]:
    loadavg = round(os.getloadavg()[0], 2)
    bare_queue = f"bench-bare-{secrets.token_hex(4)}"
    _say("migrating the temporary database")
    await migrate(settings.database_url)
    _say("starting the Temporal dev server, the workers and the API")
    client = await start_processes(stack, settings, tmp, bare_queue, cfg.temporal_db)
    limits = httpx.Limits(max_connections=cfg.concurrency + 4)
    base = f"http://{LOOPBACK}:{settings.api_port}"
    async with httpx.AsyncClient(
        base_url=base, timeout=cfg.request_timeout_s, limits=limits, trust_env=False
    ) as http:
        await wait_http_ok(stack, http, "/healthz")
        api = mf.Api(http, settings, poll_s=cfg.poll_ms / 1000)
        bench = Bench(cfg, stack, api, client, bare_queue)
        await bench.setup()
        phases = await bench.measure()
        checks = await bench.checks()
    return {**_result(cfg, phases, checks, loadavg), "warm_up_errors": bench.warm_up_errors}


@dataclass
class Bench:
    cfg: Config
    stack: Stack
    api: mf.Api
    client: Client
    bare_queue: str
    period: date = field(default_factory=lambda: mf.promotion_period(date.today()))
    promos: list[mf.Promotion] = field(default_factory=list)
    bare_ids: list[str] = field(default_factory=list)
    warm_up_errors: list[str] = field(default_factory=list)

    async def setup(self) -> None:
        """N+1 of each (the first for the warm-up), then the warm-up; nothing here is timed."""
        n, limit = self.cfg.promotions, self.cfg.setup_concurrency
        if self.cfg.bkn_step == "review":
            await mf.register_bkn_body(self.api)
        _say(f"setup: {n + 1} promotions (period {self.period}) and {n + 1} bare workflows")
        self.promos = await mf.setup_promotions(self.api, n + 1, self.period, limit)
        self.bare_ids = await setup_bare(self.client, self.bare_queue, n + 1, limit)
        _say("warm-up: one promotion and one bare workflow through the chain")
        # One chain of each; two calls, since the items (and so the operations) differ in type.
        warm_ups: list[tuple[str, Callable[[Phase], Awaitable[None]]]] = [
            (
                "meritflow",
                lambda w: run_chains(
                    w, self.promos[:1], STEPS, 1, self._approvals(Phase("w")).op()
                ),
            ),
            ("bare", lambda w: run_chains(w, self.bare_ids[:1], STEPS, 1, self._bare)),
        ]
        for name, warm_up in warm_ups:
            warm = Phase(f"warm-up {name}")
            await warm_up(warm)
            if warm.errors:  # the timed phase will meet it too, and report it with the numbers
                self.warm_up_errors += warm.samples
                _say(f"{warm.name} failed: {dict(warm.errors)}; {warm.samples}")
        self.stack.check_alive()

    def _approvals(self, phase: Phase) -> Approvals:
        review = self.cfg.bkn_step == "review"
        return Approvals(self.api, self.period, phase, review, self.cfg.settle_ms / 1000)

    @property
    def _bare(self) -> Op[str]:
        return bare_op(self.client, mf.CHAIN)

    async def measure(self) -> dict[str, Phase]:
        c, n, reads = self.cfg.concurrency, self.cfg.promotions, self.cfg.reads
        merit, bare, get = Phase("meritflow"), Phase("bare"), Phase("reads")
        _say(f"timed: {n * STEPS} Meritflow approvals through the API at concurrency {c}")
        approvals = self._approvals(merit).op()
        await self._measured(merit, run_chains(merit, self.promos[1:], STEPS, c, approvals))
        _say(f"timed: {n * STEPS} bare Temporal updates at concurrency {c}")
        await self._measured(bare, run_chains(bare, self.bare_ids[1:], STEPS, c, self._bare))
        _say(f"timed: {reads} GET /v1/promotions/{{id}} at concurrency {c}")
        pids = [p.pid for p in self.promos[1:]]
        await self._measured(get, mf.run_reads(self.api, get, pids, reads, c))
        return {"meritflow": merit, "bare": bare, "reads": get}

    async def _measured(self, phase: Phase, work: Awaitable[None]) -> None:
        before = _cpu(self.stack)
        await work
        after = _cpu(self.stack)
        phase.cpu_s = {k: v - b for k, v in after.items() if v is not None
                       and (b := before.get(k)) is not None}  # fmt: skip
        self.stack.check_alive()

    async def checks(self) -> dict[str, int]:
        c = self.cfg.concurrency
        return {
            "meritflow_completed": await mf.completed(self.api, self.promos[1:], c),
            "bare_completed": await bare_completed(self.client, self.bare_ids[1:], c),
        }


def _cpu(stack: Stack) -> dict[str, float | None]:
    return {**stack.cpu_seconds(), "bench": time.process_time(), **machine_cpu_seconds()}


def _result(
    cfg: Config, phases: dict[str, Phase], checks: dict[str, int], loadavg: float
) -> dict[str, Any]:
    merit, bare = phases["meritflow"], phases["bare"]
    ratio = merit.per_s / bare.per_s if bare.per_s else None
    return {
        "benchmark": "promotion_decisions",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "loadavg_1m_at_start": loadavg},
        "parameters": {
            "promotions": cfg.promotions,
            "steps": STEPS,
            "decisions": cfg.promotions * STEPS,
            "concurrency": cfg.concurrency,
            "reads": cfg.reads,
            "setup_concurrency": cfg.setup_concurrency,
            "temporal_db": cfg.temporal_db,
            "bkn_step": cfg.bkn_step,
            "settle_ms": cfg.settle_ms,
            "poll_ms": cfg.poll_ms,
            "request_timeout_s": cfg.request_timeout_s,
        },
        "method": METHOD,
        **{name: phase.summary() for name, phase in phases.items()},
        "ratio_meritflow_over_bare": round(ratio, 4) if ratio else None,
        "checks": checks,
    }


def _say(message: str) -> None:
    sys.stderr.write(f"• {message}\n")


def parse_args(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        prog="python -m bench.promotion_decisions",
        description="Approvals per second: Meritflow's HTTP API vs bare Temporal updates.",
    )
    for flag, kind, default, text in (
        ("--promotions", int, DEFAULT_PROMOTIONS, f"N promotions, {STEPS} approvals each"),
        ("--concurrency", int, DEFAULT_CONCURRENCY, "drivers in the timed phases"),
        ("--reads", int, DEFAULT_READS, "GET requests in the read phase"),
        ("--setup-concurrency", int, DEFAULT_SETUP_CONCURRENCY, "requests at once in the setup"),
        ("--poll-ms", int, DEFAULT_POLL_MS, "interval of the polls the BKN review needs"),
        ("--settle-ms", int, 0, "pause after the BKN review before the next decision"),
        ("--request-timeout", float, DEFAULT_REQUEST_TIMEOUT_S, "HTTP timeout per request, s"),
        ("--output", Path, OUTPUT, "the JSON file"),
    ):
        parser.add_argument(flag, type=kind, default=default, help=f"{text} (default {default})")
    parser.add_argument(
        "--temporal-db",
        choices=("file", "memory"),
        default="file",
        help="the dev server's state: SQLite file in the temp dir, or memory",
    )
    parser.add_argument(
        "--bkn-step",
        choices=("review", "decision"),
        default="review",
        help="BKN's approval: the review of tests/e2e, or a plain decision (older builds only)",
    )
    args = parser.parse_args(argv)
    if min(args.promotions, args.concurrency, args.setup_concurrency, args.poll_ms) < 1:
        parser.error("--promotions, --poll-ms and the concurrencies must be at least 1")
    if args.reads < 0 or args.settle_ms < 0 or args.request_timeout <= 0:
        parser.error("--reads and --settle-ms must be at least 0, --request-timeout above 0")
    return Config(
        promotions=args.promotions,
        concurrency=args.concurrency,
        reads=args.reads,
        setup_concurrency=args.setup_concurrency,
        temporal_db=args.temporal_db,
        bkn_step=args.bkn_step,
        settle_ms=args.settle_ms,
        poll_ms=args.poll_ms,
        request_timeout_s=args.request_timeout,
        output=args.output,
    )


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    return run_cli(lambda: run(cfg), render, cfg.output)


if __name__ == "__main__":
    raise SystemExit(main())

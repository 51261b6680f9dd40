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

After the load, the Temporal server is asked (bench/_health.py): every history of the promotions,
their reviews and the bare workflows is read for ``WorkflowTaskTimedOut``/``Failed`` events, and
any of them still running is stuck. CPU per approval: the CPU seconds of the Meritflow worker(s),
the API(s) and the Temporal server during the Meritflow phase over its approvals; bare: the bare
worker, the Temporal server and this process (the bare side's client) over its updates.

``--postgres`` puts Meritflow's database on the PostgreSQL server (a fresh database per run,
bench/_database.py) instead of SQLite; ``--scale 1,2`` (the default with ``--postgres``) then
measures once more with a second worker and a second API on the same database and server, the
drivers spreading their requests over both APIs (bench/_spread.py): 1 + 1 against 2 + 2.
``--deployment URL --temporal HOST:PORT`` starts no Meritflow process at all: it drives the
deployment's API(s) (repeat the flag for several, round robin) and its Temporal server, where it
starts only the bare worker; tokens are minted with ``--jwt-secret`` (or MERITFLOW_JWT_SECRET).

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
from datetime import date
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench import _meritflow as mf
from bench._approvals import BKN_STEPS, Approvals, approvals_for
from bench._bare_load import bare_completed, bare_op, setup_bare
from bench._database import DEFAULT_POSTGRES, bench_database
from bench._decisions_result import database_of, result_of
from bench._health import health
from bench._load import Op, Side, in_turns, run_chains
from bench._report import Phase, render
from bench._scale import (
    meritflow_ids,
    more_processes,
    scaled_phase,
    wait_all_healthy,
)
from bench._spread import spread_client
from bench._stack import (
    LOOPBACK,
    Stack,
    child_env,
    free_port,
    machine_cpu_seconds,
    run_cli,
    start_bare_worker,
    start_processes,
)
from infra.db import migrate
from infra.settings import ROOT, Settings

DEFAULT_PROMOTIONS = 80
DEFAULT_TURNS = 2  # each side in two slices, A B then B A: a drifting machine weighs on both
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
    # The two sides timed alternately in this many slices (A B, B A, ...); 1: each in one go.
    turns: int = 1
    # The PostgreSQL server for Meritflow's database (a fresh database on it); None: SQLite.
    postgres: str | None = None
    # Workers and APIs measured in turn (1 + 1, then 2 + 2, ...); own stack only.
    scale: tuple[int, ...] = (1,)
    # A running deployment's API base URLs and Temporal address; empty: start our own stack.
    deployment: tuple[str, ...] = ()
    temporal: str | None = None
    jwt_secret: str | None = None


async def run(cfg: Config) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="meritflow-bench-"))
    stacks: list[Stack] = []
    ok = False
    try:
        if cfg.deployment:
            settings = _deployment_settings(cfg)
            stacks.append(Stack(tmp / "logs", child_env(settings, tmp / "data")))
            result = await _run(cfg, settings, stacks[0], tmp)
        else:
            async with bench_database(tmp, cfg.postgres) as url:
                settings = _own_settings(url)
                stacks.append(Stack(tmp / "logs", child_env(settings, tmp / "data")))
                try:
                    result = await _run(cfg, settings, stacks[0], tmp)
                finally:
                    stacks[0].stop()  # before the database is dropped
        ok = not any(result[k]["operations_failed"] for k in ("meritflow", "bare", "reads"))
        return result
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except BaseException:
        for stack in stacks:
            sys.stderr.write(f"\nbenchmark failed; last lines of each process:\n{stack.tails()}\n")
        raise
    finally:
        for stack in stacks:
            stack.stop()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            sys.stderr.write(f"errors: logs and databases kept in {tmp}\n")


def _own_settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        temporal_address=f"{LOOPBACK}:{free_port()}",
        task_queue=f"bench-meritflow-{secrets.token_hex(4)}",
        api_host=LOOPBACK,
        api_port=free_port(),
        jwt_secret=secrets.token_urlsafe(32),
    )


def _deployment_settings(cfg: Config) -> Settings:
    """The deployment's token settings from MERITFLOW_* (and .env), its Temporal from the flag."""
    base = Settings()
    update: dict[str, Any] = {"temporal_address": cfg.temporal or base.temporal_address}
    if cfg.jwt_secret:
        update["jwt_secret"] = cfg.jwt_secret
    return base.model_copy(update=update)


async def _run(cfg: Config, settings: Settings, stack: Stack, tmp: Path) -> dict[str, Any]:
    loadavg = round(os.getloadavg()[0], 2)
    bare_queue = f"bench-bare-{secrets.token_hex(4)}"
    if cfg.deployment:
        _say(f"driving the deployment {list(cfg.deployment)}, Temporal {settings.temporal_address}")
        client = await start_bare_worker(stack, settings.temporal_address, bare_queue)
        urls, first = list(cfg.deployment), 1 + secrets.randbelow(10**8) * 10
    else:
        _say(f"migrating the temporary database ({database_of(cfg)})")
        await migrate(settings.database_url)
        _say("starting the Temporal dev server, the workers and the API")
        client = await start_processes(stack, settings, tmp, bare_queue, cfg.temporal_db)
        urls, first = [f"http://{LOOPBACK}:{settings.api_port}"], 0
    await wait_all_healthy(stack, urls)
    http = spread_client(urls, timeout=cfg.request_timeout_s, connections=cfg.concurrency + 4)
    async with http:
        api = mf.Api(http, settings, poll_s=cfg.poll_ms / 1000)
        bench = Bench(cfg, stack, api, client, bare_queue, first=first)
        await bench.setup()
        phases = await bench.measure()
        checks = await bench.checks()
        _say("asking the Temporal server: workflow task timeouts, stuck workflows")
        checked = {
            "meritflow": await health(client, meritflow_ids(bench.promos)),
            "bare": await health(client, bench.bare_ids),
        }
    scaled: dict[str, Any] = {}
    for n in cfg.scale[1:] if not cfg.deployment else ():
        _say(f"timed: the same load on {n} workers + {n} APIs (one database, one server)")
        scaled[f"{n}+{n}"] = await scaled_phase(
            n=n,
            urls=more_processes(stack, settings, n),
            settings=settings,
            stack=stack,
            client=client,
            period=bench.period,
            cfg=cfg,
            first=first + n * (cfg.promotions + 1),
            cpu=lambda: _cpu(stack),
        )
    return {
        **result_of(cfg, phases, checks, loadavg),
        "health": checked,
        "scale": scaled,
        "warm_up_errors": bench.warm_up_errors,
    }


@dataclass
class Bench:
    cfg: Config
    stack: Stack
    api: mf.Api
    client: Client
    bare_queue: str
    first: int = 0
    period: date = field(default_factory=lambda: mf.promotion_period(date.today()))
    promos: list[mf.Promotion] = field(default_factory=list)
    bare_ids: list[str] = field(default_factory=list)
    warm_up_errors: list[str] = field(default_factory=list)

    async def setup(self) -> None:
        """N+1 of each (the first for the warm-up), then the warm-up; nothing here is timed."""
        n, limit = self.cfg.promotions, self.cfg.setup_concurrency
        if self.cfg.bkn_step != "decision":
            await mf.register_bkn_body(self.api)
        _say(f"setup: {n + 1} promotions (period {self.period}) and {n + 1} bare workflows")
        self.promos = await mf.setup_promotions(self.api, n + 1, self.period, limit, self.first)
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
        return approvals_for(
            self.api, self.period, phase, self.cfg.bkn_step, self.cfg.settle_ms / 1000
        )

    @property
    def _bare(self) -> Op[str]:
        return bare_op(self.client, mf.CHAIN)

    async def measure(self) -> dict[str, Phase]:
        c, n, reads = self.cfg.concurrency, self.cfg.promotions, self.cfg.reads
        merit, bare, get = Phase("meritflow"), Phase("bare"), Phase("reads")
        turns = self.cfg.turns
        _say(f"timed: {n * STEPS} Meritflow approvals through the API and {n * STEPS} bare "
             f"Temporal updates at concurrency {c}, in {turns} turn(s) each")  # fmt: skip
        sides: list[Side] = [
            (merit, self.promos[1:], lambda part: self._approvals(part).op()),
            (bare, self.bare_ids[1:], lambda _: self._bare),
        ]
        await in_turns(turns, sides, STEPS, c, self._measured)
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
        ("--turns", int, DEFAULT_TURNS, "slices each side is timed in, alternately: A B, B A"),
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
        choices=BKN_STEPS,
        default="review",
        help="BKN's approval: the review of tests/e2e with the reviewer's declaration of no "
        "conflict sent with the verdict (one request), the same with the declaration sent first "
        "on its own (two requests), or a plain decision (older builds only)",
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_POSTGRES,
        default=None,
        metavar="URL",
        help=f"Meritflow's database on PostgreSQL (a fresh one per run; default {DEFAULT_POSTGRES})",
    )
    parser.add_argument(
        "--scale",
        default=None,
        help="workers+APIs measured in turn, e.g. 1,2 (default: 1,2 with --postgres, else 1)",
    )
    parser.add_argument("--deployment", action="append", default=[], metavar="BASE_URL",
                        help="drive this running API instead of starting a stack "
                        "(repeat: round robin)")  # fmt: skip
    parser.add_argument("--temporal", metavar="HOST:PORT", help="the deployment's Temporal")
    parser.add_argument("--jwt-secret", help="the deployment's token secret (or env)")
    args = parser.parse_args(argv)
    if args.deployment and not args.temporal:
        parser.error("--deployment needs --temporal HOST:PORT")
    scale = tuple(int(x) for x in (args.scale or ("1,2" if args.postgres else "1")).split(","))
    if not scale or scale[0] != 1 or list(scale) != sorted(set(scale)):
        parser.error("--scale starts at 1 and grows, e.g. 1,2")
    if min(args.promotions, args.concurrency, args.setup_concurrency, args.poll_ms, args.turns) < 1:
        parser.error("--promotions, --poll-ms, --turns and the concurrencies must be at least 1")
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
        turns=args.turns,
        postgres=args.postgres,
        scale=scale,
        deployment=tuple(args.deployment),
        temporal=args.temporal,
        jwt_secret=args.jwt_secret,
    )


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    return run_cli(lambda: run(cfg), render, cfg.output)


if __name__ == "__main__":
    raise SystemExit(main())

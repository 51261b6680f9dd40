"""``make bench`` (audit part): search, history, export and offline verification over a big ledger.

    python -m bench.audit_ledger [--entries 1000000]

One run makes a temporary SQLite database (``python -m infra.db migrate``'s schema, via
``infra.db.migrate``) and fills it with ``--entries`` synthetic ledger entries spread over many
processes (bench/_ledger_fill.py: promotions with their reviews, periods, refused starts, a few large
open selections, forty agencies; hashed and chained by ``domain/ledger.py`` exactly as the store
appends them, then bulk-inserted in ``recorded_at`` order). Then it serves the real API
(``api.main.create_app`` under uvicorn, one process on 127.0.0.1, bench/_audit_api.py) and, from
this process, one request at a time, with an auditor's bearer token:

1. ``POST /v1/audit/checkpoints``: the first checkpoint indexes every entry into the Merkle tree and
   signs the tree head with an Ed25519 key made for the run (timed, entries/s);
2. ``GET /v1/audit/entries`` (100 per page) under several filter combinations, each request with
   fresh filter values (agency, actor, subject, time window drawn at random), and cursor pages
   (``next_cursor`` followed): p50/p99 latency; the SQL each runs is captured and its SQLite query
   plan printed, so a full scan shows;
3. ``GET /v1/processes/{id}/ledger`` (and ``/ledger/verify``) for processes of different sizes;
4. ``GET /v1/audit/export?format=jsonl`` of the whole ledger, streamed to a file: entries/s;
5. ``python -m cli.verify`` on that file with the checkpoints of ``GET /v1/audit/checkpoints``
   and the key of ``GET /v1/audit/public-key``, as a separate process (no database, no server):
   entries/s and its peak RSS.

Temporal plays no part in any of this (the API's client is lazy and never connects), so there is no
ratio against bare Temporal here. p99 is nearest-rank over the samples taken: with fewer than 100
samples it is the slowest one. The table is printed and the JSON written to
``data/bench/audit_ledger.json``; the temporary directory is removed unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import platform
import random
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bench._ledger_fill import AGENCIES, FillStats, fill
from bench._stack import (
    LOOPBACK,
    BenchError,
    Stack,
    child_env,
    free_port,
    process_cpu_seconds,
    run_cli,
)
from infra.db import create_engine, migrate, session_factory
from infra.settings import ROOT, Settings
from infra.tokens import mint_token
from integrity.checkpoint_signing import CheckpointSigner
from store import audit

OUTPUT = ROOT / "data" / "bench" / "audit_ledger.json"
READY_TIMEOUT_S = 120.0
QUERY_TIMEOUT_S = 300.0
PAGE = 100
HISTORY_PER_BUCKET = 30
Params = dict[str, str]
METHOD = (
    "one uvicorn process serving api.main.create_app on 127.0.0.1 (Temporal client lazy, never "
    "used), SQLite (WAL) database in a temp dir, warm page cache (the fill just wrote it); load "
    "from this process with httpx over loopback, one request at a time, national auditor token "
    "unless stated; latency = request sent to response body read; each query combination gets "
    "one untimed warm-up request, then samples until its time budget is spent (at least "
    "--min-samples, at most --max-samples), filter values drawn afresh for each request"
)


@dataclass(frozen=True)
class Config:
    entries: int
    seed: int
    budget_s: float
    min_samples: int
    max_samples: int
    pages: int
    keep: bool
    output: Path


@dataclass
class Ctx:
    cfg: Config
    http: httpx.AsyncClient
    auditor: dict[str, str]
    stats: FillStats
    rng: random.Random
    db_url: str
    db_path: Path


async def run(cfg: Config) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="meritflow-bench-audit-"))
    seed = secrets.token_bytes(32)
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp / 'meritflow.db'}",
        temporal_address=f"{LOOPBACK}:{free_port()}",  # nothing listens: the client stays lazy
        api_host=LOOPBACK,
        api_port=free_port(),
        jwt_secret=secrets.token_urlsafe(32),
    )
    env = child_env(settings, tmp / "data")
    env["MERITFLOW_CHECKPOINT_SIGNING_KEY"] = base64.b64encode(seed).decode()
    stack = Stack(tmp / "logs", env)
    ok = False
    try:
        result = await _run(cfg, settings, stack, tmp, CheckpointSigner.from_seed(seed))
        ok = all(result["checks"].values())
        return result
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except BaseException:
        sys.stderr.write(f"\nbenchmark failed; last lines of the API:\n{stack.tails()}\n")
        raise
    finally:
        stack.stop()
        if ok and not cfg.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            sys.stderr.write(f"database, export and logs kept in {tmp}\n")


async def _run(
    cfg: Config, settings: Settings, stack: Stack, tmp: Path, signer: CheckpointSigner
) -> dict[str, Any]:
    load_start = _loadavg()
    db_path = tmp / "meritflow.db"
    _say("migrating the temporary database")
    await migrate(settings.database_url)
    _say(f"filling the ledger with {cfg.entries:,} entries (untimed setup, rate reported)")
    stats = await asyncio.to_thread(fill, db_path, cfg.entries, cfg.seed)
    db_bytes = sum(p.stat().st_size for p in tmp.glob("meritflow.db*"))
    _say(f"filled in {stats.seconds:.0f} s; starting the API")
    stack.spawn(
        "api",
        [sys.executable, "-m", "bench._audit_api", "--host", LOOPBACK,
         "--port", str(settings.api_port)],
    )  # fmt: skip
    token = mint_token(settings, role="auditor", sub="bench-auditor", agency=None)
    auditor = {"Authorization": f"Bearer {token}"}
    base = f"http://{LOOPBACK}:{settings.api_port}"
    async with httpx.AsyncClient(base_url=base, timeout=QUERY_TIMEOUT_S, trust_env=False) as http:
        await _wait_ready(stack, http, auditor)
        ctx = Ctx(cfg, http, auditor, stats, random.Random(cfg.seed + 1), settings.database_url,
                  db_path)  # fmt: skip
        _say("timed: the first checkpoint (indexes every entry, signs the tree head)")
        checkpoint = await _checkpoint(ctx)
        _say("timed: GET /v1/audit/entries under each filter combination")
        searches = [await _search(ctx, stack, settings, q) for q in _queries(ctx)]
        _say("timed: GET /v1/processes/{id}/ledger and /ledger/verify by process size")
        history = await _history(ctx, stack)
        _say("timed: GET /v1/audit/export?format=jsonl of the whole ledger")
        export = await _export(ctx, tmp / "ledger.jsonl")
        cps = await _get(ctx, "/v1/audit/checkpoints")
        key = await _get(ctx, "/v1/audit/public-key")
        (tmp / "checkpoints.json").write_text(json.dumps(cps), encoding="utf-8")
    stack.check_alive()
    stack.stop()  # the offline verifier runs alone
    _say("timed: python -m cli.verify on the export (offline)")
    verify = _verify(tmp / "ledger.jsonl", tmp / "checkpoints.json", key["public_key"])
    checks = {
        "checkpoint_covers_every_entry": checkpoint["tree_size"] == stats.entries,
        "public_key_is_the_runs": key["public_key"] == signer.public_key,
        "every_history_verified_by_the_api": all(h["verified"] for h in history),
        "export_has_every_entry": export["entries"] == stats.entries,
        "offline_verifier_ok": verify["ok"],
        "every_search_answered_200": all(not s["errors"] for s in searches),
    }
    return {
        "benchmark": "audit_ledger",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**_machine(), "loadavg_at_start": load_start, "loadavg_at_end": _loadavg()},
        "temporal": "not involved: no ratio against bare Temporal applies",
        "parameters": {
            "entries": cfg.entries,
            "seed": cfg.seed,
            "budget_s": cfg.budget_s,
            "min_samples": cfg.min_samples,
            "max_samples": cfg.max_samples,
            "cursor_pages": cfg.pages,
            "page_size": PAGE,
        },
        "method": METHOD,
        "ledger": _ledger_summary(stats, db_bytes),
        "checkpoint": checkpoint,
        "search": searches,
        "history": history,
        "export": export,
        "verify": verify,
        "checks": checks,
    }


# --- setup -------------------------------------------------------------------------------------


async def _wait_ready(stack: Stack, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            r = await http.get("/v1/audit/public-key", headers=headers)
            if r.status_code == 200:
                return
            last = f"{r.status_code} {r.text[:300]}"
        except httpx.TransportError as exc:
            last = repr(exc)
        await asyncio.sleep(0.2)
    raise BenchError(f"the API did not answer within {READY_TIMEOUT_S:.0f}s: {last}")


async def _get(ctx: Ctx, path: str) -> dict[str, Any]:
    r = await ctx.http.get(path, headers=ctx.auditor)
    if r.status_code != 200:
        raise BenchError(f"GET {path} -> {r.status_code}: {r.text[:500]}")
    body: dict[str, Any] = r.json()
    return body


async def _checkpoint(ctx: Ctx) -> dict[str, Any]:
    t0 = time.perf_counter()
    r = await ctx.http.post("/v1/audit/checkpoints", headers=ctx.auditor, timeout=None)
    wall = time.perf_counter() - t0
    if r.status_code != 201:
        raise BenchError(f"POST /v1/audit/checkpoints -> {r.status_code}: {r.text[:500]}")
    size = int(r.json()["tree_size"])
    return {"tree_size": size, "wall_s": round(wall, 2), "per_s": round(size / wall)}


# --- search ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    name: str
    params: Callable[[], Params]
    scoped_agency: Callable[[], str] | None = None  # a token with this agency claim
    pages: int = 0  # > 0: follow next_cursor this many pages after an untimed first page


def _queries(ctx: Ctx) -> list[Query]:
    rng, st = ctx.rng, ctx.stats
    first, last = st.first or datetime.now(UTC), st.last or datetime.now(UTC)

    def agency() -> str:
        return rng.choice(AGENCIES)

    def window(days: int) -> Params:
        span = max((last - first).total_seconds() - days * 86_400, 1.0)
        start = first + timedelta(seconds=rng.uniform(0, span))
        end = start + timedelta(days=days)
        return {"from": _iso(start), "to": _iso(end)}

    pids = list(st.sizes)
    return [
        Query("(no filter)", dict),
        Query("agency", lambda: {"agency": agency()}),
        Query("agency + kind=promotion.decision",
              lambda: {"agency": agency(), "kind": "promotion.decision"}),
        Query("agency + outcome=refused", lambda: {"agency": agency(), "outcome": "refused"}),
        Query("agency + 30-day window", lambda: {"agency": agency(), **window(30)}),
        Query("auditor scoped to an agency, no filter", dict, scoped_agency=agency),
        Query("process_kind=review", lambda: {"process_kind": "review"}),
        Query("kind=promotion.decision", lambda: {"kind": "promotion.decision"}),
        Query("outcome=refused", lambda: {"outcome": "refused"}),
        Query("kind=promotion.decision + 7-day window",
              lambda: {"kind": "promotion.decision", **window(7)}),
        Query("7-day window", lambda: window(7)),
        Query("actor (one staff member)", lambda: {"actor": rng.choice(st.staff)}),
        Query("actor=system:timer (~1/4 of entries)", lambda: {"actor": "system:timer"}),
        Query("subject (one employee)", lambda: {"subject": rng.choice(st.subjects)}),
        Query("process_id", lambda: {"process_id": rng.choice(pids)}),
        Query(f"(no filter), pages 2..{ctx.cfg.pages + 1} by cursor", dict, pages=ctx.cfg.pages),
        Query(f"agency, pages 2..{ctx.cfg.pages + 1} by cursor",
              lambda: {"agency": agency()}, pages=ctx.cfg.pages),
    ]  # fmt: skip


async def _search(ctx: Ctx, stack: Stack, settings: Settings, q: Query) -> dict[str, Any]:
    cfg = ctx.cfg
    latencies: list[float] = []
    rows: list[int] = []
    errors: dict[str, int] = {}
    first_params: Params = {}
    cursor_seen: str | None = None

    def headers() -> dict[str, str]:
        if q.scoped_agency is None:
            return ctx.auditor
        token = mint_token(settings, role="auditor", sub="bench-agency-auditor",
                           agency=q.scoped_agency())  # fmt: skip
        return {"Authorization": f"Bearer {token}"}

    async def one(params: Params, h: dict[str, str]) -> dict[str, Any] | None:
        t0 = time.perf_counter()
        r = await ctx.http.get("/v1/audit/entries", params={**params, "limit": str(PAGE)},
                               headers=h)  # fmt: skip
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            key = f"HTTP {r.status_code}: {r.text[:200]}"
            errors[key] = errors.get(key, 0) + 1
            return None
        body: dict[str, Any] = r.json()
        latencies.append(elapsed)
        rows.append(len(body["items"]))
        return body

    async def sample() -> None:
        nonlocal first_params, cursor_seen
        params, h = q.params(), headers()
        first_params = first_params or params
        if not q.pages:
            await one(params, h)
            return
        page = (await ctx.http.get("/v1/audit/entries", params={**params, "limit": str(PAGE)},
                                   headers=h)).json()  # fmt: skip
        for _ in range(q.pages):
            if not page.get("next_cursor"):
                break
            cursor_seen = page["next_cursor"]
            page = await one({**params, "cursor": page["next_cursor"]}, h)
            if page is None:
                break

    samples = 0
    await sample()  # warm-up, untimed
    latencies.clear()
    rows.clear()
    deadline = time.perf_counter() + cfg.budget_s
    while samples < cfg.max_samples and (
        samples < cfg.min_samples or time.perf_counter() < deadline
    ):
        await sample()
        samples += 1
        stack.check_alive()
    plan = await _plan(ctx, q, first_params, cursor_seen)
    _say(f"  {q.name}: p50 {_ms(_pct(latencies, 50))} ms, p99 {_ms(_pct(latencies, 99))} ms")
    return {
        "query": q.name,
        "example": first_params,
        "requests": len(latencies),
        "p50_ms": _ms(_pct(latencies, 50)),
        "p99_ms": _ms(_pct(latencies, 99)),
        "max_ms": _ms(max(latencies, default=None)),
        "mean_rows": round(sum(rows) / len(rows), 1) if rows else 0,
        "plan": plan,
        "full_scan": _full_scan(plan),
        "errors": errors,
    }


class _Captured(Exception):  # noqa: N818 - a signal, not an error
    def __init__(self, statement: str, parameters: Any) -> None:
        super().__init__(statement)
        self.statement, self.parameters = statement, parameters


async def _plan(ctx: Ctx, q: Query, params: Params, cursor: str | None) -> list[str]:
    """The SQLite query plan of the SQL ``store.audit.search_entries`` runs for these filters:
    the statement is captured on its way to the driver (and not run), then explained."""
    flt = audit.EntryFilter(
        process_kind=params.get("process_kind"),
        agency=q.scoped_agency() if q.scoped_agency else params.get("agency"),
        actor_id=params.get("actor"),
        kind=params.get("kind"),
        outcome=params.get("outcome"),
        subject=params.get("subject"),
        process_id=params.get("process_id"),
        recorded_from=datetime.fromisoformat(params["from"]) if "from" in params else None,
        recorded_to=datetime.fromisoformat(params["to"]) if "to" in params else None,
    )
    after = audit.decode_cursor(cursor) if q.pages and cursor else None
    engine = create_engine(ctx.db_url)

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            raise _Captured(statement, parameters)

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    captured: _Captured | None = None
    try:
        async with session_factory(engine)() as session:
            await audit.search_entries(session, flt, limit=PAGE + 1, after=after)
    except _Captured as c:
        captured = c
    except Exception as exc:  # SQLAlchemy may wrap it
        cause = exc.__cause__ or exc.__context__
        captured = cause if isinstance(cause, _Captured) else None
        if captured is None:
            raise
    finally:
        await engine.dispose()
    if captured is None:
        return ["(no statement captured)"]
    with sqlite3.connect(ctx.db_path) as con:
        rows = con.execute(
            f"EXPLAIN QUERY PLAN {captured.statement}", tuple(captured.parameters)
        ).fetchall()
    return [str(r[3]) for r in rows]


# --- history -----------------------------------------------------------------------------------

BUCKETS = (
    ("1-2 entries (refused, ineligible, period)", 1, 2),
    ("5-8 entries (review, short promotion)", 5, 8),
    ("9-20 entries (promotion, whole chain)", 9, 20),
    ("100-999 entries (open selection)", 100, 999),
    ("1000+ entries (large open selection)", 1000, 10**9),
)


async def _history(ctx: Ctx, stack: Stack) -> list[dict[str, Any]]:
    out = []
    for label, lo, hi in BUCKETS:
        pids = [p for p, n in ctx.stats.sizes.items() if lo <= n <= hi]
        if not pids:
            continue
        chosen = ctx.rng.sample(pids, min(HISTORY_PER_BUCKET, len(pids)))
        sizes = [ctx.stats.sizes[p] for p in chosen]
        for path, what in (("ledger", "history"), ("ledger/verify", "verify")):
            latencies: list[float] = []
            verified = True
            await ctx.http.get(f"/v1/processes/{chosen[0]}/{path}", headers=ctx.auditor)
            deadline = time.perf_counter() + ctx.cfg.budget_s
            i = 0
            while i < ctx.cfg.max_samples and (
                i < max(ctx.cfg.min_samples, len(chosen)) or time.perf_counter() < deadline
            ):
                pid = chosen[i % len(chosen)]
                t0 = time.perf_counter()
                r = await ctx.http.get(f"/v1/processes/{pid}/{path}", headers=ctx.auditor)
                latencies.append(time.perf_counter() - t0)
                body = r.json()
                if r.status_code != 200:
                    raise BenchError(f"GET /v1/processes/{pid}/{path} -> {r.status_code}: {body}")
                if what == "history" and len(body["entries"]) != ctx.stats.sizes[pid]:
                    raise BenchError(
                        f"{pid}: {len(body['entries'])} entries, not {ctx.stats.sizes[pid]}"
                    )
                if what == "verify":
                    verified = verified and bool(body["ok"])
                i += 1
            stack.check_alive()
            _say(f"  {what} {label}: p50 {_ms(_pct(latencies, 50))} ms")
            out.append(
                {
                    "endpoint": f"GET /v1/processes/{{id}}/{path}",
                    "bucket": label,
                    "processes": len(chosen),
                    "entries_min": min(sizes),
                    "entries_median": sorted(sizes)[len(sizes) // 2],
                    "entries_max": max(sizes),
                    "requests": len(latencies),
                    "p50_ms": _ms(_pct(latencies, 50)),
                    "p99_ms": _ms(_pct(latencies, 99)),
                    "verified": verified,
                }
            )
    return out


# --- export and verification -------------------------------------------------------------------


async def _export(ctx: Ctx, path: Path) -> dict[str, Any]:
    lines = 0
    size = 0
    t0 = time.perf_counter()
    async with ctx.http.stream(
        "GET", "/v1/audit/export", params={"format": "jsonl"}, headers=ctx.auditor, timeout=None
    ) as r:
        if r.status_code != 200:
            await r.aread()
            raise BenchError(f"GET /v1/audit/export -> {r.status_code}: {r.text[:500]}")
        with path.open("wb") as fh:
            async for chunk in r.aiter_bytes():
                fh.write(chunk)
                size += len(chunk)
                lines += chunk.count(b"\n")
    wall = time.perf_counter() - t0
    return {
        "entries": lines,
        "bytes": size,
        "wall_s": round(wall, 2),
        "per_s": round(lines / wall),
        "mib_per_s": round(size / wall / 2**20, 1),
    }


def _verify(export: Path, checkpoints: Path, public_key: str) -> dict[str, Any]:
    """The offline verifier as its own process. Its peak RSS is VmHWM from /proc, read every
    0.1 s while it runs (the high-water mark only grows, so the last reading is the peak to within
    the final 0.1 s); not ``ru_maxrss``, which on Linux also counts this process's own resident
    set at the fork before the exec."""
    argv = [sys.executable, "-m", "cli.verify", "--export", str(export),
            "--checkpoints", str(checkpoints), "--public-key", public_key]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak_kib, cpu = 0, 0.0
    while proc.poll() is None:
        peak_kib = max(peak_kib, _status_kib(proc.pid, "VmHWM"))
        cpu = process_cpu_seconds(proc.pid) or cpu
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    output = proc.stdout.read() if proc.stdout else ""
    entries = sum(1 for _ in export.open("rb"))
    return {
        "ok": proc.returncode == 0 and output.startswith("OK:"),
        "exit": proc.returncode,
        "summary": output.strip()[:1000],
        "entries": entries,
        "wall_s": round(wall, 2),
        "per_s": round(entries / wall),
        "cpu_s": round(cpu, 1),
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


# --- report ------------------------------------------------------------------------------------


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _machine() -> dict[str, Any]:
    model = ""
    mem = ""
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        mem = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory": mem,
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def _ledger_summary(stats: FillStats, db_bytes: int) -> dict[str, Any]:
    sizes = sorted(stats.sizes.values())
    return {
        "entries": stats.entries,
        "processes": dict(stats.processes),
        "process_count": len(sizes),
        "entries_per_process": {
            "median": sizes[len(sizes) // 2],
            "p99": sizes[max(math.ceil(0.99 * len(sizes)) - 1, 0)],
            "max": sizes[-1],
        },
        "outcomes": dict(stats.outcomes),
        "agencies": len(stats.agency_entries),
        "largest_agency_entries": stats.agency_entries.most_common(1)[0][1],
        "smallest_agency_entries": stats.agency_entries.most_common()[-1][1],
        "recorded_from": stats.first.isoformat() if stats.first else None,
        "recorded_to": stats.last.isoformat() if stats.last else None,
        "fill_s": round(stats.seconds, 1),
        "fill_per_s": round(stats.entries / stats.seconds) if stats.seconds else None,
        "database_mib": round(db_bytes / 2**20, 1),
    }


def _plan_text(plan: list[str]) -> str:
    return " | ".join(plan)


def render(res: dict[str, Any]) -> str:
    m, led, p = res["machine"], res["ledger"], res["parameters"]
    cp, ex, vf = res["checkpoint"], res["export"], res["verify"]
    per = led["entries_per_process"]
    lines = [
        f"Meritflow: the auditor's toolkit over a ledger of {led['entries']:,} entries on SQLite",
        f"machine  : {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM, {m['platform']}, "
        f"Python {m['python']}, SQLite {m['sqlite']}; load average {m['loadavg_at_start']} "
        f"(1/5/15 min) at start, {m['loadavg_at_end']} at the end",
        "Temporal : not involved (the API's client is lazy and never connects), so no ratio "
        "against bare Temporal applies to these numbers",
        f"ledger   : {led['process_count']:,} processes {led['processes']}, entries per process "
        f"median {per['median']}, p99 {per['p99']}, max {per['max']}; outcomes "
        f"{led['outcomes']}; {led['agencies']} agencies ({led['largest_agency_entries']:,} to "
        f"{led['smallest_agency_entries']:,} entries); recorded {led['recorded_from'][:10]} to "
        f"{led['recorded_to'][:10]}; database {led['database_mib']} MiB",
        f"fill     : {led['fill_s']} s ({led['fill_per_s']:,} entries/s; built and hashed by "
        "domain/ledger.py, bulk INSERT; untimed setup)",
        f"measured : {res['method']}",
        "",
        f"{'GET /v1/audit/entries?limit=100':<52}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'rows':>6}  SQLite plan",
    ]
    for s in res["search"]:
        lines.append(
            f"{s['query']:<52}{s['requests']:>5}{_c(s['p50_ms']):>9}{_c(s['p99_ms']):>9}"
            f"{_c(s['max_ms']):>9}{s['mean_rows']:>6.0f}  {_plan_text(s['plan'])}"
        )
    lines += [
        "",
        "history = GET /v1/processes/{id}/ledger, verify = GET /v1/processes/{id}/ledger/verify",
        f"{'single-process history':<52}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}  entries/process "
        "(min/median/max), processes",
    ]
    for h in res["history"]:
        what = "verify" if h["endpoint"].endswith("verify") else "history"
        name = f"{what}: {h['bucket']}"
        lines.append(
            f"{name[:52]:<52}{h['requests']:>5}{_c(h['p50_ms']):>9}{_c(h['p99_ms']):>9}  "
            f"{h['entries_min']}/{h['entries_median']}/{h['entries_max']}, {h['processes']}"
        )
    lines += [
        "",
        f"{'throughput':<52}{'entries':>10}{'wall s':>9}{'entries/s':>11}",
        f"{'checkpoint: POST /v1/audit/checkpoints (index+sign)':<52}{cp['tree_size']:>10}"
        f"{cp['wall_s']:>9.1f}{cp['per_s']:>11,}",
        f"{'export: GET /v1/audit/export?format=jsonl':<52}{ex['entries']:>10}{ex['wall_s']:>9.1f}"
        f"{ex['per_s']:>11,}   ({ex['mib_per_s']} MiB/s, {ex['bytes'] / 2**20:.0f} MiB)",
        f"{'offline verify: python -m cli.verify':<52}{vf['entries']:>10}{vf['wall_s']:>9.1f}"
        f"{vf['per_s']:>11,}   (CPU {vf['cpu_s']} s, peak RSS {vf['peak_rss_mib']} MiB)",
        f"verifier said: {vf['summary']}",
        "",
        f"checks: {res['checks']}",
        f"parameters: {p}",
    ]
    scans = [s["query"] for s in res["search"] if s["full_scan"]]
    if scans:
        lines.append(f"full table scans (no usable index) for: {', '.join(scans)}")
    return "\n".join(lines)


def _full_scan(plan: list[str]) -> bool:
    """A table scan, or an index walk that must still sort: every row read before the first page.

    ``SCAN ledger_entries USING INDEX`` on the search order with no temporary B-tree is a walk in
    page order that stops after ``limit`` matches, which is not a full scan.
    """
    sorts = any("TEMP B-TREE FOR ORDER BY" in p for p in plan)
    for p in plan:
        if p.startswith("SCAN ledger_entries") and ("USING" not in p or sorts):
            return True
    return False


def _c(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _say(message: str) -> None:
    sys.stderr.write(f"• {message}\n")


def parse_args(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        prog="python -m bench.audit_ledger",
        description="Ledger search, history, export and offline verification over N entries.",
    )
    add = parser.add_argument
    add("--entries", type=int, default=1_000_000, help="ledger entries (default 1000000)")
    add("--seed", type=int, default=20240601, help="the synthetic ledger's seed")
    add("--budget", type=float, default=15.0, help="seconds of samples per query (default 15)")
    add("--min-samples", type=int, default=5, help="samples per query at least (default 5)")
    add("--max-samples", type=int, default=200, help="samples per query at most (default 200)")
    add("--pages", type=int, default=10, help="cursor pages followed per sample (default 10)")
    add("--keep", action="store_true", help="keep the temporary directory")
    add("--output", type=Path, default=OUTPUT, help=f"the JSON file (default {OUTPUT})")
    args = parser.parse_args(argv)
    if min(args.entries, args.min_samples, args.max_samples, args.pages) < 1 or args.budget < 0:
        parser.error("--entries, --pages and the sample counts must be >= 1, --budget >= 0")
    return Config(
        entries=args.entries,
        seed=args.seed,
        budget_s=args.budget,
        min_samples=args.min_samples,
        max_samples=max(args.max_samples, args.min_samples),
        pages=args.pages,
        keep=args.keep,
        output=args.output,
    )


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    return run_cli(lambda: run(cfg), render, cfg.output, timed=True, require_checks=True)


if __name__ == "__main__":
    raise SystemExit(main())

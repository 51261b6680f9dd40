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
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench._audit_report import ledger_summary, loadavg, machine, ms, render, say
from bench._audit_search import PAGE, QUERY_TIMEOUT_S, Config, Ctx, queries, search
from bench._ledger_fill import fill
from bench._report import percentile
from bench._stack import (
    LOOPBACK,
    BenchError,
    Stack,
    child_env,
    free_port,
    process_cpu_seconds,
    run_cli,
)
from infra.db import migrate
from infra.settings import ROOT, Settings
from infra.tokens import mint_token
from integrity.checkpoint_signing import CheckpointSigner

OUTPUT = ROOT / "data" / "bench" / "audit_ledger.json"
READY_TIMEOUT_S = 120.0
HISTORY_PER_BUCKET = 30
METHOD = (
    "one uvicorn process serving api.main.create_app on 127.0.0.1 (Temporal client lazy, never "
    "used), SQLite (WAL) database in a temp dir, warm page cache (the fill just wrote it); load "
    "from this process with httpx over loopback, one request at a time, national auditor token "
    "unless stated; latency = request sent to response body read; each query combination gets "
    "one untimed warm-up request, then samples until its time budget is spent (at least "
    "--min-samples, at most --max-samples), filter values drawn afresh for each request"
)


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
    load_start = loadavg()
    db_path = tmp / "meritflow.db"
    say("migrating the temporary database")
    await migrate(settings.database_url)
    say(f"filling the ledger with {cfg.entries:,} entries (untimed setup, rate reported)")
    stats = await asyncio.to_thread(fill, db_path, cfg.entries, cfg.seed)
    db_bytes = sum(p.stat().st_size for p in tmp.glob("meritflow.db*"))
    say(f"filled in {stats.seconds:.0f} s; starting the API")
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
        say("timed: the first checkpoint (indexes every entry, signs the tree head)")
        checkpoint = await _checkpoint(ctx)
        say("timed: GET /v1/audit/entries under each filter combination")
        searches = [await search(ctx, stack, settings, q) for q in queries(ctx)]
        say("timed: GET /v1/processes/{id}/ledger and /ledger/verify by process size")
        history = await _history(ctx, stack)
        say("timed: GET /v1/audit/export?format=jsonl of the whole ledger")
        export = await _export(ctx, tmp / "ledger.jsonl")
        cps = await _get(ctx, "/v1/audit/checkpoints")
        key = await _get(ctx, "/v1/audit/public-key")
        (tmp / "checkpoints.json").write_text(json.dumps(cps), encoding="utf-8")
    stack.check_alive()
    stack.stop()  # the offline verifier runs alone
    say("timed: python -m cli.verify on the export (offline)")
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
        "machine": {**machine(), "loadavg_at_start": load_start, "loadavg_at_end": loadavg()},
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
        "ledger": ledger_summary(stats, db_bytes),
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
            say(f"  {what} {label}: p50 {ms(percentile(latencies, 0.5))} ms")
            out.append(
                {
                    "endpoint": f"GET /v1/processes/{{id}}/{path}",
                    "bucket": label,
                    "processes": len(chosen),
                    "entries_min": min(sizes),
                    "entries_median": sorted(sizes)[len(sizes) // 2],
                    "entries_max": max(sizes),
                    "requests": len(latencies),
                    "p50_ms": ms(percentile(latencies, 0.5)),
                    "p99_ms": ms(percentile(latencies, 0.99)),
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

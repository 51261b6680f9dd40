"""The audit benchmark's searches: ``GET /v1/audit/entries`` under filter combinations drawn at
random for each request, cursor pages followed, and the SQL each one runs captured with its SQLite
query plan (bench/audit_ledger.py runs them; bench/_audit_report.py prints them)."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bench._audit_report import full_scan, iso, ms, say
from bench._ledger_fill import FillStats
from bench._ledger_people import AGENCIES
from bench._report import percentile
from bench._stack import Stack
from infra.db import create_engine, session_factory
from infra.settings import Settings
from infra.tokens import mint_token
from store import audit

QUERY_TIMEOUT_S = 300.0
PAGE = 100
Params = dict[str, str]


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


# --- search ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    name: str
    params: Callable[[], Params]
    scoped_agency: Callable[[], str] | None = None  # a token with this agency claim
    pages: int = 0  # > 0: follow next_cursor this many pages after an untimed first page


def queries(ctx: Ctx) -> list[Query]:
    rng, st = ctx.rng, ctx.stats
    first, last = st.first or datetime.now(UTC), st.last or datetime.now(UTC)

    def agency() -> str:
        return rng.choice(AGENCIES)

    def window(days: int) -> Params:
        span = max((last - first).total_seconds() - days * 86_400, 1.0)
        start = first + timedelta(seconds=rng.uniform(0, span))
        end = start + timedelta(days=days)
        return {"from": iso(start), "to": iso(end)}

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


async def search(ctx: Ctx, stack: Stack, settings: Settings, q: Query) -> dict[str, Any]:
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
    say(
        f"  {q.name}: p50 {ms(percentile(latencies, 0.5))} ms, p99 {ms(percentile(latencies, 0.99))} ms"
    )
    return {
        "query": q.name,
        "example": first_params,
        "requests": len(latencies),
        "p50_ms": ms(percentile(latencies, 0.5)),
        "p99_ms": ms(percentile(latencies, 0.99)),
        "max_ms": ms(max(latencies, default=None)),
        "mean_rows": round(sum(rows) / len(rows), 1) if rows else 0,
        "plan": plan,
        "full_scan": full_scan(plan),
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

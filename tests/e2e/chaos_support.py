"""What the fault-injection run needs beyond the promotion walker: a selection walked through the
API by a retrying client, every raw answer seen (to hold outages to 503 + Retry-After), the faults
themselves, and the counts the run prints.

Profiles (``MERITFLOW_CHAOS_PROFILE``): ``short`` in CI (a few promotions, one round of faults),
``long`` for ``make chaos`` (more promotions and three rounds).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from infra.settings import ROOT
from tests.helpers.live_stack import LiveStack
from tests.helpers.selection_setup import CSV_HEADER, PANEL, applicant_row
from tests.helpers.walkers import Client


@dataclass(frozen=True)
class Profile:
    promotions: int
    concurrency: int
    rounds: int


PROFILES = {"short": Profile(6, 3, 1), "long": Profile(24, 6, 3)}


def profile() -> Profile:
    return PROFILES[os.environ.get("MERITFLOW_CHAOS_PROFILE", "short")]


@dataclass
class Answers:
    """Every HTTP answer the clients saw, retries included (an httpx response hook)."""

    statuses: Counter[int] = field(default_factory=Counter)
    without_retry_after: list[str] = field(default_factory=list)
    requests: int = 0

    async def on_request(self, _: httpx.Request) -> None:
        self.requests += 1

    @property
    def connection_failures(self) -> int:
        """Requests that got no answer at all (the API killed, or restarting)."""
        return self.requests - sum(self.statuses.values())

    async def hook(self, r: httpx.Response) -> None:
        self.statuses[r.status_code] += 1
        if r.status_code == 503 and "Retry-After" not in r.headers:
            self.without_retry_after.append(f"{r.request.method} {r.request.url.path}")

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500 and s != 503)


def server_error_context(log: Path, lines: int = 80) -> str:
    """The API log from its first 500 on (the traceback), for the failure message."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as err:
        return f"(no log: {err})"
    first = next((i for i, line in enumerate(text) if " 500 Internal" in line), None)
    return "(no 500 in the log)" if first is None else "\n".join(text[first : first + lines])


# ---- the faults --------------------------------------------------------------------------------


async def terminate_connections(url: str) -> int:
    """PostgreSQL: end every connection of the app to its database (pg_terminate_backend). The
    machine's server is shared, so it is not restarted; to the app this is the same as a restart."""
    parsed = make_url(url).set(drivername="postgresql")
    conn = await asyncpg.connect(parsed.render_as_string(hide_password=False))
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return sum(1 for r in rows if r["ended"])


def in_flight(c: Client) -> int:
    return sum(1 for s in c.sent if s.status < 300)


async def inject(
    stack: LiveStack, c: Client, done: asyncio.Event, url: str, rounds: int
) -> list[str]:
    """Round after round, each fault once decisions are flowing: SIGKILL the worker, restart the
    Temporal server, SIGKILL the API while requests are in flight, and on PostgreSQL end the
    app's database connections."""
    faults: list[str] = []
    postgres = make_url(url).get_backend_name() == "postgresql"
    plan = ["worker", "temporal", "api", *(["database"] if postgres else [])]
    for _ in range(rounds):
        for name in plan:
            target = in_flight(c) + 4
            while in_flight(c) < target and not done.is_set():
                await asyncio.sleep(0.1)
            if done.is_set():
                return faults
            if name == "database":
                ended = await terminate_connections(url)
                faults.append(f"database({ended} connections)")
                continue
            stack.kill(name)
            faults.append(name)
            await asyncio.sleep(1.5)
            await stack.restart(name)
    return faults


async def refuse(c: Client, done: asyncio.Event) -> None:
    """Throughout the run, decisions by a role that may not decide, on promotions under way:
    each is refused (403) and must be in the ledger once, outages or not."""
    while not done.is_set():
        started = [s.body["id"] for s in c.sent if s.url == "/v1/promotions" and s.status < 300]
        if started:
            pid = started[len(c.sent) % len(started)]
            body = {"decision": "approve", "justification": "not mine to decide"}
            await c.send("POST", f"/v1/promotions/{pid}/decisions", body, "auditor", "intruder")
        await asyncio.sleep(0.5)


# ---- a selection, walked through registration --------------------------------------------------


async def walk_selection(c: Client, code: str) -> str:
    """Create a selection, set its panel and scheme, take its plan through the oversight body's
    review, announce it and register applicants: every step retried through outages."""
    admin = ("admin", "admin")
    body_code = f"PENGAWAS-{code}"
    body = {"code": body_code, "name": "Pengawas", "kind": "oversight", "accreditation_level": "A"}
    await _ok(c, "POST", "/v1/review-bodies", body, *admin, None)
    for i in (1, 2, 3):
        rid = f"{body_code.lower()}-r{i}"
        r = {"id": rid, "name": rid}
        await _ok(c, "POST", f"/v1/review-bodies/{body_code}/reviewers", r, *admin, None)
    create = {
        "code": code,
        "post_title": "Kepala Biro Umum",
        "post_level": "pratama",
        "appointing_authority_id": "ppk-1",
        "oversight_body": body_code,
        "rulebook_version": "PermenPANRB-15-2019-training",
    }
    pid = str((await _ok(c, "POST", "/v1/selections", create))["id"])
    members = [
        {"id": m, "name": n, "role": r, "internal": i, "affiliation": "Universitas Indonesia"}
        for m, n, r, i in PANEL
    ]
    await _ok(c, "PUT", f"/v1/selections/{pid}/panel", {"members": members})
    scheme = {
        "components": [{"code": "interview", "name": "Wawancara", "weight": 100}],
        "tie_break": ["interview", "age"],
    }
    scorers = {"interview": ["chair", "m1"]}
    await _ok(c, "PUT", f"/v1/selections/{pid}/scheme", {"scheme": scheme, "scorers": scorers})
    await _ok(c, "POST", f"/v1/selections/{pid}/plan/submit", None)
    review_id = (await _until(c, pid, lambda b: b["plan_review_id"] is not None))["plan_review_id"]
    await _approve(c, review_id)
    await _until(c, pid, lambda b: b["stage"] == "announcement")
    closes = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    await _ok(c, "POST", f"/v1/selections/{pid}/announcement", {"closes_at": closes})
    for i in (1, 2, 3):
        values = applicant_row(i).strip().split(",")
        profile_: dict[str, Any] = dict(zip(CSV_HEADER.strip().split(","), values, strict=True))
        profile_["sanction_active"] = False
        url = f"/v1/selections/{pid}/applicants"
        await _ok(c, "POST", url, profile_, "hr_system", "simpeg")
    return pid


async def _ok(
    c: Client,
    method: str,
    url: str,
    body: Any,
    role: str = "agency_hr",
    sub: str = "hr-1",
    agency: str | None = "KEMENPANRB",
) -> Any:
    r = await c.send(method, url, body, role, sub, agency)
    assert r.status_code in (200, 201), f"{method} {url}: {r.status_code} {r.text}"
    return r.json()


async def _until(c: Client, pid: str, predicate: Any, seconds: float = 300) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + seconds
    body: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        r = await c.get(f"/v1/selections/{pid}", "agency_hr", "hr-1")
        if r.status_code == 200:
            body = r.json()
            if predicate(body):
                return body
        await asyncio.sleep(0.25)
    raise AssertionError(f"{pid}: condition never met: {body}")


async def _approve(c: Client, review_id: str) -> None:
    seats: list[str] = []
    for _ in range(1200):
        r = await c.get(f"/v1/reviews/{review_id}", "admin", "admin")
        if r.status_code == 200 and r.json()["status"] == "open" and r.json()["seats"]:
            seats = [s["reviewer_id"] for s in r.json()["seats"]]
            break
        await asyncio.sleep(0.2)
    assert seats, f"review {review_id} never opened"
    for rid in seats[:2]:
        url = f"/v1/reviews/{review_id}"
        await _ok(c, "POST", f"{url}/conflict-declarations", {"has_conflict": False},
                  "reviewer", rid, None)  # fmt: skip
        verdict = {"verdict": "approve", "justification": "sesuai PermenPANRB 15/2019"}
        await _ok(c, "POST", f"{url}/verdicts", verdict, "reviewer", rid, None)


# ---- the offline verifier over the recovered ledger ---------------------------------------------


async def verify_offline(c: Client, tmp: Path) -> str:
    """Sign a checkpoint now, export the ledger and run ``cli.verify`` over both."""
    auditor = c.auth("auditor", "auditor-1", None)
    r = await c.http.post("/v1/audit/checkpoints", headers=auditor)
    assert r.status_code == 201, r.text
    items = (await c.get("/v1/audit/checkpoints")).json()["items"]
    (tmp / "checkpoints.json").write_text(json.dumps(items), encoding="utf-8")
    key = (await c.get("/v1/audit/public-key")).json()["public_key"]
    r = await c.http.get("/v1/audit/export", headers=auditor)
    assert r.status_code == 200, r.text
    (tmp / "ledger.jsonl").write_text(r.text, encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.verify", "--export", str(tmp / "ledger.jsonl"),
        "--checkpoints", str(tmp / "checkpoints.json"), "--public-key", key,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, out.decode()
    return out.decode().strip()

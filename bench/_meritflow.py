"""Meritflow from the outside: employees, promotions and approvals through the HTTP API only."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from bench._load import bounded
from bench._report import Phase
from bench._stack import BenchError
from domain.errors import DomainError
from domain.rulebook import check_period, rulebook_for_period
from infra.settings import Settings
from infra.tokens import mint_token

AGENCY = "KEMENPANRB"
SETUP_TIMEOUT_S = 60.0
Caller = tuple[str, str, str | None]  # role, sub, agency
READER: Caller = ("auditor", "bench-reader", AGENCY)
ADMIN: Caller = ("admin", "bench-admin", None)
# (role, sub, agency) of each approval, as in cli/demo.py; a sub of None means "the employee's
# supervisor", whom the workflow requires for the first step. BKN is national: no agency claim.
CHAIN: list[Caller | tuple[str, None, str]] = [
    ("supervisor", None, AGENCY),
    ("promotion_board", "board-chair", AGENCY),
    ("agency_hr", "hr-head", AGENCY),
    ("bkn", "bkn-validator", None),
    ("appointing_authority", "ppk-minister", AGENCY),
]
BKN_STEP = 3
# BKN's technical approval as a third-party review (tests/e2e/test_promotion_api.py).
BKN_BODY = {
    "code": "BKN",
    "name": "BKN technical approval",
    "kind": "technical_approval",
    "head_reviewer_id": "bkn-head",
}
BKN_REVIEWER = {"id": "bkn-validator", "name": "Validator"}


@dataclass(frozen=True)
class Promotion:
    index: int
    nip: str
    supervisor_nip: str
    pid: str = ""

    def __str__(self) -> str:
        return self.pid or self.nip


@dataclass
class Api:
    http: httpx.AsyncClient
    settings: Settings
    poll_s: float = 0.05
    _tokens: dict[Caller, dict[str, str]] = field(default_factory=dict)

    def headers(self, role: str, sub: str, agency: str | None = AGENCY) -> dict[str, str]:
        """Bearer header for a caller; minted once, so the timed part does no signing."""
        key = (role, sub, agency)
        if key not in self._tokens:
            token = mint_token(self.settings, role=role, sub=sub, agency=agency)
            self._tokens[key] = {"Authorization": f"Bearer {token}"}
        return self._tokens[key]

    async def expect(self, method: str, url: str, status: int, who: Caller, **kw: Any) -> Any:
        r = await self.http.request(method, url, headers=self.headers(*who), **kw)
        if r.status_code != status:
            raise BenchError(
                f"{method} {url} as {who[0]} -> {r.status_code} (wanted {status}): {r.text[:500]}"
            )
        return r.json()


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
    """Eligible: III/b for five years before the period, rated good in the two years before it."""
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


def step_of(p: Promotion, period: date, k: int) -> tuple[str, str, str | None, dict[str, Any]]:
    role, sub, agency = CHAIN[k]
    body: dict[str, Any] = {"decision": "approve", "justification": f"{role}: file verified"}
    if role == "appointing_authority":
        body["decree_number"] = f"800/KP/{period.year}/{p.index + 1}"
    return role, sub or p.supervisor_nip, agency, body


async def register_bkn_body(api: Api) -> None:
    """BKN and its reviewer; a deployment that has them already answers 409, which is fine."""
    for url, body in (
        ("/v1/review-bodies", BKN_BODY),
        (f"/v1/review-bodies/{BKN_BODY['code']}/reviewers", BKN_REVIEWER),
    ):
        r = await api.http.post(url, json=body, headers=api.headers(*ADMIN))
        if r.status_code not in (201, 409):
            raise BenchError(f"POST {url} as admin -> {r.status_code}: {r.text[:500]}")


async def setup_promotions(
    api: Api, count: int, period: date, limit: int, first: int = 0
) -> list[Promotion]:
    """``count`` employees and their promotions, each waiting on its supervisor; their numbers
    start at ``first`` (a deployment used before holds the employees of earlier runs)."""
    people = [
        Promotion(i, f"19850312{i:010d}", f"19750101{i:010d}") for i in range(first, first + count)
    ]
    hr: Caller = ("agency_hr", "hr-officer", AGENCY)
    await bounded(
        limit,
        [
            api.expect("POST", "/v1/employees", 201, hr, json=employee_record(p, period))
            for p in people
        ],
    )
    simpeg: Caller = ("hr_system", "simpeg", AGENCY)
    bodies = [{"nip": p.nip, "period": period.isoformat(), "type": "regular"} for p in people]
    started = await bounded(
        limit, [api.expect("POST", "/v1/promotions", 201, simpeg, json=b) for b in bodies]
    )
    promos = [
        Promotion(p.index, p.nip, p.supervisor_nip, s["id"])
        for p, s in zip(people, started, strict=True)
    ]
    await bounded(limit, [wait_step(api, p.pid, "supervisor") for p in promos])
    for p in promos:
        for k in range(len(CHAIN)):
            api.headers(*step_of(p, period, k)[:3])
    for who in (READER, ADMIN, ("reviewer", BKN_REVIEWER["id"], None)):
        api.headers(*who)
    return promos


async def wait_step(api: Api, pid: str, step: str) -> None:
    """Poll the read model until ``step`` is pending (or the promotion has ended)."""
    deadline = time.monotonic() + SETUP_TIMEOUT_S
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = await api.expect("GET", f"/v1/promotions/{pid}", 200, READER)
        if (body.get("pending") or {}).get("step") == step:
            return
        if body.get("status") not in ("starting", "in_progress"):
            break
        await asyncio.sleep(api.poll_s)
    ledger = await api.http.get(f"/v1/processes/{pid}/ledger", headers=api.headers(*READER))
    kinds = [e.get("kind") for e in ledger.json().get("entries", [])] if ledger.is_success else []
    raise BenchError(
        f"{pid} never reached the step {step}: the read model says status={body.get('status')} "
        f"stage={body.get('stage')} pending={body.get('pending')} "
        f"reason={body.get('outcome_reason')}; its ledger holds {kinds or ledger.status_code}"
    )


async def run_reads(api: Api, phase: Phase, pids: list[str], total: int, concurrency: int) -> None:
    """``total`` GETs spread over ``pids`` by ``concurrency`` readers, each one request at a time."""
    counter = itertools.count()
    who = api.headers(*READER)

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
                phase.fail(f"HTTP {r.status_code} {error_code(r)}", f"{pid}: {r.text[:400]}")
                continue
            phase.latencies_s.append(elapsed)

    start = time.perf_counter()
    if pids:
        await asyncio.gather(*(reader() for _ in range(concurrency)))
    phase.wall_s = time.perf_counter() - start


async def completed(api: Api, promos: list[Promotion], limit: int) -> int:
    reads = [api.expect("GET", f"/v1/promotions/{p.pid}", 200, READER) for p in promos]
    return sum(b["status"] == "completed" for b in await bounded(limit, reads))


def error_code(r: httpx.Response) -> str:
    try:
        return str(r.json().get("error"))
    except (ValueError, AttributeError):
        return "(not JSON)"

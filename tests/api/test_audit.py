"""The auditor's endpoints over a real database: search filters, pages, scope, explanations.

Ledger entries are written straight through ``store.ledger.append`` under agencies made up per
test, so tests sharing the session database never see each other's rows. Only the reconciliation
test asks Temporal (the dev server), and only to hear that there is no workflow.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from domain.ledger import Actor, LedgerEntryIn
from infra.settings import Settings
from infra.tokens import mint_token
from server import create_app
from store import ledger, repositories
from tests.conftest import new_nip

T0 = datetime(2031, 1, 5, 9, 0, tzinfo=UTC)


class Http:
    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self.client, self.settings = client, settings

    def headers(self, role: str, agency: str | None, sub: str = "auditor-1") -> dict[str, str]:
        token = mint_token(self.settings, role=role, sub=sub, agency=agency)
        return {"Authorization": f"Bearer {token}"}

    async def get(
        self, url: str, role: str = "auditor", scope: str | None = None, **params: Any
    ) -> httpx.Response:
        """GET as ``role`` with a token for agency ``scope`` (None: national); params are the query."""
        return await self.client.get(url, params=params, headers=self.headers(role, scope))

    async def ids(self, scope: str | None = None, **params: Any) -> list[str]:
        r = await self.get("/v1/audit/entries", "auditor", scope, **params)
        assert r.status_code == 200, r.text
        assert r.json()["next_cursor"] is None
        return [e["entry_id"] for e in r.json()["items"]]


@pytest_asyncio.fixture
async def http(dev_env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Http]:
    app = create_app(settings, client=dev_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as c:
            yield Http(c, settings)


def agency_name() -> str:
    return f"AG-{uuid.uuid4().hex[:10].upper()}"


@dataclass
class Seeder:
    sessions: async_sessionmaker[AsyncSession]
    written: list[str] = field(default_factory=list)

    async def add(
        self,
        process_id: str,
        agency: str,
        *,
        at: datetime,
        kind: str = "promotion.decision",
        outcome: str = "accepted",
        actor: str = "actor-1",
        role: str = "supervisor",
        subject: str = "199001012015011001",
        process_kind: str = "promotion",
        payload: dict[str, Any] | None = None,
        justification: str | None = "checked",
        entry_id: str | None = None,
    ) -> str:
        entry = LedgerEntryIn(
            entry_id=entry_id or f"{process_id}:{uuid.uuid4().hex[:8]}",
            process_id=process_id,
            process_kind=process_kind,
            kind=kind,
            outcome=outcome,  # type: ignore[arg-type]
            actor=Actor(id=actor, role=role, agency=agency),
            subject=subject,
            agency=agency,
            payload=payload or {},
            justification=justification,
            occurred_at=at,
        )
        async with self.sessions.begin() as session:
            await ledger.append(session, entry, recorded_at=at)
        self.written.append(entry.entry_id)
        return entry.entry_id


@pytest.fixture
def seeder(sessions: async_sessionmaker[AsyncSession]) -> Seeder:
    return Seeder(sessions)


@dataclass
class World:
    a: str
    b: str
    ids: dict[str, str]


async def seed_world(seeder: Seeder) -> World:
    """Two agencies; entries that differ from the first one in exactly one filterable way each."""
    a, b = agency_name(), agency_name()
    p1, p2 = f"promotion-{a}-1", f"promotion-{a}-2"
    ids = {
        "base": await seeder.add(p1, a, at=T0),
        "refused": await seeder.add(
            p1, a, at=T0 + timedelta(hours=1), kind="promotion.decision_refused", outcome="refused"
        ),
        "other_actor": await seeder.add(p1, a, at=T0 + timedelta(hours=2), actor="actor-2"),
        "other_process": await seeder.add(p2, a, at=T0 + timedelta(hours=3), subject="S2"),
        "selection": await seeder.add(
            f"selection-{a}", a, at=T0 + timedelta(hours=4), process_kind="selection"
        ),
        "late": await seeder.add(p1, a, at=T0 + timedelta(days=2), kind="promotion.escalated"),
        "agency_b": await seeder.add(f"promotion-{b}-1", b, at=T0 + timedelta(hours=5)),
    }
    return World(a, b, ids)


def iso(value: datetime) -> str:
    return value.isoformat()


FILTERS: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "agency only",
        {},
        ["base", "refused", "other_actor", "other_process", "selection", "late"],
    ),
    ("process_kind", {"process_kind": "selection"}, ["selection"]),
    ("actor", {"actor": "actor-2"}, ["other_actor"]),
    ("kind", {"kind": "promotion.escalated"}, ["late"]),
    ("outcome refused", {"outcome": "refused"}, ["refused"]),
    ("subject", {"subject": "S2"}, ["other_process"]),
    ("process_id", {"process_id": "P2"}, ["other_process"]),
    (
        "from is inclusive",
        {"from": T0 + timedelta(hours=3)},
        ["other_process", "selection", "late"],
    ),
    ("to is exclusive", {"to": T0 + timedelta(hours=1)}, ["base"]),
    (
        "from and to",
        {"from": T0 + timedelta(minutes=30), "to": T0 + timedelta(hours=3)},
        ["refused", "other_actor"],
    ),
    (
        "filters combine",
        {
            "outcome": "accepted",
            "process_kind": "promotion",
            "actor": "actor-1",
            "to": T0 + timedelta(days=1),
        },
        ["base", "other_process"],
    ),
]


@pytest.mark.parametrize(
    ("params", "expected"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS]
)
async def test_search_filters(
    http: Http, seeder: Seeder, params: dict[str, Any], expected: list[str]
) -> None:
    world = await seed_world(seeder)
    query = {k: iso(v) if isinstance(v, datetime) else v for k, v in params.items()}
    if query.get("process_id") == "P2":
        query["process_id"] = f"promotion-{world.a}-2"
    got = await http.ids(agency=world.a, **query)
    assert got == [world.ids[name] for name in expected]


async def test_search_filters_by_agency(http: Http, seeder: Seeder) -> None:
    world = await seed_world(seeder)
    assert await http.ids(agency=world.b) == [world.ids["agency_b"]]


async def test_entries_carry_the_chain_fields(http: Http, seeder: Seeder) -> None:
    world = await seed_world(seeder)
    r = await http.get("/v1/audit/entries", process_id=f"promotion-{world.a}-1")
    items = r.json()["items"]
    assert [e["seq"] for e in items] == [1, 2, 3, 4]
    assert items[1]["prev_hash"] == items[0]["hash"]
    assert items[0]["recorded_at"] == "2031-01-05T09:00:00.000000Z"
    assert ledger.verify_rows(items, {"seq": 4, "hash": items[-1]["hash"]}).ok


async def test_cursor_pages_through_in_a_stable_order(http: Http, seeder: Seeder) -> None:
    agency = agency_name()
    pid = f"promotion-{agency}"
    # Three entries share one recorded_at: entry_id breaks the tie.
    times = [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=1), T0 + timedelta(minutes=1)]
    times += [T0 + timedelta(minutes=m) for m in (2, 3, 4)]
    for n, at in enumerate(times):
        await seeder.add(pid, agency, at=at, entry_id=f"{pid}:{'zyxwvut'[n]}")
    expected = sorted(seeder.written, key=lambda e: (times[seeder.written.index(e)], e))
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"agency": agency, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        r = await http.get("/v1/audit/entries", **params)
        assert r.status_code == 200, r.text
        pages.append([e["entry_id"] for e in r.json()["items"]])
        cursor = r.json()["next_cursor"]
        if len(pages) == 1:
            # An entry appended while paging sorts after everything already seen.
            await seeder.add(pid, agency, at=T0 + timedelta(days=1), entry_id=f"{pid}:new")
            expected.append(f"{pid}:new")
        if cursor is None:
            break
    assert [len(p) for p in pages] == [3, 3, 2]
    assert [e for p in pages for e in p] == expected


async def test_default_limit_and_bounds(http: Http, seeder: Seeder) -> None:
    agency = agency_name()
    for n in range(3):
        await seeder.add(f"promotion-{agency}", agency, at=T0 + timedelta(seconds=n))
    r = await http.get("/v1/audit/entries", agency=agency)
    assert len(r.json()["items"]) == 3 and r.json()["next_cursor"] is None
    for limit in (0, 501):
        r = await http.get("/v1/audit/entries", agency=agency, limit=limit)
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "query.limit"


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"cursor": "not-a-cursor"}, "invalid_cursor", "cursor"),
        ({"cursor": "WyJ4IiwxXQ"}, "invalid_cursor", "cursor"),
        ({"outcome": "maybe"}, "validation_error", "query.outcome"),
        ({"from": "2031-01-05T09:00:00"}, "validation_error", "query.from"),
        ({"from": "yesterday"}, "validation_error", "query.from"),
        (
            {"from": "2031-01-05T09:00:00Z", "to": "2031-01-05T09:00:00Z"},
            "validation_error",
            "to",
        ),
    ],
)
async def test_bad_search_input_is_a_422(
    http: Http, params: dict[str, Any], code: str, field: str
) -> None:
    r = await http.get("/v1/audit/entries", **params)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == code and r.json()["fields"][0]["field"] == field


async def test_scope_of_an_agency_bound_auditor(http: Http, seeder: Seeder) -> None:
    world = await seed_world(seeder)
    r = await http.get("/v1/audit/entries", "auditor", world.a, agency=world.b)
    assert r.status_code == 403 and r.json()["error"] == "agency_out_of_scope"
    # No agency asked: confined to its own, even when another agency's entries match.
    mine = await http.ids(world.a, actor="actor-1", kind="promotion.decision")
    assert world.ids["base"] in mine and world.ids["agency_b"] not in mine
    assert await http.ids(world.b) == [world.ids["agency_b"]]


@pytest.mark.parametrize(
    ("role", "token_agency", "asked", "status", "code"),
    [
        ("agency_hr", "A", "A", 200, None),
        ("agency_hr", "A", "B", 403, "agency_out_of_scope"),
        ("agency_hr", None, "A", 403, "agency_required"),
        ("admin", None, "B", 200, None),
        ("auditor", None, "B", 200, None),
        ("supervisor", "A", "A", 403, "forbidden_role"),
        ("bkn", None, "A", 403, "forbidden_role"),
    ],
)
async def test_who_may_search(
    http: Http,
    seeder: Seeder,
    role: str,
    token_agency: str | None,
    asked: str,
    status: int,
    code: str | None,
) -> None:
    world = await seed_world(seeder)
    names = {"A": world.a, "B": world.b}
    r = await http.get(
        "/v1/audit/entries", role, names.get(token_agency or ""), agency=names[asked]
    )
    assert r.status_code == status, r.text
    if code:
        assert r.json()["error"] == code


async def test_search_needs_a_token(http: Http) -> None:
    r = await http.client.get("/v1/audit/entries")
    assert r.status_code == 401 and r.json()["error"] == "unauthenticated"


async def put_promotion(sessions: async_sessionmaker[AsyncSession], agency: str) -> tuple[str, str]:
    nip = new_nip()
    pid = f"promotion-{nip}-2031-04"
    async with sessions.begin() as session:
        await repositories.insert_promotion_if_absent(
            session,
            process_id=pid,
            nip=nip,
            agency=agency,
            period=date(2031, 4, 1),
            promotion_type="regular",
            rulebook_version="PerBKN-4-2025",
            now=T0,
        )
        patch = {"status": "in_progress", "stage": "supervisor", "pending_step": "supervisor"}
        await repositories.apply_promotion_patch(session, pid, patch, now=T0)
    return pid, nip


async def test_the_auditor_is_read_only(
    http: Http, sessions: async_sessionmaker[AsyncSession]
) -> None:
    agency = agency_name()
    pid, nip = await put_promotion(sessions, agency)
    auditor = http.headers("auditor", agency)
    attempts = [
        ("/v1/promotions/" + pid + "/decisions", {"decision": "approve", "justification": "ok"}),
        ("/v1/promotions", {"nip": nip, "period": "2031-04-01"}),
        ("/v1/employees", {"nip": nip}),
    ]
    for url, body in attempts:
        r = await http.client.post(url, json=body, headers=auditor)
        assert r.status_code == 403, (url, r.text)
        assert r.json()["error"] == "forbidden_role"
    # The refused decision attempt is itself on the record, attributed to the auditor.
    async with sessions() as session:
        (entry,) = await ledger.entries(session, pid)
    assert (entry.outcome, entry.actor_role, entry.payload["error"]) == (
        "refused",
        "auditor",
        "forbidden_role",
    )


async def test_reconciliation_roles_and_scope(http: Http, seeder: Seeder) -> None:
    world = await seed_world(seeder)
    url = f"/v1/audit/processes/promotion-{world.a}-1/reconciliation"
    for role, agency, status in [
        ("agency_hr", world.a, 403),
        ("supervisor", world.a, 403),
        ("auditor", world.b, 404),
    ]:
        r = await http.get(url, role, agency)
        assert r.status_code == status, (role, r.text)
    r = await http.get("/v1/audit/processes/promotion-nothing-here/reconciliation")
    assert r.status_code == 404 and r.json()["error"] == "not_found"


async def test_reconciling_a_process_that_never_ran_finds_nothing_to_compare(
    http: Http, seeder: Seeder
) -> None:
    # Only refused attempts, no workflow: nothing in the ledger names a run, Temporal has none.
    agency = agency_name()
    pid = f"promotion-{agency}-refused"
    await seeder.add(pid, agency, at=T0, kind="promotion.start_refused", outcome="refused")
    r = await http.get(f"/v1/audit/processes/{pid}/reconciliation", "auditor", agency)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "process_id": pid,
        "ok": True,
        "runs": [],
        "entries_checked": 0,
        "events_checked": 0,
        "differences": [],
    }


ELIGIBILITY = {
    "eligible": True,
    "current_grade": "III/b",
    "target_grade": "III/c",
    "reasons": [
        {"code": "years_in_rank", "met": True, "message": "4 years in rank; 4 required."},
        {"code": "performance", "met": True, "message": "Ratings good and very good."},
    ],
}


async def test_explanation_from_ledger_and_read_model(
    http: Http, seeder: Seeder, sessions: async_sessionmaker[AsyncSession]
) -> None:
    agency = agency_name()
    pid, nip = await put_promotion(sessions, agency)

    async def add(minutes: int, kind: str, **kw: Any) -> str:
        return await seeder.add(
            pid, agency, at=T0 + timedelta(minutes=minutes), kind=kind, subject=nip, **kw
        )

    await add(
        0, "promotion.started", role="hr_system", actor="simpeg", payload={"period": "2031-04-01"}
    )
    await add(
        1,
        "promotion.eligibility_assessed",
        role="system",
        actor="system:timer",
        payload={"eligibility": ELIGIBILITY},
    )
    await add(
        2,
        "promotion.step_opened",
        role="system",
        actor="system:timer",
        payload={"step": "supervisor"},
    )
    await add(3, "promotion.decision_refused", outcome="refused", role="promotion_board")
    await add(
        4,
        "promotion.decision",
        actor="sup-1",
        payload={
            "step": "supervisor",
            "decision": "return",
            "corrections": ["attach the 2026 rating"],
        },
        justification="rating missing",
    )
    await add(
        5,
        "promotion.reminder_sent",
        role="system",
        actor="system:timer",
        payload={"step": "agency_hr"},
    )
    await add(
        6,
        "promotion.escalated",
        role="system",
        actor="system:timer",
        payload={"step": "bkn_technical_approval", "escalated_to": "bkn_head"},
    )
    auto = await add(
        7,
        "promotion.auto_approved",
        role="system",
        actor="system:timer",
        payload={
            "step": "bkn_technical_approval",
            "decision": "approve",
            "automatic": True,
            "rule": "auto_approve_after_days=5",
        },
        justification="No decision within 5 working days",
    )

    r = await http.get(f"/v1/processes/{pid}/explanation", "supervisor", agency)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["nip"], body["agency"], body["period"]) == (nip, agency, "2031-04-01")
    assert body["eligibility_source"] == "ledger"
    assert body["eligibility"] == ELIGIBILITY
    steps = body["steps"]
    assert [(s["step"], s["decision"], s["automatic"]) for s in steps] == [
        ("supervisor", "return", False),
        ("bkn_technical_approval", "approve", True),
    ]
    assert steps[0]["actor"]["id"] == "sup-1" and steps[0]["corrections"] == [
        "attach the 2026 rating"
    ]
    assert steps[0]["justification"] == "rating missing"
    assert steps[0]["decided_at"] == "2031-01-05T09:04:00Z"
    assert steps[1]["entry_id"] == auto and steps[1]["rule"] == "auto_approve_after_days=5"
    assert [n["kind"] for n in body["notices"]] == [
        "promotion.reminder_sent",
        "promotion.escalated",
    ]
    assert body["notices"][1]["escalated_to"] == "bkn_head"
    assert body["refused_attempts"] == 1
    assert (
        body["outcome"]["status"] == "in_progress"
        and body["outcome"]["pending_step"] == "supervisor"
    )
    assert body["ledger"] == {"entries": 8, "verified": True, "problem": None}


async def test_explanation_falls_back_to_the_read_model_and_respects_scope(
    http: Http, sessions: async_sessionmaker[AsyncSession]
) -> None:
    agency = agency_name()
    pid, _ = await put_promotion(sessions, agency)
    async with sessions.begin() as session:
        await repositories.apply_promotion_patch(session, pid, {"eligibility": ELIGIBILITY}, now=T0)
    r = await http.get(f"/v1/processes/{pid}/explanation", "auditor", agency)
    assert r.status_code == 200, r.text
    assert r.json()["eligibility_source"] == "read_model" and r.json()["steps"] == []
    r = await http.get(f"/v1/processes/{pid}/explanation", "auditor", agency_name())
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = await http.get("/v1/processes/promotion-nothing-here/explanation")
    assert r.status_code == 404

"""The authorization matrix: every route the app registers (the JSON API and the console) against
every kind of caller (``principals.py``), each answer checked against what ``actions/policy.py``
says (``expect.py``). One stack per module, its objects created once (``objects.py``).

A refusal must be the status the table and the README's status rule give (401; 404 for what the
caller may not see; 403 for a role the rule does not name); a caller the table allows must not be
refused for their role. Mutating requests carry a body no action accepts (``[]``), so an allowed
caller gets 422 and nothing changes; the console's forms are sent only by callers the table
refuses (an allowed caller's empty form could act)."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from actions import policy
from domain.enums import Role
from infra.settings import Settings
from infra.tokens import Principal
from server import create_app
from tests.authz import expect
from tests.authz.objects import Objects, create, fill, params_of
from tests.authz.principals import CSRF, Caller, callers
from tests.authz.routes import Route, registered
from worker import build_worker

log = structlog.get_logger(__name__)
BASE = "http://meritflow.test"
# Requests in flight at once (sequential by default: on two busy cores it was the fastest,
# 128 s against 180 s with 8 at load 19).
CONCURRENCY = int(os.environ.get("MERITFLOW_AUTHZ_CONCURRENCY", "1"))
REPORT = Path("data/reports/authz-matrix.json")
EVENT = {"specversion": "1.0", "id": "m-1", "source": "matrix", "type": "matrix.unknown.v1"}


# Answers that differ from the table, each for a reason found and left to the view's owner.
# The console's critical-post form re-renders the agency's posts after a refusal; a caller with
# no agency claim and no national role has no posts to see, so the 403 becomes that page's 404.
KNOWN: dict[tuple[str, str], int] = {
    ("POST /talent-posts", f"{role.value}@national"): 404
    for role in Role
    if role.value not in policy.action_roles("talent_records.mark_post")
}


@dataclass
class Stack:
    http: httpx.AsyncClient
    transport: httpx.ASGITransport
    settings: Settings
    objs: Objects
    routes: list[Route]


@pytest_asyncio.fixture(scope="module")
async def stack(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], migrated_url: str
) -> AsyncIterator[Stack]:
    queue = f"tq-{uuid.uuid4().hex[:12]}"
    settings = Settings(database_url=migrated_url, task_queue=queue, env="test")
    app = create_app(settings, client=dev_env.client)
    async with build_worker(dev_env.client, sessions, settings), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            objs = await create(http, settings)
            yield Stack(http, transport, settings, objs, registered(app))


async def _send(s: Stack, route: Route, url: str, caller: Caller) -> httpx.Response:
    if route.console:  # a client of its own: no cookie carried over from another caller
        jar = "; ".join(f"{k}={v}" for k, v in caller.cookies(s.settings).items())
        data = {"csrf_token": CSRF} if route.method == "POST" else None
        async with httpx.AsyncClient(transport=s.transport, base_url=BASE) as http:
            return await http.request(
                route.method, url, data=data, headers={"Cookie": jar} if jar else {}
            )
    headers = caller.headers(s.settings)
    if route.method in ("GET", "HEAD"):
        return await s.http.request(route.method, url, headers=headers)
    if url.endswith("/import"):
        headers["Content-Type"] = "text/csv"
        return await s.http.request(route.method, url, content=b"x\n", headers=headers)
    body = EVENT if url == "/v1/events" else []
    return await s.http.request(route.method, url, json=body, headers=headers)


def _code(r: httpx.Response) -> str | None:
    try:
        body = r.json()
    except (ValueError, UnicodeDecodeError):
        return None
    return body.get("error") if isinstance(body, dict) else None


@dataclass(frozen=True)
class Case:
    route: Route
    url: str
    caller: Caller
    want: int

    def judge(self, r: httpx.Response) -> tuple[str, bool, bool]:
        """(the outcome's name, a refusal answered 2xx, the answer differs from the table)"""
        case = f"{self.route.key} as {self.caller.name} -> {r.status_code}"
        if self.want == expect.ALLOW:
            refused_for_role = r.status_code in (401, 403) and _code(r) in (
                "forbidden_role", "unauthenticated", "invalid_token",
            )  # fmt: skip
            return case, False, refused_for_role or (self.route.console and _to_signin(r))
        served = 200 <= r.status_code < 300
        if self.want == expect.SIGNIN:
            # A form without a session: the sign-in page, or refused before it (CSRF, the
            # form's own fields): never served.
            return case, served, not (_to_signin(r) or 400 <= r.status_code < 500)
        return case, served, r.status_code != self.want


def cases(s: Stack) -> tuple[list[Case], Counter[str]]:
    out, skipped = [], Counter[str]()
    for route in s.routes:
        rule = route.rule
        assert rule is not None, f"{route.key} has no rule in actions/policy.py"
        if route.path == "/static":
            url, key, real = "/static/app.css", None, True
        else:
            url, key, real = fill(route.method, route.path, s.objs)
        params = params_of(route.path)
        for caller in callers():
            want = KNOWN.get((route.key, caller.name)) or expect.expected(
                rule, caller, console=route.console, key=key, real=real, objs=s.objs,
                params=params,
            )  # fmt: skip
            if route.console and route.method == "POST" and want == expect.ALLOW:
                skipped["allowed form, not sent"] += 1
                continue
            out.append(Case(route, url, caller, want))
    return out, skipped


async def test_every_route_against_every_caller(stack: Stack) -> None:
    started = time.monotonic()
    todo, outcomes = cases(stack)
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(c: Case) -> httpx.Response:
        async with limit:
            return await _send(stack, c.route, c.url, c.caller)

    answers = await asyncio.gather(*(one(c) for c in todo))
    wrong: list[str] = []
    unauthorized_2xx: list[str] = []
    for c, r in zip(todo, answers, strict=True):
        case, served, differs = c.judge(r)
        outcomes[
            {expect.ALLOW: "allowed", expect.SIGNIN: "sent to sign-in"}.get(c.want, str(c.want))
        ] += 1
        want = f" (want {c.want or 'allowed'}) {_gist(r)}"
        if served:
            unauthorized_2xx.append(case + want)
        if differs:
            wrong.append(case + want)
    _report(stack, len(todo), outcomes, unauthorized_2xx, wrong, time.monotonic() - started)
    assert unauthorized_2xx == []
    assert wrong == [], f"{len(wrong)} answers differ from the policy table:\n" + "\n".join(wrong)


def _gist(r: httpx.Response) -> str:
    """The refusal's code (JSON), or the console page's title."""
    code = _code(r)
    if code is not None:
        return code
    text = r.text
    start = text.find("<title>")
    return text[start + 7 : text.find("</title>")].strip() if start >= 0 else text[:80]


def _to_signin(r: httpx.Response) -> bool:
    return r.status_code == 303 and r.headers.get("location", "").startswith("/signin")


def _report(
    s: Stack, tried: int, outcomes: Counter[str], bad: list[str], wrong: list[str], took: float
) -> None:
    report = {
        "routes": len(s.routes),
        "api_routes": sum(not r.console for r in s.routes),
        "console_routes": sum(r.console for r in s.routes),
        "callers": len(callers()),
        "requests": tried,
        "outcomes": dict(outcomes),
        "unauthorized_2xx": len(bad),
        "differing": len(wrong),
        "routes_without_policy": sum(r.rule is None for r in s.routes),
        "objects": sorted(s.objs.values),
        "seconds": round(took, 1),
        "differing_cases": wrong,
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2))
    log.info("authz.matrix", **{k: v for k, v in report.items() if k != "differing_cases"})


pytestmark = pytest.mark.timeout(600)


async def test_a_reviewer_who_declared_a_conflict_may_not_give_a_verdict(stack: Stack) -> None:
    """The scope ``assigned_reviewer``: once recused, the reviewer may not act on the review: a
    refusal (``recused`` answers 409 today, as tests/e2e/test_reviews_api.py pins; the README's
    403 list names ``conflict_of_interest``), never a 2xx, each refusal in the review's ledger
    once."""
    review_id, who = stack.objs.values["review"], stack.objs.conflicted_reviewer
    assert who is not None
    caller = Caller("reviewer-conflicted", Principal(who, Role.REVIEWER.value, None), "token")
    h = caller.headers(stack.settings)
    verdict = {"verdict": "approve", "justification": "conflicted, yet trying"}
    r = await stack.http.post(f"/v1/reviews/{review_id}/verdicts", json=verdict, headers=h)
    assert (r.status_code, r.json()["error"]) in ((409, "recused"), (403, "conflict_of_interest"))
    again = await stack.http.post(
        f"/v1/reviews/{review_id}/conflict-declarations", json={"has_conflict": False}, headers=h
    )
    assert again.status_code in (policy.FORBIDDEN, 409), again.text
    admin = Caller("admin", Principal("admin", "admin", None), "token").headers(stack.settings)
    ledger = (await stack.http.get(f"/v1/processes/{review_id}/ledger", headers=admin)).json()
    refused = [e["payload"].get("error") for e in ledger["entries"] if e["actor_id"] == who]
    answered = [r.json()["error"], again.json()["error"]]
    assert sorted(c for c in refused if c is not None) == sorted(answered), refused

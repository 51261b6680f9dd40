"""The promotion API as the end-to-end tests drive it: an authenticated client over the real app,
the real worker (both its task queues) and the Temporal dev server, and the steps most tests share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from infra.tokens import mint_token
from infra.worker_shutdown import running
from server import create_app
from store import ledger
from tests.conftest import employee
from worker import build_workers

AGENCY = "KEMENPANRB"


class Api:
    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self.http, self.settings = http, settings

    def auth(self, role: str, sub: str = "user-1", agency: str | None = AGENCY) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {mint_token(self.settings, role=role, sub=sub, agency=agency)}"
        }

    async def post(
        self,
        url: str,
        body: Any,
        role: str,
        sub: str = "user-1",
        agency: str | None = AGENCY,
        **kw: Any,
    ) -> httpx.Response:
        return await self.http.post(url, json=body, headers=self.auth(role, sub, agency), **kw)

    async def get(
        self, url: str, role: str = "auditor", agency: str | None = AGENCY, sub: str = "reader"
    ) -> httpx.Response:
        return await self.http.get(url, headers=self.auth(role, sub, agency))

    async def wait_for(self, pid: str, predicate: Any) -> dict[str, Any]:
        body: dict[str, Any] = {}
        deadline = asyncio.get_running_loop().time() + 120  # generous: a loaded CI box is slow
        while asyncio.get_running_loop().time() < deadline:
            body = (await self.get(f"/v1/promotions/{pid}")).json()
            if predicate(body):
                return body
            await asyncio.sleep(0.05)
        raise AssertionError(f"condition never met: {body}")


@pytest_asyncio.fixture
async def api(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[Api]:
    app = create_app(settings, client=dev_env.client)
    workers = build_workers(dev_env.client, sessions, settings)
    async with running(*workers), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as http:
            api = Api(http, settings)
            await register_bkn(api)
            yield api


async def register_bkn(api: Api) -> None:
    body = {
        "code": "BKN",
        "name": "BKN technical approval",
        "kind": "technical_approval",
        "head_reviewer_id": "bkn-head",
    }
    r = await api.post("/v1/review-bodies", body, "admin", "admin", None)
    assert r.status_code == 201, r.text
    r = await api.post(
        "/v1/review-bodies/BKN/reviewers",
        {"id": "bkn-validator", "name": "Validator"},
        "admin",
        "admin",
        None,
    )
    assert r.status_code == 201, r.text


async def pertek_through_inbox(api: Api, pid: str) -> None:
    """BKN's technical approval is a third-party review: the assigned reviewer finds it in their
    inbox, declares no conflict, and approves."""
    body = await api.wait_for(pid, lambda b: (b["pending"] or {}).get("review_id"))
    review_id = body["pending"]["review_id"]
    review: dict[str, Any] = {}
    for _ in range(2400):
        r = await api.get(f"/v1/reviews/{review_id}", "admin", None)
        review = r.json()
        if r.status_code == 200 and review["status"] == "open" and review["seats"]:
            break
        await asyncio.sleep(0.05)
    reviewer = review["seats"][0]["reviewer_id"]
    tasks = (await api.get("/v1/me/tasks", "reviewer", None, sub=reviewer)).json()["items"]
    task = next(t for t in tasks if t["process_id"] == review_id)
    assert task["kind"] == "review_conflict_declaration" and task["due_at"]
    r = await api.post(task["action"], {"has_conflict": False}, "reviewer", reviewer, None)
    assert r.status_code == 200, r.text
    r = await api.post(
        f"/v1/reviews/{review_id}/verdicts",
        {"verdict": "approve", "justification": "pertek ok"},
        "reviewer",
        reviewer,
        None,
    )
    assert r.status_code == 200, r.text
    await api.wait_for(pid, lambda b: (b["pending"] or {}).get("step") == "appointing_authority")


async def new_employee(api: Api, **kw: Any) -> dict[str, Any]:
    rec = employee(**kw)
    r = await api.post("/v1/employees", rec, "agency_hr")
    assert r.status_code == 201, r.text
    return rec


async def started(api: Api, rec: dict[str, Any], period: str = "2027-04-01") -> str:
    r = await api.post(
        "/v1/promotions",
        {"nip": rec["nip"], "period": period, "type": "regular"},
        "hr_system",
        "simpeg",
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    await api.wait_for(pid, lambda b: (b["pending"] or {}).get("step") == "supervisor")
    return pid


async def ledger_rows(sessions: async_sessionmaker[AsyncSession], pid: str) -> list[Any]:
    async with sessions() as s:
        return list(await ledger.entries(s, pid))


async def open_review(api: Api, pid: str) -> dict[str, Any]:
    """Walk a started promotion to BKN's step and return its review once it is open."""
    for role, sub in (("supervisor", None), ("promotion_board", "b"), ("agency_hr", "h")):
        body = (await api.get(f"/v1/promotions/{pid}")).json()
        r = await api.post(
            f"/v1/promotions/{pid}/decisions",
            {"decision": "approve", "justification": "ok"},
            role,
            sub or body["pending"]["actor_id"],
        )
        assert r.status_code == 200, r.text
    body = await api.wait_for(pid, lambda b: (b["pending"] or {}).get("review_id"))
    review_id = body["pending"]["review_id"]
    for _ in range(2400):
        r = await api.get(f"/v1/reviews/{review_id}", "admin", None)
        if r.status_code == 200 and r.json()["status"] == "open":
            return r.json()
        await asyncio.sleep(0.05)
    raise AssertionError(f"review never opened: {r.status_code} {r.text}")

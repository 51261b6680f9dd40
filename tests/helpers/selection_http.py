"""An app over HTTP for the selection refusal tests: tokens by role and seat, the ledger's refusals, and
the assertions every refusal test makes (a 4xx with its code and sentence, one refused entry)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from infra.tokens import mint_token
from server import create_app
from tests.helpers.selection_seed import Seed


class Http:
    def __init__(self, client: httpx.AsyncClient, settings: Settings, agency: str) -> None:
        self.client, self.settings, self.agency = client, settings, agency

    def headers(self, role: str, sub: str, agency: str | None) -> dict[str, str]:
        token = mint_token(self.settings, role=role, sub=sub, agency=agency)
        return {"Authorization": f"Bearer {token}"}

    async def call(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        role: str = "selection_committee",
        sub: str = "chair",
        agency: str | None | bool = True,
        **kw: Any,
    ) -> httpx.Response:
        claim = self.agency if agency is True else (agency or None)
        headers = self.headers(role, sub, claim) | kw.pop("headers", {})
        return await self.client.request(method, url, json=body, headers=headers, **kw)

    async def ledger(self, pid: str) -> list[dict[str, Any]]:
        r = await self.call("GET", f"/v1/processes/{pid}/ledger", role="auditor", sub="aud")
        assert r.status_code == 200, r.text
        entries: list[dict[str, Any]] = r.json()["entries"]
        return entries

    async def refused(self, pid: str) -> list[dict[str, Any]]:
        return [e for e in await self.ledger(pid) if e["outcome"] == "refused"]


@pytest_asyncio.fixture
async def http(dev_env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Http]:
    app = create_app(settings, client=dev_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as c:
            yield Http(c, settings, f"SEL-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def seed(sessions: async_sessionmaker[AsyncSession], http: Http) -> Seed:
    return Seed(sessions, http.agency)


def assert_refused(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"] == code, r.text
    assert r.json()["detail"]


async def assert_in_ledger(http: Http, pid: str, code: str, actor: str) -> None:
    refused = await http.refused(pid)
    assert any(e["payload"]["error"] == code and e["actor_id"] == actor for e in refused), refused

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
from tests.helpers.app_client import app_client
from tests.helpers.selection_api import SelectionApi
from tests.helpers.selection_seed import Seed


class Http(SelectionApi):
    """The selection API as the refusal tests call it: the chair acts unless a call says who."""

    default_sub = "chair"

    @property
    def client(self) -> httpx.AsyncClient:
        return self.http

    def headers(self, role: str, sub: str, agency: str | None) -> dict[str, str]:
        return self.auth(role, sub, agency)

    async def ledger(self, pid: str) -> list[dict[str, Any]]:
        r = await self.call("GET", f"/v1/processes/{pid}/ledger", role="auditor", sub="aud")
        assert r.status_code == 200, r.text
        entries: list[dict[str, Any]] = r.json()["entries"]
        return entries

    async def refused(self, pid: str) -> list[dict[str, Any]]:
        return [e for e in await self.ledger(pid) if e["outcome"] == "refused"]


@pytest_asyncio.fixture
async def http(dev_env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Http]:
    async with app_client(settings, dev_env.client) as c:
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

"""The API and a worker on a database of their own, for checkpoint, export and verifier tests.

A checkpoint covers the whole ledger, so these tests get a fresh database each (a new SQLite file,
or a new database on the PostgreSQL server of MERITFLOW_TEST_DATABASE_URL): the tree they check
holds their own entries only. Promotions are driven with the helpers of ``test_promotion_api``.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from infra.db import create_engine, session_factory
from infra.settings import Settings
from server import create_app
from tests.helpers.promotion_api import AGENCY, Api, new_employee, started
from tests.store.conftest import fresh_database
from worker import build_worker

__all__ = ["AGENCY", "StackApi", "checkpoint_stack", "promotion_with_history"]


class StackApi(Api):
    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        super().__init__(http, settings)
        self.sessions = sessions

    async def ok(
        self, url: str, role: str = "auditor", agency: str | None = None, **params: Any
    ) -> Any:
        r = await self.http.get(url, params=params, headers=self.auth(role, "auditor-1", agency))
        assert r.status_code == 200, r.text
        return r.json() if r.headers["content-type"] == "application/json" else r.text

    async def checkpoint(self, role: str = "auditor") -> dict[str, Any]:
        r = await self.http.post("/v1/audit/checkpoints", headers=self.auth(role, "a-1", None))
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body


@asynccontextmanager
async def checkpoint_stack(
    temporal: WorkflowEnvironment, tmp_path: Path, **overrides: Any
) -> AsyncIterator[StackApi]:
    async with fresh_database(tmp_path) as url:
        engine = create_engine(url)
        sessions = session_factory(engine)
        fields: dict[str, Any] = {"env": "test", **overrides}
        settings = Settings(database_url=url, task_queue=f"tq-{uuid.uuid4().hex[:12]}", **fields)
        app = create_app(settings, client=temporal.client)
        try:
            async with (
                build_worker(temporal.client, sessions, settings),
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://meritflow.test"
                ) as http,
            ):
                yield StackApi(http, settings, sessions)
        finally:
            await engine.dispose()


async def promotion_with_history(api: StackApi) -> str:
    """A promotion with a few entries: started, assessed, approved twice, one refused attempt."""
    record = await new_employee(api)
    pid = await started(api, record)
    url = f"/v1/promotions/{pid}/decisions"
    ok = {"decision": "approve", "justification": "Memenuhi syarat"}
    r = await api.post(url, ok, "supervisor", record["supervisor_nip"], AGENCY)
    assert r.status_code == 200, r.text
    r = await api.post(url, ok, "appointing_authority", "ppk", AGENCY)
    assert r.status_code == 409, r.text
    r = await api.post(url, ok, "promotion_board", "board-chair", AGENCY)
    assert r.status_code == 200, r.text
    return pid


ROOT = Path(__file__).resolve().parents[2]


async def export(api: StackApi, path: Path, **params: Any) -> Path:
    r = await api.http.get(
        "/v1/audit/export", params=params, headers=api.auth("auditor", "auditor-1", None)
    )
    assert r.status_code == 200, r.text
    path.write_text(r.text, encoding="utf-8")
    return path


async def verify(export_file: Path, checkpoints: Path, key: str, *extra: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli.verify",
        "--export",
        str(export_file),
        "--checkpoints",
        str(checkpoints),
        "--public-key",
        key,
        *extra,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode() + err.decode()

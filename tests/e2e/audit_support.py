"""Helpers for the auditor's end-to-end tests: the API with a real worker, a finished promotion.

The promotion itself is driven the way ``test_promotion_api`` drives it (including BKN's technical
approval as a third-party review), by reusing its helpers rather than repeating them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from server import create_app
from tests.helpers.promotion_api import (
    AGENCY,
    Api,
    new_employee,
    pertek_through_inbox,
    register_bkn,
    started,
)
from worker import build_worker

__all__ = ["AGENCY", "AuditApi", "finished_promotion", "running_api", "wait_until_gone"]
DECREE = "800/KP/2027/9"


class AuditApi(Api):
    async def ok(self, url: str, role: str = "auditor", **params: Any) -> Any:
        """GET with query ``params`` as ``role`` of the test agency; the body of a 200."""
        r = await self.http.get(url, params=params, headers=self.auth(role, "reader", AGENCY))
        assert r.status_code == 200, r.text
        return r.json()


@asynccontextmanager
async def running_api(
    env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[AuditApi]:
    app = create_app(settings, client=env.client)
    async with build_worker(env.client, sessions, settings), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as c:
            api = AuditApi(c, settings)
            await register_bkn(api)
            yield api


async def finished_promotion(api: AuditApi, env: WorkflowEnvironment) -> tuple[str, str]:
    """Run one promotion through the whole chain via the API; ``(process id, run id)`` once closed."""
    record = await new_employee(api)
    pid = await started(api, record)
    chain: list[tuple[str, str, dict[str, Any]]] = [
        ("supervisor", record["supervisor_nip"], {}),
        ("promotion_board", "board-chair", {}),
        ("agency_hr", "hr-1", {}),
        ("appointing_authority", "ppk", {"decree_number": DECREE}),
    ]
    for role, sub, extra in chain:
        if role == "appointing_authority":
            await pertek_through_inbox(api, pid)
        decision = {"decision": "approve", "justification": f"{role}: in order", **extra}
        r = await api.post(f"/v1/promotions/{pid}/decisions", decision, role, sub, AGENCY)
        assert r.status_code == 200, r.text
    handle = env.client.get_workflow_handle(pid)
    await handle.result()
    return pid, (await handle.describe()).run_id


async def _not_found(call: Any) -> bool:
    try:
        await call()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return True
        raise
    return False


async def wait_until_gone(env: WorkflowEnvironment, workflow_id: str, run_id: str) -> None:
    """Until Temporal answers "not found" both to describe and to a history fetch of the run.

    The dev server deletes in the background; it has taken 20 to 30 seconds here.
    """
    handle = env.client.get_workflow_handle(workflow_id, run_id=run_id)
    deadline = asyncio.get_running_loop().time() + 180
    while asyncio.get_running_loop().time() < deadline:
        if await _not_found(handle.describe) and await _not_found(handle.fetch_history):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"workflow {workflow_id} was never deleted")

"""A period runs on a task queue of its own: its tasks never wait behind its promotions.

On one queue, a period of 10,000 stalled after its first run: the next run's workflow tasks
queued behind the first tasks of the thousands of promotions it had just started. Here only the
period queue's worker runs while the period is opened through the API; the period must get
through every run (continue-as-new included) and complete, while each promotion it started
waits, untouched, on the promotion queue. A promotion worker started afterwards takes them up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain import cloudevents as ce
from infra.settings import Settings
from infra.worker_shutdown import running
from server import create_app
from tests.helpers.period_api import (
    PERIOD,
    cloud_event,
    import_employees,
    new_agency,
    period_id,
    period_settings,
    send,
    wait_period,
)
from tests.helpers.promotion_api import Api
from worker import build_worker
from workflows.contracts import promotion_workflow_id

EMPLOYEES = 25


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    # Ten members per run: the period continues as new twice while no promotion worker runs.
    return period_settings(migrated_url, per_run=10, page=5, in_flight=5)


@pytest_asyncio.fixture
async def period_only(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[Api]:
    """The API, and a worker of the period queue only: nothing polls the promotion queue."""
    app = create_app(settings, client=dev_env.client)
    period_worker = build_worker(
        dev_env.client, sessions, settings, task_queue=settings.period_queue
    )
    async with running(period_worker), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as http:
            yield Api(http, settings)
    query = f"TaskQueue = '{settings.task_queue}' AND ExecutionStatus = 'Running'"
    async for wf in dev_env.client.list_workflows(query):
        try:
            await dev_env.client.get_workflow_handle(wf.id).terminate("test finished")
        except RPCError:
            pass


async def test_a_period_completes_while_its_promotions_wait_for_their_own_worker(
    period_only: Api,
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    api, client = period_only, dev_env.client
    agency = new_agency()
    nips = await import_employees(sessions, agency, EMPLOYEES)
    pid = period_id(agency)
    r = await send(api, cloud_event(ce.PERIOD_OPENED, {"period": PERIOD}), agency)
    assert r.status_code == 202, r.text

    body = await wait_period(api, pid, agency, lambda b: b["status"] == "completed")
    assert (body["requested"], body["started"], body["runs"]) == (EMPLOYEES, EMPLOYEES, 3)
    assert body["tally"]["starting"] == EMPLOYEES  # not one promotion has run a workflow task
    assert settings.period_queue != settings.task_queue
    runs = [w async for w in client.list_workflows(f"WorkflowId = '{pid}'")]
    assert len(runs) == 3 and {w.task_queue for w in runs} == {settings.period_queue}
    for nip in nips:
        handle = client.get_workflow_handle(promotion_workflow_id(nip, date.fromisoformat(PERIOD)))
        described = await handle.describe()
        assert described.status == WorkflowExecutionStatus.RUNNING
        assert described.task_queue == settings.task_queue
        kinds = [e.event_type async for e in handle.fetch_history_events()]
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED not in kinds

    # The promotion queue's worker comes up: every promotion takes its first step.
    async with build_worker(client, sessions, settings):
        body = await wait_period(api, pid, agency, lambda b: b["tally"]["starting"] == 0)
    assert body["tally"]["total"] == EMPLOYEES

"""Set-up shared by the tests of promotion periods, HR events and vacancies over the API: CloudEvents
sent as an HR system sends them, employees imported straight into the table, and what Temporal and
the event store say afterwards."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from store import repositories
from store.event_models import InboundEvent
from tests.conftest import employee, new_nip
from tests.helpers.promotion_api import Api

PERIOD = "2027-04-01"
PERIOD_TAG = "2027-04"


def new_agency() -> str:
    return f"AG{uuid.uuid4().hex[:10].upper()}"


def cloud_event(type_: str, data: dict[str, Any], **attrs: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": f"//simpeg.test/{uuid.uuid4().hex[:8]}",
        "type": type_,
        "time": "2027-03-01T08:00:00Z",
        "datacontenttype": "application/json",
        "data": data,
        **attrs,
    }


async def send(
    api: Api, event: dict[str, Any], agency: str | None, headers: dict[str, str] | None = None
) -> Any:
    return await api.http.post(
        "/v1/events",
        json=event,
        headers={
            **api.auth("hr_system", "siasn", agency),
            "content-type": "application/cloudevents+json",
            **(headers or {}),
        },
    )


async def import_employees(
    sessions: async_sessionmaker[AsyncSession], agency: str, count: int, ineligible_every: int = 0
) -> list[str]:
    records = []
    for i in range(count):
        extra: dict[str, Any] = (
            {"rank_since": "2026-01-01"} if ineligible_every and i % ineligible_every == 0 else {}
        )
        records.append(employee(new_nip("19850202"), agency=agency, **extra))
    async with sessions() as session, session.begin():
        await repositories.upsert_employees(session, records, now=datetime.now(UTC))
    return [r["nip"] for r in records]


async def period_view(api: Api, pid: str, agency: str) -> dict[str, Any]:
    r = await api.get(f"/v1/promotion-periods/{pid}", "auditor", agency)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def wait_period(api: Api, pid: str, agency: str, predicate: Any) -> dict[str, Any]:
    body: dict[str, Any] = {}
    deadline = asyncio.get_running_loop().time() + 300
    while asyncio.get_running_loop().time() < deadline:
        body = await period_view(api, pid, agency)
        if predicate(body):
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"condition never met: {body}")


async def executions(env: WorkflowEnvironment, workflow_id: str) -> list[Any]:
    return [w async for w in env.client.list_workflows(f"WorkflowId = '{workflow_id}'")]


async def exists(env: WorkflowEnvironment, workflow_id: str) -> bool:
    """Whether Temporal knows the workflow (describe reads the execution, not visibility)."""
    try:
        await env.client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def stored_events(sessions: async_sessionmaker[AsyncSession], source: str) -> int:
    async with sessions() as session:
        stmt = select(func.count()).select_from(InboundEvent).where(InboundEvent.source == source)
        return int((await session.execute(stmt)).scalar_one())


def period_id(agency: str) -> str:
    return f"promotion-period-{agency}-{PERIOD_TAG}"


def vacancy(post_id: str, **data: Any) -> dict[str, Any]:
    return {"post_id": post_id, "vacated_on": "2026-11-30", "post_level": "administrator", **data}


def period_settings(migrated_url: str, *, per_run: int, page: int, in_flight: int) -> Settings:
    """A fresh task queue (and with it a period queue) and a period that continues as new after
    ``per_run`` members, ``page`` at a time, ``in_flight`` starts at once."""
    return Settings(
        database_url=migrated_url,
        task_queue=f"tq-{uuid.uuid4().hex[:12]}",
        env="test",
        period_children_per_run=per_run,
        period_page_size=page,
        period_max_in_flight=in_flight,
    )

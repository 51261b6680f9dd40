"""start_period_page on the dev server and the real database: promotions started by the client,
each with its snapshot and calendar, and a retried page that starts nothing twice.

No worker polls the task queue here: the started promotions only wait, and are terminated at
the end; what the test reads is each one's start input and the counters the page returns.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.calendar import CalendarActivities
from activities.period_starts import PeriodStarter, StartPage, TableSnapshotSource
from activities.periods import PeriodActivities, PreparePeriod, TableCandidateSource
from domain.ledger import Actor
from store import events
from tests.conftest import PERIOD, employee, new_nip, put_employee
from workflows.contracts import StartPromotion, promotion_workflow_id

HR = Actor(id="siasn", role="hr_system")


@pytest_asyncio.fixture(loop_scope="session")
async def queue(dev_env: WorkflowEnvironment) -> AsyncIterator[str]:
    name = f"period-starts-{uuid.uuid4().hex[:8]}"
    yield name
    async for wf in dev_env.client.list_workflows(
        f"TaskQueue = '{name}' AND ExecutionStatus = 'Running'"
    ):
        try:
            await dev_env.client.get_workflow_handle(wf.id).terminate("test finished")
        except RPCError:
            pass


async def prepared(sessions: async_sessionmaker[AsyncSession], agency: str) -> list[str]:
    """Three employees of ``agency`` and one NIP the HR source lacks, stored as a period."""
    nips = []
    for _ in range(3):
        record = employee(new_nip("19910404"), agency=agency)
        await put_employee(sessions, record)
        nips.append(record["nip"])
    stranger = new_nip("19700707")
    await ActivityEnvironment().run(
        PeriodActivities(sessions, TableCandidateSource(sessions)).prepare_period,
        PreparePeriod(
            period_id=f"promotion-period-{agency}-{PERIOD:%Y-%m}",
            agency=agency,
            period=PERIOD,
            promotion_type="regular",
            rulebook_version="PerBKN-4-2025",
            nips=[*nips, stranger],
            actor=HR,
            run_id="run-1",
            occurred_at=datetime.now(UTC),
        ),
    )
    return [*nips, stranger]


def page(agency: str, queue: str) -> StartPage:
    return StartPage(
        period_id=f"promotion-period-{agency}-{PERIOD:%Y-%m}",
        agency=agency,
        period=PERIOD,
        promotion_type="regular",
        rulebook_version="PerBKN-4-2025",
        requested_by=HR,
        task_queue=queue,
        after=0,
        limit=10,
        max_in_flight=2,
    )


async def start_input(client: Client, nip: str) -> StartPromotion:
    handle = client.get_workflow_handle(promotion_workflow_id(nip, PERIOD))
    history = await handle.fetch_history()
    attrs = history.events[0].workflow_execution_started_event_attributes
    (inp,) = await client.data_converter.decode(attrs.input.payloads, [StartPromotion])
    assert isinstance(inp, StartPromotion)
    return inp


async def test_a_page_starts_each_promotion_with_its_snapshot_and_calendar(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], queue: str
) -> None:
    agency = f"PS{uuid.uuid4().hex[:8].upper()}"
    nips = await prepared(sessions, agency)
    starter = PeriodStarter(
        dev_env.client, sessions, TableSnapshotSource(sessions), CalendarActivities([])
    )
    result = await ActivityEnvironment().run(starter.start_page, page(agency, queue))
    assert (result.taken, result.cursor, result.started, result.already_running) == (4, 4, 4, 0)
    known = await start_input(dev_env.client, nips[0])
    assert known.snapshot is not None and known.snapshot.nip == nips[0]
    assert known.holidays and set(known.holiday_years) >= {datetime.now(UTC).year, PERIOD.year}
    # Not in the HR source: started without a snapshot, its own activity fails it as before.
    assert (await start_input(dev_env.client, nips[3])).snapshot is None
    described = await dev_env.client.get_workflow_handle(
        promotion_workflow_id(nips[1], PERIOD)
    ).describe()
    assert described.status == WorkflowExecutionStatus.RUNNING
    async with sessions() as session:
        row = await events.get_period(session, page(agency, queue).period_id)
    assert row is not None and (row.cursor, row.started, row.already_running) == (4, 4, 0)


async def test_a_retried_page_starts_nothing_twice(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], queue: str
) -> None:
    agency = f"PR{uuid.uuid4().hex[:8].upper()}"
    nips = await prepared(sessions, agency)
    starter = PeriodStarter(
        dev_env.client, sessions, TableSnapshotSource(sessions), CalendarActivities([])
    )
    first = await ActivityEnvironment().run(starter.start_page, page(agency, queue))
    assert first.started == 4
    runs = {
        n: (
            await dev_env.client.get_workflow_handle(promotion_workflow_id(n, PERIOD)).describe()
        ).run_id
        for n in nips
    }
    # A retry whose earlier attempt heartbeated two of the four as started by it.
    retry = ActivityEnvironment()
    earlier = {"cursor": 0, "taken": 0, "started": 0, "already_running": 0, "page": nips[:2]}
    retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=[earlier])
    again = await retry.run(starter.start_page, page(agency, queue))
    assert (again.started, again.already_running) == (2, 2)
    # Without a heartbeat, every one is found running: none is started a second time.
    fresh = await ActivityEnvironment().run(starter.start_page, page(agency, queue))
    assert (fresh.started, fresh.already_running) == (0, 4)
    for n in nips:
        handle = dev_env.client.get_workflow_handle(promotion_workflow_id(n, PERIOD))
        assert (await handle.describe()).run_id == runs[n]


async def test_a_call_works_page_by_page_and_resumes_after_the_last_page_written(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], queue: str
) -> None:
    agency = f"PP{uuid.uuid4().hex[:8].upper()}"
    await prepared(sessions, agency)
    starter = PeriodStarter(
        dev_env.client, sessions, TableSnapshotSource(sessions), CalendarActivities([])
    )
    env = ActivityEnvironment()
    beats: list[object] = []
    env.on_heartbeat = lambda *details: beats.append(details[0])
    paged = page(agency, queue).model_copy(update={"page_size": 3})
    done = await env.run(starter.start_page, paged)
    assert (done.taken, done.cursor, done.started) == (4, 4, 4)
    # After each page, the cursor and the counts so far, no promotion of a page under way.
    ends = [b for b in beats if isinstance(b, dict) and not b["page"]]
    assert [(b["cursor"], b["started"]) for b in ends] == [(3, 3), (4, 4)]
    # A retry after the first page was written takes up from its cursor: the fourth member alone,
    # already running now, and the first page's count carried over.
    retry = ActivityEnvironment()
    retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=[ends[0]])
    again = await retry.run(starter.start_page, paged)
    assert (again.taken, again.cursor, again.started, again.already_running) == (4, 4, 3, 1)

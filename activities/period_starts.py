"""The period's fan-out: one activity call starts a page of promotions with the Temporal client.

A period workflow that starts its promotions as children pays a workflow task, a command and two
history events per child in its own history, one start at a time through its own task queue; a
client start is one RPC. So ``start_period_page`` takes the next members, puts each promotion's
read-model row in place, and starts ``PromotionWorkflow`` for each with the client, at most
``max_in_flight`` RPCs at once. Each promotion is started with what its first workflow task
needs — the employee's snapshot from the HR source and the holiday calendar of the years it
counts working days in — so that task assesses eligibility and opens the first step at once
instead of waiting on two activities (``workflows/contracts.py`` ``StartPromotion``: the optional
``snapshot``, ``holidays`` and ``holiday_years``; a promotion without them fetches them itself).
An employee the HR source does not have is started without a snapshot: the promotion's own
snapshot activity then fails it as it always did.

Retry-safe: the conflict policy USE_EXISTING answers a running promotion's handle instead of an
error, REJECT_DUPLICATE refuses one that finished within retention (both count as "already
running"), and the promotions this call started are heartbeated, so a retried attempt counts
them as started, not as already running. The page's counters are written as absolute values.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

import structlog
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.calendar import CalendarActivities
from activities.contracts import HolidaysRequest
from activities.hr import EmployeeNotFound, HrSource
from domain.employee import EmployeeRecord
from domain.ledger import Actor
from domain.processes import promotion_workflow_id
from store import events
from store.models import Employee

log = structlog.get_logger(__name__)

# The workflow type the period starts (workflows/promotion.py); activities sit below workflows.
PROMOTION_WORKFLOW = "PromotionWorkflow"
# Members whose snapshots one SELECT reads.
SNAPSHOT_CHUNK = 500


class StartPage(BaseModel):
    period_id: str
    agency: str
    period: date
    promotion_type: str
    rulebook_version: str
    requested_by: Actor
    task_queue: str
    after: int = Field(ge=0)
    limit: int = Field(ge=1)
    max_in_flight: int = Field(ge=1)
    # The period's totals before this page, and its run: the page writes the new totals.
    started: int = 0
    already_running: int = 0
    runs: int = 1


class StartedPage(BaseModel):
    taken: int
    cursor: int
    started: int = 0
    already_running: int = 0


class SnapshotSource(Protocol):
    """Employee records of many NIPs at once; the NIPs it lacks are left out of the answer."""

    async def snapshots(self, nips: Sequence[str]) -> dict[str, EmployeeRecord]: ...


class TableSnapshotSource:
    """Meritflow's own employee table, a chunk of NIPs per query."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def snapshots(self, nips: Sequence[str]) -> dict[str, EmployeeRecord]:
        found: dict[str, EmployeeRecord] = {}
        async with self._sessions() as session:
            for i in range(0, len(nips), SNAPSHOT_CHUNK):
                chunk = list(nips[i : i + SNAPSHOT_CHUNK])
                rows = await session.execute(
                    select(Employee.nip, Employee.record).where(Employee.nip.in_(chunk))
                )
                for nip, record in rows.all():
                    found[nip] = EmployeeRecord.model_validate(record)
        return found


class OneByOneSnapshotSource:
    """Any HR source that reads one record per call (the SIASN-style HTTP source), a few at once."""

    def __init__(self, source: HrSource, concurrency: int = 8) -> None:
        self._source = source
        self._gate = asyncio.Semaphore(concurrency)

    async def snapshots(self, nips: Sequence[str]) -> dict[str, EmployeeRecord]:
        async def one(nip: str) -> EmployeeRecord | None:
            async with self._gate:
                try:
                    return await self._source.employee(nip)
                except EmployeeNotFound:
                    return None

        records = await asyncio.gather(*(one(n) for n in nips))
        return {n: r for n, r in zip(nips, records, strict=True) if r is not None}


class PeriodStarter:
    """The activity that starts a page of a period's promotions; the client is the worker's."""

    def __init__(
        self,
        client: Client,
        sessions: async_sessionmaker[AsyncSession],
        snapshots: SnapshotSource,
        calendar: CalendarActivities,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._snapshots = snapshots
        self._calendar = calendar

    @activity.defn(name="start_period_page")
    async def start_page(self, req: StartPage) -> StartedPage:
        async with self._sessions() as session:
            rows = await events.member_page(session, req.period_id, req.after, req.limit)
        if not rows:
            return StartedPage(taken=0, cursor=req.after)
        nips = [nip for _, nip in rows]
        now = datetime.now(UTC)
        # A separate writing transaction: on SQLite one that reads first may fail to upgrade.
        async with self._sessions() as session, session.begin():
            await events.insert_promotions_if_absent(
                session,
                promotions=[(promotion_workflow_id(nip, req.period), nip) for nip in nips],
                agency=req.agency,
                period=req.period,
                promotion_type=req.promotion_type,
                rulebook_version=req.rulebook_version,
                now=now,
            )
        snapshots = await self._snapshots.snapshots(nips)
        years = sorted({now.year, now.year + 1, req.period.year})
        holidays = (await self._calendar.load_holidays(HolidaysRequest(years=years))).dates
        started, existing = await self._start_all(req, nips, snapshots, holidays, years)
        cursor = rows[-1][0]
        totals = (req.started + len(started), req.already_running + len(existing))
        async with self._sessions() as session, session.begin():
            await events.update_period(
                session,
                req.period_id,
                now=datetime.now(UTC),
                cursor=cursor,
                started=totals[0],
                already_running=totals[1],
                runs=req.runs,
            )
            await events.mark_members(session, req.period_id, started, "started")
            await events.mark_members(session, req.period_id, existing, "already_running")
        log.info(
            "period.page_started", period_id=req.period_id, cursor=cursor, started=len(started)
        )
        return StartedPage(
            taken=len(rows), cursor=cursor, started=len(started), already_running=len(existing)
        )

    async def _start_all(
        self,
        req: StartPage,
        nips: list[str],
        snapshots: dict[str, EmployeeRecord],
        holidays: list[date],
        years: list[int],
    ) -> tuple[list[str], list[str]]:
        earlier = _heartbeat_details()
        gate = asyncio.Semaphore(req.max_in_flight)
        done: set[str] = set()

        async def start(nip: str) -> bool:
            async with gate:
                new = await self._start_one(req, nip, snapshots.get(nip), holidays, years)
            # Started by an attempt before this one, which the heartbeat remembers: started.
            new = new or nip in earlier
            if new:
                done.add(nip)
                activity.heartbeat({"started": sorted(done | earlier)})
            return new

        outcomes = await asyncio.gather(*(start(nip) for nip in nips))
        started = [n for n, new in zip(nips, outcomes, strict=True) if new]
        existing = [n for n, new in zip(nips, outcomes, strict=True) if not new]
        return started, existing

    async def _start_one(
        self,
        req: StartPage,
        nip: str,
        snapshot: EmployeeRecord | None,
        holidays: list[date],
        years: list[int],
    ) -> bool:
        """True if this call started the promotion, False if its id was already taken."""
        # The shape of workflows/contracts.py StartPromotion (the worker's test starts one).
        start: dict[str, Any] = {
            "nip": nip,
            "agency": req.agency,
            "period": req.period.isoformat(),
            "promotion_type": req.promotion_type,
            "rulebook_version": req.rulebook_version,
            "requested_by": req.requested_by.model_dump(mode="json"),
            "snapshot": snapshot.model_dump(mode="json") if snapshot is not None else None,
            "holidays": [d.isoformat() for d in holidays],
            "holiday_years": years,
        }
        try:
            handle = await self._client.start_workflow(
                PROMOTION_WORKFLOW,
                start,
                id=promotion_workflow_id(nip, req.period),
                task_queue=req.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            return False  # finished within retention: REJECT_DUPLICATE keeps it the only one
        # The server says whether this request started it (False: USE_EXISTING found it running).
        # The SDK keeps the response on the handle without a public accessor.
        response = getattr(handle, "_start_workflow_response", None)
        return bool(getattr(response, "started", True))


def _heartbeat_details() -> set[str]:
    """The promotions an earlier attempt of this call started, from its last heartbeat."""
    details = activity.info().heartbeat_details
    if not details or not isinstance(details[0], dict):
        return set()
    return {str(n) for n in details[0].get("started", [])}

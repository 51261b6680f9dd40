"""The period's fan-out: one activity call starts a page of promotions with the Temporal client.

A period workflow that starts its promotions as children pays a workflow task, a command and two
history events per child in its own history, one start at a time through its own task queue; a
client start is one RPC. So ``start_period_page`` takes the next members a page at a time, puts
each promotion's read-model row in place, and starts ``PromotionWorkflow`` for each with the
client, at most ``max_in_flight`` RPCs at once. One call works through a whole run's members (the
period workflow's own tasks would otherwise queue behind the first tasks of the promotions it has
just started), writing the period's counters and heartbeating its cursor after every page. Each
promotion is started with what its first workflow task needs — the employee's snapshot from the
HR source and the holiday calendar of the years it counts working days in — so that task
assesses eligibility and opens the first step at once instead of waiting on two activities
(``workflows/contracts.py`` ``StartPromotion``: the optional ``snapshot``, ``holidays`` and
``holiday_years``; a promotion without them fetches them itself). An employee the HR source does
not have is started without a snapshot: the promotion's own snapshot activity then fails it as it
always did.

Retry-safe: the conflict policy USE_EXISTING answers a running promotion's handle instead of an
error, REJECT_DUPLICATE refuses one that finished within retention (both count as "already
running"); the heartbeat carries the cursor after the last page written and the promotions
started so far in the page under way, so a retried attempt resumes there and counts those as
started, not as already running. The period's counters are written as absolute values.
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
    # Members per page within the call (each page written and heartbeated); None: all at once.
    page_size: int | None = Field(default=None, ge=1)
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
        """Up to ``limit`` members after ``after``, a page of ``page_size`` at a time: each page's
        promotions started, then its rows and the period's counters written, then a heartbeat
        with the new cursor; a retried call resumes after the last page it heartbeated."""
        progress = _Progress.resume(req)
        now = datetime.now(UTC)
        years = sorted({now.year, now.year + 1, req.period.year})
        holidays = (await self._calendar.load_holidays(HolidaysRequest(years=years))).dates
        while progress.taken < req.limit:
            size = min(req.page_size or req.limit, req.limit - progress.taken)
            async with self._sessions() as session:
                rows = await events.member_page(session, req.period_id, progress.cursor, size)
            if not rows:
                break
            nips = [nip for _, nip in rows]
            # A separate writing transaction: on SQLite one that reads first may fail to upgrade.
            async with self._sessions() as session, session.begin():
                await events.insert_promotions_if_absent(
                    session,
                    promotions=[(promotion_workflow_id(nip, req.period), nip) for nip in nips],
                    agency=req.agency,
                    period=req.period,
                    promotion_type=req.promotion_type,
                    rulebook_version=req.rulebook_version,
                    now=datetime.now(UTC),
                )
            snapshots = await self._snapshots.snapshots(nips)
            started, existing = await self._start_all(
                req, nips, snapshots, holidays, years, progress
            )
            progress.page_done(rows[-1][0], len(rows), len(started), len(existing))
            async with self._sessions() as session, session.begin():
                await events.update_period(
                    session,
                    req.period_id,
                    now=datetime.now(UTC),
                    cursor=progress.cursor,
                    started=req.started + progress.started,
                    already_running=req.already_running + progress.already_running,
                    runs=req.runs,
                )
                await events.mark_members(session, req.period_id, started, "started")
                await events.mark_members(session, req.period_id, existing, "already_running")
            activity.heartbeat(progress.details())
            log.info(
                "period.page_started",
                period_id=req.period_id,
                cursor=progress.cursor,
                started=len(started),
            )
        return StartedPage(
            taken=progress.taken,
            cursor=progress.cursor,
            started=progress.started,
            already_running=progress.already_running,
        )

    async def _start_all(
        self,
        req: StartPage,
        nips: list[str],
        snapshots: dict[str, EmployeeRecord],
        holidays: list[date],
        years: list[int],
        progress: _Progress,
    ) -> tuple[list[str], list[str]]:
        gate = asyncio.Semaphore(req.max_in_flight)

        async def start(nip: str) -> bool:
            async with gate:
                new = await self._start_one(req, nip, snapshots.get(nip), holidays, years)
            # Started by an attempt before this one, which the heartbeat remembers: started.
            new = new or nip in progress.page
            if new:
                progress.page.add(nip)
                activity.heartbeat(progress.details())
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


class _Progress:
    """How far one call has come, as its heartbeats carry it: the cursor after the last page
    written, the members taken and the counts since the call began, and the promotions started so
    far in the page under way."""

    def __init__(self, cursor: int) -> None:
        self.cursor = cursor
        self.taken = self.started = self.already_running = 0
        self.page: set[str] = set()

    @classmethod
    def resume(cls, req: StartPage) -> _Progress:
        progress = cls(req.after)
        details = activity.info().heartbeat_details
        last = details[-1] if details else None
        if isinstance(last, dict):
            progress.cursor = int(last.get("cursor", req.after))
            progress.taken = int(last.get("taken", 0))
            progress.started = int(last.get("started", 0))
            progress.already_running = int(last.get("already_running", 0))
            progress.page = {str(n) for n in last.get("page", [])}
        return progress

    def page_done(self, cursor: int, taken: int, started: int, already_running: int) -> None:
        self.cursor, self.page = cursor, set()
        self.taken += taken
        self.started += started
        self.already_running += already_running

    def details(self) -> dict[str, Any]:
        return {
            "cursor": self.cursor,
            "taken": self.taken,
            "started": self.started,
            "already_running": self.already_running,
            "page": sorted(self.page),
        }

"""Activities of the promotion period: its members, its pages of children, its counters, its ledger.

Every activity is idempotent: ``prepare_period`` stores the members once (a retry finds them),
``claim_page`` reads by position and inserts read-model rows only where absent, ``record_page`` and
``finish_period`` write absolute values, and ledger entries have deterministic ids.

A period that completed may be opened again by a later event carrying employees it did not have
(``opening``: that event's key): ``prepare_period`` then adds them after the last member, and the
entries of that opening (``promotion_period.reopened``, its own ``promotion_period.completed``)
carry the key in their ids.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Protocol

import structlog
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from domain.ledger import Actor, LedgerEntryIn, entry_id
from domain.processes import ProcessKind, promotion_workflow_id
from store import events, ledger

log = structlog.get_logger(__name__)
PROCESS_KIND = ProcessKind.PROMOTION_PERIOD


class PreparePeriod(BaseModel):
    period_id: str
    agency: str
    period: date
    promotion_type: str
    rulebook_version: str
    nips: list[str] | None = None
    actor: Actor
    run_id: str
    occurred_at: AwareDatetime
    # The key of the event that opened a completed period again; None: its first opening.
    opening: str | None = None


class PrepareResult(BaseModel):
    requested: int
    member_source: str


class ClaimPage(BaseModel):
    period_id: str
    agency: str
    period: date
    promotion_type: str
    rulebook_version: str
    after: int = Field(ge=0)
    limit: int = Field(ge=1)


class PeriodMember(BaseModel):
    position: int
    nip: str


class PageResult(BaseModel):
    members: list[PeriodMember] = Field(default_factory=list)


class RecordPage(BaseModel):
    period_id: str
    cursor: int
    started_nips: list[str] = Field(default_factory=list)
    already_running_nips: list[str] = Field(default_factory=list)
    started: int
    already_running: int
    runs: int


class FinishPeriod(BaseModel):
    period_id: str
    agency: str
    requested: int
    started: int
    already_running: int
    runs: int
    actor: Actor
    run_id: str
    occurred_at: AwareDatetime
    opening: str | None = None


class CandidateSource(Protocol):
    """Who may be promoted in an agency's period, in a stable order."""

    async def candidates(self, agency: str) -> list[str]: ...


class TableCandidateSource:
    """Every employee of the agency in Meritflow's own employee table, by NIP.

    The SIASN-style HTTP source reads one record at a time and has no roster call, so candidates
    come from this table whichever HR source snapshots the records.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def candidates(self, agency: str) -> list[str]:
        async with self._sessions() as session:
            return await events.agency_nips(session, agency)


class PeriodActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], candidates: CandidateSource
    ) -> None:
        self._sessions = sessions
        self._candidates = candidates

    @activity.defn(name="prepare_period")
    async def prepare_period(self, req: PreparePeriod) -> PrepareResult:
        """Store the members once, in order; the period becomes running with its total."""
        if req.opening is not None:
            return await self._reopen(req)
        source = "list" if req.nips is not None else "hr_source"
        nips = req.nips if req.nips is not None else await self._candidates.candidates(req.agency)
        now = datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            # The API creates the row with its event; a period started otherwise gets it here.
            await events.insert_period_if_absent(session, _period_row(req, source, now))
            await events.update_period(session, req.period_id, now=now, status="running")
            count = await events.member_count(session, req.period_id)
            if count == 0:
                count = await events.insert_members(session, req.period_id, _unique(nips))
            await events.update_period(
                session, req.period_id, now=now, requested=count, member_source=source
            )
            await _append(
                session,
                req.period_id,
                "promotion_period.started",
                req.actor,
                agency=req.agency,
                stage=("starting", "running"),
                payload={
                    "period": req.period.isoformat(),
                    "promotion_type": req.promotion_type,
                    "requested": count,
                    "member_source": source,
                },
                rulebook_version=req.rulebook_version,
                run_id=req.run_id,
                occurred_at=req.occurred_at,
                now=now,
            )
        log.info("period.prepared", period_id=req.period_id, requested=count, source=source)
        return PrepareResult(requested=count, member_source=source)

    async def _reopen(self, req: PreparePeriod) -> PrepareResult:
        """A completed period opened again: the new employees join after the last member."""
        nips = req.nips if req.nips is not None else await self._candidates.candidates(req.agency)
        now = datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            await events.update_period(
                session, req.period_id, now=now, status="running", completed_at=None
            )
            before = await events.member_count(session, req.period_id)
            count = await events.append_members(session, req.period_id, _unique(nips))
            await events.update_period(session, req.period_id, now=now, requested=count)
            await _append(
                session,
                req.period_id,
                "promotion_period.reopened",
                req.actor,
                agency=req.agency,
                stage=("completed", "running"),
                payload={
                    "period": req.period.isoformat(),
                    "added": count - before,
                    "requested": count,
                    "opening": req.opening,
                },
                rulebook_version=req.rulebook_version,
                run_id=req.run_id,
                occurred_at=req.occurred_at,
                now=now,
                key=req.opening,
            )
            row = await events.get_period(session, req.period_id)
        source = row.member_source if row is not None else "list"
        log.info("period.reopened", period_id=req.period_id, requested=count, added=count - before)
        return PrepareResult(requested=count, member_source=source)

    @activity.defn(name="claim_period_page")
    async def claim_page(self, req: ClaimPage) -> PageResult:
        """The next members after ``after``, each with its promotion's read-model row in place
        (the child's first ledger write updates that row)."""
        async with self._sessions() as session:
            rows = await events.member_page(session, req.period_id, req.after, req.limit)
        now = datetime.now(UTC)
        # A separate writing transaction: on SQLite one that reads first may fail to upgrade.
        async with self._sessions() as session, session.begin():
            await events.insert_promotions_if_absent(
                session,
                promotions=[(promotion_workflow_id(nip, req.period), nip) for _, nip in rows],
                agency=req.agency,
                period=req.period,
                promotion_type=req.promotion_type,
                rulebook_version=req.rulebook_version,
                now=now,
            )
        return PageResult(members=[PeriodMember(position=p, nip=n) for p, n in rows])

    @activity.defn(name="record_period_page")
    async def record_page(self, req: RecordPage) -> None:
        now = datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            await events.update_period(
                session,
                req.period_id,
                now=now,
                cursor=req.cursor,
                started=req.started,
                already_running=req.already_running,
                runs=req.runs,
            )
            await events.mark_members(session, req.period_id, req.started_nips, "started")
            await events.mark_members(
                session, req.period_id, req.already_running_nips, "already_running"
            )

    @activity.defn(name="finish_period")
    async def finish_period(self, req: FinishPeriod) -> None:
        now = datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            await events.update_period(
                session,
                req.period_id,
                now=now,
                status="completed",
                requested=req.requested,
                cursor=req.requested,
                started=req.started,
                already_running=req.already_running,
                runs=req.runs,
                completed_at=now,
            )
            await _append(
                session,
                req.period_id,
                "promotion_period.completed",
                req.actor,
                agency=req.agency,
                stage=("running", "completed"),
                payload={
                    "requested": req.requested,
                    "started": req.started,
                    "already_running": req.already_running,
                    "runs": req.runs,
                },
                run_id=req.run_id,
                occurred_at=req.occurred_at,
                now=now,
                key=req.opening,
            )
        log.info("period.completed", period_id=req.period_id, started=req.started)


def _period_row(req: PreparePeriod, source: str, now: datetime) -> dict[str, Any]:
    return {
        "id": req.period_id,
        "agency": req.agency,
        "period": req.period,
        "promotion_type": req.promotion_type,
        "rulebook_version": req.rulebook_version,
        "member_source": source,
        "status": "starting",
        "requested_by": req.actor.id,
        "created_at": now,
        "updated_at": now,
    }


def _unique(nips: list[str]) -> list[str]:
    return list(dict.fromkeys(nips))


async def _append(
    session: AsyncSession,
    period_id: str,
    kind: str,
    actor: Actor,
    *,
    agency: str,
    stage: tuple[str, str],
    payload: dict[str, Any],
    run_id: str,
    occurred_at: datetime,
    now: datetime,
    rulebook_version: str | None = None,
    key: str | None = None,
) -> None:
    # One entry of each kind per opening of the period: the kind (and the opening's key, after the
    # first) is the id, so a retried activity writes once.
    entry = LedgerEntryIn(
        entry_id=f"{period_id}:{kind}" if key is None else entry_id(period_id, kind, key),
        process_id=period_id,
        process_kind=PROCESS_KIND,
        kind=kind,
        outcome="accepted",
        stage_before=stage[0],
        stage_after=stage[1],
        actor=actor,
        agency=agency,
        payload=payload,
        rulebook_version=rulebook_version,
        workflow_id=period_id,
        run_id=run_id,
        occurred_at=occurred_at,
    )
    await ledger.append(session, entry, recorded_at=now)

"""Side effects of the talent review: the ledger with the read model, the cut-off, the scores, the
gates, the pool and the succession plans.

Every method is one transaction that first locks the review's row (then, where it appends, a ledger
head: the same order as the actions' direct writes). Whole-population work (cut-off, scoring,
publication, the pool) answers counts and a digest; the per-person rows stay in SQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.hr import TalentSource
from activities.ledger_items import append_items
from activities.talent_contracts import (
    CutoffRequest,
    CutoffResult,
    FinalResult,
    GateRequest,
    PublishRequest,
    RecordTalentReview,
    ScoreRequest,
    SuccessionRequest,
    TalentReviewRecords,
    Tally,
)
from domain.ledger import Actor
from domain.talent.records import Population
from domain.talent.rulebook import get_talent_rulebook
from store.ledger_writer import LedgerWriter, writer_for
from store.talent import objections, people, reviews, succession

log = structlog.get_logger(__name__)
SYSTEM = Actor(id="system:talent", role="system")
# How many unreadable rows a cut-off names in its answer (and so in the ledger); all are counted.
NAMED_ERRORS = 20


class TalentActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        source: TalentSource,
        writer: LedgerWriter | None = None,
    ) -> None:
        self._sessions = sessions
        self._source = source
        self._writer = writer or writer_for(sessions)

    @activity.defn(name="record_talent_review_batch")
    async def record_talent_review_batch(self, req: TalentReviewRecords) -> int:
        """Entries in decision order with the read model, in one transaction."""
        return await append_items(self._writer, req.items, before=_view)

    @activity.defn(name="record_talent_review")
    async def record_talent_review(self, req: RecordTalentReview) -> int:
        """One entry (the outbox's legacy path; new runs write batches)."""
        return await append_items(self._writer, [req], before=_view)

    @activity.defn(name="talent_cutoff")
    async def cutoff(self, req: CutoffRequest) -> CutoffResult:
        """Read the population from the HR source as of now, the review's data cut-off."""
        population = Population.model_validate(req.population)
        batch = await self._source.talent_records(population.agencies)
        included = [r for r in batch.records if population.includes(r)]
        async with self._sessions() as session, session.begin():
            stored = await people.cut_off(session, req.process_id, included, batch.errors)
        log.info("talent.cut_off", process_id=req.process_id, included=stored["included"])
        return CutoffResult(
            read=len(batch.records) + len(batch.errors),
            included=stored["included"],
            outside=len(batch.records) - len(included),
            row_errors=len(batch.errors),
            errors_named=batch.errors[:NAMED_ERRORS],
            digest=stored["digest"],
        )

    @activity.defn(name="talent_score")
    async def score(self, req: ScoreRequest) -> Tally:
        async with self._sessions() as session, session.begin():
            return Tally(data=await people.score_all(session, req.process_id, req.cutoff_date))

    @activity.defn(name="talent_close_calibration")
    async def close_calibration(self, req: GateRequest) -> Tally:
        async with self._sessions() as session, session.begin():
            return Tally(data=await people.close_calibration(session, req.process_id))

    @activity.defn(name="talent_publish")
    async def publish(self, req: PublishRequest) -> Tally:
        async with self._sessions() as session, session.begin():
            return Tally(data=await people.publish(session, req.process_id, req.closes_at))

    @activity.defn(name="talent_close_objections")
    async def close_objections(self, req: GateRequest) -> Tally:
        async with self._sessions() as session, session.begin():
            return Tally(data=await objections.close_window(session, req.process_id))

    @activity.defn(name="talent_finalize")
    async def finalize(self, req: GateRequest) -> FinalResult:
        now = datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            return FinalResult.model_validate(
                await objections.finalize(session, req.process_id, now)
            )

    @activity.defn(name="talent_refresh_succession")
    async def refresh_succession(self, req: SuccessionRequest) -> Tally:
        """Every critical post of the population's agencies, from their pools as they now stand."""
        rb = get_talent_rulebook(req.rulebook_version)
        actor = Actor(id=req.process_id, role="system")
        now = datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            await reviews.lock(session, req.process_id)
            found = await succession.refresh_agencies(
                session, req.agencies, rb, on=req.on, cause=req.process_id, actor=actor, now=now
            )
        return Tally(data=found)


async def _view(session: AsyncSession, req: RecordTalentReview, now: datetime) -> None:
    # The view first: it takes the review's lock before the ledger heads (the writers' one order).
    await reviews.write_view(session, req.process_id, req.view, now)

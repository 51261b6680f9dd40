"""Review side effects: picking reviewers from a body's roster, and recording the review."""

from __future__ import annotations

import random
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.contracts import (
    AssignRequest,
    AssignResult,
    RecordReview,
    ReviewRecords,
    RosterRequest,
)
from activities.ledger_items import append_items
from domain.review import RosterSnapshot, accreditation_ok
from store import review_effects, reviews
from store.ledger_writer import Appended, LedgerWriter, Tx, writer_for

log = structlog.get_logger(__name__)
_rng = random.SystemRandom()


class ReviewActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writer: LedgerWriter | None = None
    ) -> None:
        self._sessions = sessions
        self._writer = writer or writer_for(sessions)

    @activity.defn(name="assign_reviewers")
    async def assign_reviewers(self, req: AssignRequest) -> AssignResult:
        """Up to ``count`` reviewers of the body, none excluded and none with a declared conflict
        with a person in the subject; chosen at random so no one can predict who reviews."""
        async with self._sessions() as session:
            body = await reviews.get_body(session, req.body_code)
            if body is None or not body.active:
                return AssignResult(
                    problem="body_not_found", detail=f"No active review body {req.body_code}."
                )
            if body.kind != req.body_kind:
                return AssignResult(
                    problem="wrong_body_kind",
                    detail=f"{body.code} is a {body.kind} body; this review needs {req.body_kind}.",
                )
            if not accreditation_ok(body.accreditation_level, req.required_accreditation):
                return AssignResult(
                    problem="accreditation_insufficient",
                    detail=f"{body.code} is accredited {body.accreditation_level or 'not at all'}; "
                    f"this review needs {req.required_accreditation} or better.",
                )
            candidates = [
                r.id
                for r in await reviews.roster(session, req.body_code)
                if r.id not in req.exclude
            ]
            conflicted = await reviews.conflicted_reviewers(session, candidates, req.persons)
        free = [c for c in candidates if c not in conflicted]
        chosen = _rng.sample(free, k=min(req.count, len(free)))
        log.info(
            "review.assigned", review_id=req.review_id, chosen=len(chosen), available=len(free)
        )
        return AssignResult(
            reviewer_ids=sorted(chosen), head_reviewer_id=body.head_reviewer_id, available=len(free)
        )

    @activity.defn(name="record_review")
    async def record_review(self, req: RecordReview) -> int:
        """One entry (runs from before batches). Returns its seq."""
        return await append_items(self._writer, [req], effects=apply_review)

    @activity.defn(name="record_review_batch")
    async def record_review_batch(self, req: ReviewRecords) -> int:
        """Entries in decision order with the read model, together. Returns the last seq."""
        return await append_items(self._writer, req.items, effects=apply_review)


def apply_review(tx: Tx, req: RecordReview, _row: Appended, now: datetime) -> None:
    """The review's read model, seats and declared conflicts, deferred in the writer's
    transaction (``store/review_effects.py``)."""
    seats = [s.model_dump() for s in req.seats]
    review_effects.save_review(tx, req.review_id, req.view.model_dump(), seats, now=now)
    if req.conflict is not None:
        c = req.conflict
        review_effects.add_conflicts(
            tx, c.reviewer_id, c.persons, reason=c.reason, review_id=req.review_id, now=now
        )


class RosterActivities:
    """The roster a process assigns its own reviewers from, read once (when its start did not
    carry it)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn(name="load_review_roster")
    async def load_review_roster(self, req: RosterRequest) -> RosterSnapshot:
        async with self._sessions() as session:
            return await reviews.roster_snapshot(session, req.body_code, req.persons)

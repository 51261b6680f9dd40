"""The people of a talent review: cut-off, scores, calibration, publication.

The cut-off, the scoring and the publication are the review's activities (whole population at
once, counts and a digest back to the workflow); a declaration and a calibration move are the
committee's writes through the action pipeline, each checking its gate under the review's lock and
appending its own ledger entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound, WrongStage
from domain.processes import ProcessKind
from domain.talent import committee
from domain.talent.committee import Stage
from domain.talent.explanation import digest, person_explanation
from domain.talent.records import TalentRecord
from domain.talent.rulebook import TalentRulebook, get_talent_rulebook
from domain.talent.scoring import Scored, Unscorable, score
from store.stamped import Stamp, append, written
from store.talent.reviews import lock
from store.talent_models import TalentDeclaration, TalentPerson, TalentReview

KIND = ProcessKind.TALENT_REVIEW


def seat_of(review: TalentReview, member_id: str) -> str | None:
    return next((m["seat"] for m in review.committee if m["id"] == member_id), None)


# People are read, changed and written a chunk at a time, and let go of after each: a province's
# review (100,000 people) never holds every row in memory at once.
CHUNK = 1000


async def _people(session: AsyncSession, process_id: str) -> list[TalentPerson]:
    stmt = select(TalentPerson).where(TalentPerson.process_id == process_id)
    return list((await session.scalars(stmt.order_by(TalentPerson.nip))).all())


async def chunks(session: AsyncSession, process_id: str) -> AsyncIterator[list[TalentPerson]]:
    """The review's people in NIP order, ``CHUNK`` at a time; each chunk's changes are flushed and
    its rows let go of before the next is read."""
    after = ""
    while True:
        stmt = (
            select(TalentPerson)
            .where(TalentPerson.process_id == process_id, TalentPerson.nip > after)
            .order_by(TalentPerson.nip)
            .limit(CHUNK)
        )
        rows = list((await session.scalars(stmt)).all())
        if not rows:
            return
        yield rows
        await session.flush()
        for row in rows:
            session.expunge(row)
        after = rows[-1].nip


# ---- cut-off and scoring (activities) --------------------------------------------------------------


async def cut_off(
    session: AsyncSession,
    process_id: str,
    records: Sequence[TalentRecord],
    row_errors: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """Store the population's records as of the cut-off, and the rows the source could not give.

    Once done (``cut_off``) a retry changes nothing and answers the stored counts: the source may
    have moved since, the cut-off has not.
    """
    review = await lock(session, process_id)
    if not review.cut_off:
        session.add_all(
            TalentPerson(
                process_id=process_id,
                nip=r.nip,
                agency=r.agency,
                name=r.name,
                record=r.model_dump(mode="json"),
            )
            for r in records
        )
        review.cut_off = True
        await session.flush()
    inputs = [
        {"nip": p.nip, "record": p.record} async for c in chunks(session, process_id) for p in c
    ]
    return {"included": len(inputs), "row_errors": len(row_errors), "digest": digest(inputs)}


async def score_all(session: AsyncSession, process_id: str, cutoff: date) -> dict[str, Any]:
    """Score everyone by the review's rulebook; who cannot be scored is excluded with why."""
    review = await lock(session, process_id)
    rb = get_talent_rulebook(review.rulebook_version)
    boxes: Counter[int] = Counter()
    excluded: Counter[str] = Counter()
    bound = []
    async for chunk in chunks(session, process_id):
        for p in chunk:
            assert p.record is not None
            try:
                s = score(TalentRecord.model_validate(p.record), rb, cutoff)
            except Unscorable as err:
                p.excluded_code, p.excluded_reason = err.code, err.message
                excluded[err.code] += 1
                continue
            p.scores = s.model_dump(mode="json")
            p.talent_score, p.computed_box, p.box = s.talent_score, s.box, s.box
            boxes[s.box] += 1
            bound.append({"nip": p.nip, "box": s.box, "talent_score": s.talent_score})
    return {
        "scored": len(bound),
        "excluded": sum(excluded.values()),
        "excluded_by_reason": dict(excluded),
        "boxes": {str(b): boxes[b] for b in range(1, 10)},
        "digest": digest(bound),
    }


# ---- the committee's writes (actions) ---------------------------------------------------------------


async def require_person(session: AsyncSession, process_id: str, nip: str) -> TalentPerson:
    row = await session.get(TalentPerson, (process_id, nip), populate_existing=True)
    if row is None:
        raise NotFound(f"{nip} is not in this review.", code="not_in_review", field="nip")
    return row


async def conflicts_of(session: AsyncSession, process_id: str, member_id: str) -> set[str] | None:
    """The NIPs ``member_id`` declared a conflict with; None if they have not declared."""
    row = await session.get(TalentDeclaration, (process_id, member_id), populate_existing=True)
    return set(row.conflicted) if row is not None else None


async def declare(
    session: AsyncSession,
    process_id: str,
    *,
    conflicted: Sequence[str],
    reason: str,
    stamp: Stamp,
) -> TalentDeclaration:
    """A member's declaration; a later one only adds NIPs (a conflict is never withdrawn)."""
    review = await lock(session, process_id)
    row = await session.get(TalentDeclaration, (process_id, stamp.actor.id))
    if await written(session, stamp):
        assert row is not None
        return row
    committee.require_stage(
        review.stage, {Stage.CUTOFF, Stage.CALIBRATION, Stage.OBJECTION, Stage.ANSWERING}, "declare"
    )
    committee.require_member(stamp.actor, seat_of(review, stamp.actor.id), "declare")
    before = set(row.conflicted) if row is not None else set()
    after = sorted(before | set(conflicted))
    if row is None:
        row = TalentDeclaration(
            process_id=process_id, member_id=stamp.actor.id, declared_at=stamp.now
        )
        session.add(row)
    row.conflicted, row.reason = after, reason
    await session.flush()
    await _append(
        session,
        review,
        stamp,
        "talent.conflicts_declared",
        None,
        {"conflicted": after, "added": sorted(set(after) - before)},
        reason,
    )
    return row


async def calibrate(
    session: AsyncSession,
    process_id: str,
    nip: str,
    *,
    to_box: int,
    justification: str | None,
    stamp: Stamp,
) -> TalentPerson:
    """A committee member moves one person to another box at the calibration meeting."""
    review = await lock(session, process_id)
    if await written(session, stamp):
        return await require_person(session, process_id, nip)
    committee.require_stage(review.stage, Stage.CALIBRATION, "calibrate")
    if not review.calibration_open:
        raise WrongStage("Calibration is closed.", code="calibration_closed")
    committee.require_member(stamp.actor, seat_of(review, stamp.actor.id), "calibrate")
    conflicted = await conflicts_of(session, process_id, stamp.actor.id)
    committee.check_conflict(stamp.actor, conflicted is not None, conflicted or set(), nip)
    person = await require_person(session, process_id, nip)
    rb = get_talent_rulebook(review.rulebook_version)
    committee.check_move(rb, current_box=person.box, to_box=to_box, justification=justification)
    before = person.box
    person.box, person.moved_by, person.move_justification = to_box, stamp.actor.id, justification
    await session.flush()
    payload = {
        "nip": nip,
        "from_box": before,
        "to_box": to_box,
        "computed_box": person.computed_box,
    }
    await _append(session, review, stamp, "talent.calibrated", nip, payload, justification)
    return person


async def _append(
    session: AsyncSession,
    review: TalentReview,
    stamp: Stamp,
    kind: str,
    subject: str | None,
    payload: dict[str, Any],
    justification: str | None,
) -> None:
    await append(
        session,
        stamp,
        process_id=review.process_id,
        process_kind=KIND,
        kind=kind,
        agency=review.agency,
        stage=review.stage,
        subject=subject,
        payload=payload,
        justification=justification,
        rulebook_version=review.rulebook_version,
    )


# ---- closing calibration and publishing (activities) ------------------------------------------------


async def close_calibration(session: AsyncSession, process_id: str) -> dict[str, Any]:
    review = await lock(session, process_id)
    review.calibration_open = False
    moved = select(func.count()).where(
        TalentPerson.process_id == process_id, TalentPerson.moved_by.is_not(None)
    )
    return {"moved": int((await session.execute(moved)).scalar_one())}


def _calibration(p: TalentPerson) -> dict[str, Any] | None:
    if p.moved_by is None:
        return None
    return {
        "from": p.computed_box,
        "to": p.box,
        "by": p.moved_by,
        "justification": p.move_justification,
    }


async def publish(session: AsyncSession, process_id: str, closes_at: datetime) -> dict[str, Any]:
    """Each scored person's box becomes public with its explanation; the objection window opens."""
    review = await lock(session, process_id)
    rb = get_talent_rulebook(review.rulebook_version)
    boxes: Counter[int] = Counter()
    bound = []
    review.objections_close_at = closes_at
    await session.flush()
    async for chunk in chunks(session, process_id):
        for p in chunk:
            if p.scores is None or p.box is None:
                continue
            p.published_box = p.box
            p.explanation = person_explanation(
                Scored.model_validate(p.scores), rb, final_box=p.box, calibration=_calibration(p)
            )
            boxes[p.box] += 1
            bound.append({"nip": p.nip, "box": p.box})
    return {
        "published": len(bound),
        "boxes": {str(b): boxes[b] for b in range(1, 10)},
        "digest": digest(bound),
    }


def explain_with(rb: TalentRulebook, p: TalentPerson, objection: dict[str, Any] | None) -> None:
    """Rebuild ``p``'s explanation for its final box (after an objection's answer)."""
    assert p.scores is not None
    assert p.final_box is not None
    p.explanation = person_explanation(
        Scored.model_validate(p.scores),
        rb,
        final_box=p.final_box,
        calibration=_calibration(p),
        objection=objection,
    )

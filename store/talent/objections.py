"""Objections to a published box, the committee's answers, and the final pool.

An employee files (their own NIP, once, while the window is open); a committee member who declared
and is not conflicted with them answers, upholding (with the new box) or rejecting, always with a
reason. Closing the window and establishing the pool are the review's activities: they move the
gate in the transaction that counts, so no objection or answer slips in after.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound, WrongStage
from domain.talent import committee
from domain.talent.committee import Stage
from domain.talent.explanation import digest
from domain.talent.rulebook import TalentRulebook, get_talent_rulebook
from store.stamped import Stamp, written
from store.talent.people import _append, _people, chunks, conflicts_of, explain_with, seat_of
from store.talent.records import replace_pool_of_review
from store.talent.reviews import lock
from store.talent_models import PoolMember, TalentObjection, TalentPerson, TalentReview

# How many unanswered objections a refusal names; its count is always in full.
NAMED = 10


async def file(
    session: AsyncSession, process_id: str, *, grounds: str, stamp: Stamp
) -> TalentObjection:
    """The employee (their NIP is their subject) objects to their published box."""
    review = await lock(session, process_id)
    nip = stamp.actor.id
    found = await session.get(TalentObjection, (process_id, nip), populate_existing=True)
    if await written(session, stamp):
        assert found is not None
        return found
    committee.require_stage(review.stage, Stage.OBJECTION, "object")
    person = await session.get(TalentPerson, (process_id, nip), populate_existing=True)
    committee.check_objection(
        filer=stamp.actor,
        nip=nip,
        published_box=person.published_box if person is not None else None,
        closes_at=None if review.objections_closed else review.objections_close_at,
        now=stamp.now,
        already=found is not None,
    )
    assert person is not None
    objection = TalentObjection(
        process_id=process_id, nip=nip, grounds=grounds, filed_at=stamp.now, status="filed"
    )
    session.add(objection)
    await session.flush()
    payload = {"nip": nip, "published_box": person.published_box}
    await _append(session, review, stamp, "talent.objection_filed", nip, payload, grounds)
    return objection


async def answer(
    session: AsyncSession,
    process_id: str,
    nip: str,
    *,
    uphold: bool,
    new_box: int | None,
    reason: str | None,
    stamp: Stamp,
) -> TalentObjection:
    review = await lock(session, process_id)
    found = await session.get(TalentObjection, (process_id, nip), populate_existing=True)
    if await written(session, stamp):
        assert found is not None
        return found
    committee.require_stage(review.stage, {Stage.OBJECTION, Stage.ANSWERING}, "answer objections")
    if review.finalized:
        raise WrongStage("The pool is established; no answer can change it.", code="finalized")
    committee.require_member(stamp.actor, seat_of(review, stamp.actor.id), "answer objections")
    conflicted = await conflicts_of(session, process_id, stamp.actor.id)
    committee.check_conflict(stamp.actor, conflicted is not None, conflicted or set(), nip)
    if found is None:
        raise NotFound(f"{nip} has filed no objection.", code="objection_not_found", field="nip")
    if found.status != "filed":
        raise WrongStage(f"The objection of {nip} was already answered.", code="already_answered")
    person = await session.get(TalentPerson, (process_id, nip), populate_existing=True)
    assert person is not None
    assert person.published_box is not None
    rb = get_talent_rulebook(review.rulebook_version)
    committee.check_answer(
        rb, uphold=uphold, published_box=person.published_box, new_box=new_box, reason=reason
    )
    found.status = "upheld" if uphold else "rejected"
    found.answer, found.new_box = reason, new_box
    found.answered_by, found.answered_at = stamp.actor.id, stamp.now
    await session.flush()
    payload = {
        "nip": nip,
        "upheld": uphold,
        "published_box": person.published_box,
        "new_box": new_box,
    }
    await _append(session, review, stamp, "talent.objection_answered", nip, payload, reason)
    return found


async def close_window(session: AsyncSession, process_id: str) -> dict[str, Any]:
    review = await lock(session, process_id)
    review.objections_closed = True
    return await tally(session, process_id)


async def tally(session: AsyncSession, process_id: str) -> dict[str, Any]:
    stmt = (
        select(TalentObjection.status, func.count())
        .where(TalentObjection.process_id == process_id)
        .group_by(TalentObjection.status)
    )
    counts = {status: int(n) for status, n in (await session.execute(stmt)).all()}
    return {
        "objections": sum(counts.values()),
        "unanswered": counts.get("filed", 0),
        "upheld": counts.get("upheld", 0),
        "rejected": counts.get("rejected", 0),
    }


async def unanswered(session: AsyncSession, process_id: str) -> list[str]:
    stmt = (
        select(TalentObjection.nip)
        .where(TalentObjection.process_id == process_id, TalentObjection.status == "filed")
        .order_by(TalentObjection.nip)
        .limit(NAMED)
    )
    return list((await session.scalars(stmt)).all())


async def finalize(session: AsyncSession, process_id: str, now: datetime) -> dict[str, Any]:
    """Every final box (an upheld objection's new box, else the published one) and the pool.

    Refused while an objection is unanswered (``unanswered`` names them); once done, the gate
    (``finalized``) keeps answers out and a retry answers the same counts.
    """
    review = await lock(session, process_id)
    counts = await tally(session, process_id)
    if counts["unanswered"]:
        return counts | {"named": await unanswered(session, process_id)}
    rb = get_talent_rulebook(review.rulebook_version)
    objections = {
        o.nip: o
        for o in (
            await session.scalars(
                select(TalentObjection).where(TalentObjection.process_id == process_id)
            )
        ).all()
    }
    finalized, review.finalized = review.finalized, True
    await session.flush()
    pool: list[dict[str, Any]] = []
    async for chunk in chunks(session, process_id):
        people = [p for p in chunk if p.published_box is not None]
        if not finalized:
            await _final_boxes(session, rb, people, objections, now)
        pool += [{"nip": p.nip, "box": p.final_box} for p in people if p.final_box in rb.pool_boxes]
    return counts | {"pool": len(pool), "digest": digest(pool)}


async def _final_boxes(
    session: AsyncSession,
    rb: TalentRulebook,
    people: list[TalentPerson],
    objections: dict[str, TalentObjection],
    now: datetime,
) -> None:
    """One chunk's final boxes (an upheld objection's new box, else the published one), and its
    place in the pool: the chunk's people leave the pool, its boxes 7-9 join it."""
    for p in people:
        o = objections.get(p.nip)
        p.final_box = o.new_box if o is not None and o.status == "upheld" else p.published_box
        if o is not None:
            explain_with(rb, p, {"status": o.status, "answer": o.answer, "new_box": o.new_box})
    members = [
        PoolMember(
            agency=p.agency,
            nip=p.nip,
            name=p.name,
            box=p.final_box,
            talent_score=p.talent_score,
            review_id=p.process_id,
            record=p.record,
            joined_at=now,
        )
        for p in people
        if p.final_box in rb.pool_boxes
    ]
    await replace_pool_of_review(session, [p.nip for p in people], members)


async def pool_rows(session: AsyncSession, process_id: str) -> list[dict[str, Any]]:
    """The review's final pool as the explanation recomputes its digest: (nip, box) by NIP."""
    review = await session.get(TalentReview, process_id)
    if review is None:
        return []
    boxes = get_talent_rulebook(review.rulebook_version).pool_boxes
    return [
        {"nip": p.nip, "box": p.final_box}
        for p in await _people(session, process_id)
        if p.final_box in boxes
    ]

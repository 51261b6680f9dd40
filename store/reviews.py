"""Queries of third-party review: roster, conflicts, the review read model and its seats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.review import BodyKind, RosterSnapshot
from store.repositories import _insert
from store.review_models import ReviewBody, Reviewer, ReviewerConflict, ReviewSeat, ReviewView


async def upsert_body(session: AsyncSession, values: dict[str, Any], *, now: datetime) -> None:
    stmt = _insert(session, ReviewBody).values(**values, created_at=now)
    update = {k: stmt.excluded[k] for k in values if k != "code"}
    await session.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=update))


async def get_body(session: AsyncSession, code: str) -> ReviewBody | None:
    return await session.get(ReviewBody, code)


async def list_bodies(session: AsyncSession) -> Sequence[ReviewBody]:
    return (await session.scalars(select(ReviewBody).order_by(ReviewBody.code))).all()


async def upsert_reviewer(session: AsyncSession, values: dict[str, Any], *, now: datetime) -> None:
    stmt = _insert(session, Reviewer).values(**values, created_at=now)
    update = {k: stmt.excluded[k] for k in values if k != "id"}
    await session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=update))


async def get_reviewer(session: AsyncSession, reviewer_id: str) -> Reviewer | None:
    return await session.get(Reviewer, reviewer_id)


async def roster(session: AsyncSession, body_code: str) -> Sequence[Reviewer]:
    stmt = select(Reviewer).where(Reviewer.body_code == body_code, Reviewer.active.is_(True))
    return (await session.scalars(stmt.order_by(Reviewer.id))).all()


async def add_conflicts(
    session: AsyncSession,
    reviewer_id: str,
    persons: list[str],
    *,
    reason: str,
    review_id: str | None,
    now: datetime,
) -> None:
    for person in persons:
        session.add(
            ReviewerConflict(
                reviewer_id=reviewer_id,
                person_id=person,
                reason=reason,
                review_id=review_id,
                declared_at=now,
            )
        )
    await session.flush()


async def conflicted_reviewers(
    session: AsyncSession, reviewer_ids: list[str], persons: list[str]
) -> set[str]:
    if not reviewer_ids or not persons:
        return set()
    stmt = select(ReviewerConflict.reviewer_id).where(
        ReviewerConflict.reviewer_id.in_(reviewer_ids), ReviewerConflict.person_id.in_(persons)
    )
    return set((await session.scalars(stmt)).all())


async def get_review(session: AsyncSession, review_id: str) -> ReviewView | None:
    return await session.get(ReviewView, review_id)


_REVIEWS = ReviewView.__table__
_REVIEW_BY_ID = select(_REVIEWS).where(_REVIEWS.c.review_id == bindparam("review_id"))


async def review_row(session: AsyncSession, review_id: str) -> Row[Any] | None:
    """The review's read-model row as plain columns, by the attribute names of
    :class:`ReviewView`: one prebuilt Core statement, for the action pipeline, which only reads
    it (like :func:`store.repositories.promotion_row`)."""
    conn = await session.connection()
    return (await conn.execute(_REVIEW_BY_ID, {"review_id": review_id})).first()


async def seats_of(session: AsyncSession, review_id: str) -> Sequence[ReviewSeat]:
    stmt = (
        select(ReviewSeat).where(ReviewSeat.review_id == review_id).order_by(ReviewSeat.reviewer_id)
    )
    return (await session.scalars(stmt)).all()


async def list_reviews(
    session: AsyncSession,
    *,
    agency: str | None,
    status: str | None,
    subject_type: str | None,
    body_code: str | None,
    reviewer_id: str | None,
    limit: int,
    after: str | None,
) -> Sequence[ReviewView]:
    stmt = select(ReviewView)
    if agency is not None:
        stmt = stmt.where(ReviewView.agency == agency)
    if status is not None:
        stmt = stmt.where(ReviewView.status == status)
    if subject_type is not None:
        stmt = stmt.where(ReviewView.subject_type == subject_type)
    if body_code is not None:
        stmt = stmt.where(ReviewView.body_code == body_code)
    if reviewer_id is not None:
        mine = select(ReviewSeat.review_id).where(ReviewSeat.reviewer_id == reviewer_id)
        stmt = stmt.where(ReviewView.review_id.in_(mine))
    if after is not None:
        stmt = stmt.where(ReviewView.review_id > after)
    return (await session.scalars(stmt.order_by(ReviewView.review_id).limit(limit))).all()


async def open_seats_for(
    session: AsyncSession, reviewer_id: str
) -> Sequence[tuple[ReviewSeat, ReviewView]]:
    stmt = (
        select(ReviewSeat, ReviewView)
        .join(ReviewView, ReviewView.review_id == ReviewSeat.review_id)
        .where(
            ReviewSeat.reviewer_id == reviewer_id, ReviewSeat.status.in_(("assigned", "declared"))
        )
        .where(ReviewView.status == "open")
    )
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def escalated_to_head(session: AsyncSession, head_id: str) -> Sequence[ReviewView]:
    stmt = select(ReviewView).where(
        ReviewView.head_reviewer_id == head_id,
        ReviewView.escalated.is_(True),
        ReviewView.status == "open",
    )
    return (await session.scalars(stmt)).all()


async def roster_snapshot(
    session: AsyncSession, body_code: str, persons: list[str]
) -> RosterSnapshot:
    """A body, its active roster and their standing conflicts with ``persons``, read together."""
    body = await get_body(session, body_code)
    if body is None or not body.active:
        return RosterSnapshot(body_code=body_code, found=False)
    ids = [r.id for r in await roster(session, body_code)]
    pairs: list[tuple[str, str]] = []
    if ids and persons:
        stmt = select(ReviewerConflict.reviewer_id, ReviewerConflict.person_id).where(
            ReviewerConflict.reviewer_id.in_(ids), ReviewerConflict.person_id.in_(persons)
        )
        pairs = sorted({(r, p) for r, p in (await session.execute(stmt)).all()})
    return RosterSnapshot(
        body_code=body_code,
        body_kind=BodyKind(body.kind),
        accreditation_level=body.accreditation_level,
        head_reviewer_id=body.head_reviewer_id,
        reviewers=ids,
        conflicts=pairs,
    )

"""An agency's talent records: the HR inputs (Meritflow's own source), the approval, the critical
posts, the pool and the succession plans. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.talent.filling import Approval
from domain.talent.records import TalentRecord
from domain.talent.succession import CriticalPost as Post
from domain.talent.succession import PoolMember as Member
from domain.talent.succession import Successor
from store.repositories import _insert
from store.talent_models import (
    CriticalPost,
    PoolMember,
    SuccessionEntry,
    TalentApproval,
    TalentProfile,
)

# SQLite binds at most 32,766 variables per statement: rows go in chunks.
CHUNK = 500


# ---- HR inputs --------------------------------------------------------------------------------------


async def upsert_profiles(
    session: AsyncSession, records: Sequence[TalentRecord], now: datetime
) -> int:
    for start in range(0, len(records), CHUNK):
        rows = [
            {
                "nip": r.nip,
                "agency": r.agency,
                "record": r.model_dump(mode="json"),
                "updated_at": now,
            }
            for r in records[start : start + CHUNK]
        ]
        stmt = _insert(session, TalentProfile).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["nip"],
            set_={
                "agency": stmt.excluded.agency,
                "record": stmt.excluded.record,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        await session.execute(stmt)
    return len(records)


async def profiles_of(session: AsyncSession, agencies: Sequence[str]) -> list[dict[str, object]]:
    """The stored records (as JSON) of every employee of ``agencies``, in NIP order."""
    stmt = (
        select(TalentProfile.record)
        .where(TalentProfile.agency.in_(list(agencies)))
        .order_by(TalentProfile.nip)
    )
    return list((await session.scalars(stmt)).all())


async def get_profile(session: AsyncSession, nip: str) -> TalentRecord | None:
    row = await session.get(TalentProfile, nip)
    return TalentRecord.model_validate(row.record) if row is not None else None


# ---- the approval ---------------------------------------------------------------------------------


async def record_approval(
    session: AsyncSession, approval: Approval, by: str, now: datetime
) -> TalentApproval:
    row = TalentApproval(
        agency=approval.agency,
        data=approval.model_dump(mode="json"),
        recorded_by=by,
        recorded_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def current_approval(session: AsyncSession, agency: str) -> Approval | None:
    stmt = (
        select(TalentApproval.data)
        .where(TalentApproval.agency == agency)
        .order_by(TalentApproval.recorded_at.desc(), TalentApproval.id.desc())
        .limit(1)
    )
    data = (await session.scalars(stmt)).first()
    return Approval.model_validate(data) if data is not None else None


# ---- critical posts and succession plans -----------------------------------------------------------


def _post(row: CriticalPost) -> Post:
    return Post(
        agency=row.agency,
        post_id=row.post_id,
        title=row.title,
        post_level=row.post_level,
        job_family=row.job_family,
    )


async def mark_post(
    session: AsyncSession, post: Post, *, critical: bool, by: str, now: datetime
) -> None:
    stmt = _insert(session, CriticalPost).values(
        agency=post.agency,
        post_id=post.post_id,
        title=post.title,
        post_level=post.post_level,
        job_family=post.job_family,
        critical=critical,
        marked_by=by,
        updated_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["agency", "post_id"],
        set_={
            k: stmt.excluded[k]
            for k in ("title", "post_level", "job_family", "critical", "marked_by", "updated_at")
        },
    )
    await session.execute(stmt)


async def get_post(session: AsyncSession, agency: str, post_id: str) -> Post | None:
    row = await session.get(CriticalPost, (agency, post_id))
    return _post(row) if row is not None and row.critical else None


async def critical_posts(session: AsyncSession, agency: str) -> list[Post]:
    stmt = (
        select(CriticalPost)
        .where(CriticalPost.agency == agency, CriticalPost.critical.is_(True))
        .order_by(CriticalPost.post_id)
    )
    return [_post(r) for r in (await session.scalars(stmt)).all()]


async def plan_of(session: AsyncSession, agency: str, post_id: str) -> list[Successor]:
    stmt = (
        select(SuccessionEntry.data)
        .where(SuccessionEntry.agency == agency, SuccessionEntry.post_id == post_id)
        .order_by(SuccessionEntry.rank)
    )
    return [Successor.model_validate(d) for d in (await session.scalars(stmt)).all()]


async def replace_plan(
    session: AsyncSession, agency: str, post_id: str, plan: Sequence[Successor], now: datetime
) -> None:
    await session.execute(
        delete(SuccessionEntry).where(
            SuccessionEntry.agency == agency, SuccessionEntry.post_id == post_id
        )
    )
    session.add_all(
        SuccessionEntry(
            agency=agency,
            post_id=post_id,
            rank=s.rank,
            nip=s.nip,
            data=s.model_dump(mode="json"),
            refreshed_at=now,
        )
        for s in plan
    )
    await session.flush()


# ---- the pool -------------------------------------------------------------------------------------


async def pool_of(session: AsyncSession, agency: str) -> list[Member]:
    stmt = select(PoolMember).where(PoolMember.agency == agency).order_by(PoolMember.nip)
    return [
        Member(
            nip=r.nip,
            name=r.name,
            box=r.box,
            talent_score=r.talent_score,
            review_id=r.review_id,
            record=TalentRecord.model_validate(r.record),
        )
        for r in (await session.scalars(stmt)).all()
    ]


async def replace_pool_of_review(
    session: AsyncSession,
    nips: Sequence[str],
    members: Sequence[PoolMember],
) -> None:
    """The review's people leave the pool (``nips``), then its members (boxes 7-9) join it."""
    for start in range(0, len(nips), CHUNK):
        await session.execute(
            delete(PoolMember).where(PoolMember.nip.in_(nips[start : start + CHUNK]))
        )
    session.add_all(members)
    await session.flush()

"""Applicants: registration one by one or in a batch, gated by the registration window."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound, RuleViolation
from domain.selection.applicants import duplicates, refuse_duplicates
from domain.selection.registration import check_registration_open
from domain.selection.screening import ApplicantProfile
from store.selection_models import Selection, SelectionApplicant
from store.selections.entries import Stamp, append, digest, written
from store.selections.rows import lock

SOURCES = frozenset({"api", "csv"})


async def get_applicant(
    session: AsyncSession, process_id: str, applicant_id: str
) -> SelectionApplicant | None:
    return await session.get(SelectionApplicant, (process_id, applicant_id))


async def require_applicant(
    session: AsyncSession, sel: Selection, applicant_id: str
) -> SelectionApplicant:
    row = await session.get(
        SelectionApplicant, (sel.process_id, applicant_id), populate_existing=True
    )
    if row is None:
        raise NotFound(
            f"No applicant {applicant_id!r} in selection {sel.code}.",
            code="applicant_not_found",
            applicant_id=applicant_id,
        )
    return row


async def list_applicants(
    session: AsyncSession,
    process_id: str,
    *,
    limit: int,
    after: str | None = None,
    undecided_only: bool = False,
) -> list[SelectionApplicant]:
    """A page of applicants in id order, after the applicant id ``after``."""
    stmt = select(SelectionApplicant).where(SelectionApplicant.process_id == process_id)
    if after is not None:
        stmt = stmt.where(SelectionApplicant.applicant_id > after)
    if undecided_only:
        stmt = stmt.where(SelectionApplicant.decision.is_(None))
    stmt = stmt.order_by(SelectionApplicant.applicant_id).limit(limit)
    return list((await session.scalars(stmt)).all())


async def count_applicants(session: AsyncSession, process_id: str) -> int:
    stmt = select(func.count()).where(SelectionApplicant.process_id == process_id)
    return int((await session.execute(stmt)).scalar_one())


def as_profile(a: SelectionApplicant) -> ApplicantProfile:
    return ApplicantProfile(
        applicant_id=a.applicant_id,
        nip=a.nip,
        name=a.name,
        degree=a.degree,
        years_experience=a.years_experience,
        years_senior_post=a.years_senior_post,
        birth_date=a.birth_date,
        grade=a.grade,
        sanction_active=a.sanction_active,
        posts=list(a.posts),
    )


def _row(process_id: str, p: ApplicantProfile, *, source: str, stamp: Stamp) -> dict[str, Any]:
    return {
        "process_id": process_id,
        **p.model_dump(),
        "posts": list(p.posts),
        "source": source,
        "registered_at": stamp.now,
        "registered_by": stamp.actor.id,
    }


async def register_applicant(
    session: AsyncSession, process_id: str, profile: ApplicantProfile, *, source: str, stamp: Stamp
) -> SelectionApplicant:
    """Register one applicant during the registration window (ledger: ``applicant.registered``)."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {sorted(SOURCES)}")
    sel = await lock(session, process_id)
    if await written(session, stamp):
        return await require_applicant(session, sel, profile.applicant_id)
    check_registration_open(
        sel.stage, sel.registration_closes_at, sel.registration_counted_at, stamp.now
    )
    found = duplicates(await _registered(session, process_id), [profile])
    refuse_duplicates(sel.code, found, batch=False)
    row = SelectionApplicant(**_row(process_id, profile, source=source, stamp=stamp))
    session.add(row)
    await session.flush()
    payload = {"applicant_id": profile.applicant_id, "source": source, "digest": digest([profile])}
    await append(
        session, sel, stamp, kind="applicant.registered", subject=profile.applicant_id,
        payload=payload,
    )  # fmt: skip
    return row


async def import_applicants(
    session: AsyncSession, process_id: str, profiles: list[ApplicantProfile], *, stamp: Stamp
) -> int:
    """Register a batch (a CSV file), all or nothing; one ledger entry ``applicants.imported``.

    Any duplicate applicant id or NIP, within the batch or against those registered, refuses the
    whole batch with ``applicant_exists``, naming every duplicate (``details["duplicates"]``, each
    with its 0-based ``index`` in ``profiles``).
    """
    sel = await lock(session, process_id)
    done = await written(session, stamp)
    if done is not None:
        return int(done.payload["count"])
    check_registration_open(
        sel.stage, sel.registration_closes_at, sel.registration_counted_at, stamp.now
    )
    if not profiles:
        raise RuleViolation(
            f"The import into selection {sel.code} lists no applicant; nothing was imported.",
            code="empty_import",
            field="body",
        )
    found = duplicates(await _registered(session, process_id), profiles)
    refuse_duplicates(sel.code, found, batch=True)
    rows = [_row(process_id, p, source="csv", stamp=stamp) for p in profiles]
    await session.execute(insert(SelectionApplicant), rows)
    payload = {
        "count": len(profiles),
        "applicant_ids": [p.applicant_id for p in profiles],
        "digest": digest(profiles),
    }
    await append(session, sel, stamp, kind="applicants.imported", subject=None, payload=payload)
    return len(profiles)


async def _registered(session: AsyncSession, process_id: str) -> dict[str, str | None]:
    """Applicant id -> NIP of everyone registered, read under the caller's lock."""
    stmt = select(SelectionApplicant.applicant_id, SelectionApplicant.nip).where(
        SelectionApplicant.process_id == process_id
    )
    return {row.applicant_id: row.nip for row in (await session.execute(stmt)).all()}

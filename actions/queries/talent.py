"""Talent management as a principal may read it (the JSON API and the console share these).

The committee, agency HR, the appointing authority and auditors read their agency's reviews and
everyone in them; an employee reads their own box and why, and their own objection, in any review
whose population includes their agency, and nothing of anyone else.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.schemas.reviews import Task
from actions.schemas.talent import (
    ApprovalRead,
    CriticalPostRead,
    ObjectionRead,
    PeoplePage,
    PersonRead,
    PoolRead,
    TalentAppointmentRead,
    TalentReviewRead,
)
from actions.services import Services
from actions.talent.common import (
    READERS,
    appointment_read,
    objection_read,
    person_read,
    sees_agency,
    sees_review,
    to_read,
)
from domain.enums import Role
from domain.errors import NotFound, NotPermitted
from domain.explanation import LedgerCheck
from domain.talent.explanation import TalentExplanation, explain
from domain.talent.filling import approval_checks
from domain.talent.rulebook import DEFAULT_TALENT_RULEBOOK, get_talent_rulebook
from infra.tokens import Principal
from store import audit, ledger
from store.reads import reading
from store.talent import appointments, records, reviews
from store.talent.objections import pool_rows
from store.talent_models import (
    TalentObjection,
    TalentPerson,
    TalentReview,
)


def _readers(principal: Principal) -> None:
    if principal.role not in READERS:
        raise NotPermitted(
            f"The role '{principal.role}' may not read a review's people.", code="forbidden_role"
        )


async def _review(services: Services, principal: Principal, process_id: str) -> TalentReview:
    async with reading(services.sessions) as session:
        row = await reviews.get(session, process_id)
    if row is None or not sees_review(principal, row):
        raise NotFound(f"No talent review '{process_id}' is visible to you.")
    return row


async def review(services: Services, principal: Principal, process_id: str) -> TalentReviewRead:
    return to_read(await _review(services, principal, process_id))


async def review_list(
    services: Services, principal: Principal, *, stage: str | None = None, limit: int = 50
) -> list[TalentReviewRead]:
    agency = None if principal.role in (Role.BKN.value, Role.ADMIN.value) else principal.agency
    async with reading(services.sessions) as session:
        rows = await reviews.list_reviews(session, agency=agency, stage=stage, limit=limit)
    return [to_read(r) for r in rows if sees_review(principal, r)]


async def people_page(
    services: Services,
    principal: Principal,
    process_id: str,
    *,
    box: int | None = None,
    offset: int = 0,
    limit: int = 100,
) -> PeoplePage:
    await _review(services, principal, process_id)
    _readers(principal)
    where = [TalentPerson.process_id == process_id]
    if box is not None:
        where.append(TalentPerson.box == box)
    async with reading(services.sessions) as session:
        total = (await session.execute(select(func.count()).where(*where))).scalar_one()
        stmt = select(TalentPerson).where(*where).order_by(TalentPerson.nip)
        rows = (await session.scalars(stmt.offset(offset).limit(limit))).all()
        found = await _objections(session, process_id, [r.nip for r in rows])
    return PeoplePage(
        items=[person_read(r, found.get(r.nip)) for r in rows], total=int(total), offset=offset
    )


async def _objections(
    session: AsyncSession, process_id: str, nips: list[str]
) -> dict[str, TalentObjection]:
    stmt = select(TalentObjection).where(
        TalentObjection.process_id == process_id, TalentObjection.nip.in_(nips)
    )
    return {o.nip: o for o in (await session.scalars(stmt)).all()}


async def person(services: Services, principal: Principal, process_id: str, nip: str) -> PersonRead:
    """One person's box and why; an employee may ask only about themselves."""
    await _review(services, principal, process_id)
    if principal.role == Role.EMPLOYEE.value:
        if principal.sub != nip:
            raise NotFound(f"{nip} is not visible to you.")
    else:
        _readers(principal)
    async with reading(services.sessions) as session:
        row = await session.get(TalentPerson, (process_id, nip))
        o = await session.get(TalentObjection, (process_id, nip))
    if row is None:
        raise NotFound(f"{nip} is not in this review.", code="not_in_review")
    return person_read(row, o)


async def objection_list(
    services: Services, principal: Principal, process_id: str
) -> list[ObjectionRead]:
    await _review(services, principal, process_id)
    _readers(principal)
    async with reading(services.sessions) as session:
        stmt = select(TalentObjection).where(TalentObjection.process_id == process_id)
        rows = (await session.scalars(stmt.order_by(TalentObjection.filed_at))).all()
    return [objection_read(o) for o in rows]


async def my_boxes(services: Services, principal: Principal) -> list[PersonRead]:
    """Every review the signed-in employee is in (their NIP is their subject), newest first."""
    async with reading(services.sessions) as session:
        stmt = (
            select(TalentPerson, TalentObjection)
            .outerjoin(
                TalentObjection,
                (TalentObjection.process_id == TalentPerson.process_id)
                & (TalentObjection.nip == TalentPerson.nip),
            )
            .where(TalentPerson.nip == principal.sub)
            .order_by(TalentPerson.process_id.desc())
        )
        rows = (await session.execute(stmt)).all()
    return [person_read(p, o) for p, o in rows]


# ---- an agency's records -----------------------------------------------------------------------


def _agency(principal: Principal, agency: str | None) -> str:
    chosen = agency or principal.agency
    if chosen is None or not sees_agency(principal, chosen):
        raise NotFound(f"No agency '{chosen}' is visible to you.", field="agency")
    _readers(principal)
    return chosen


async def pool(services: Services, principal: Principal, agency: str | None) -> PoolRead:
    chosen = _agency(principal, agency)
    async with reading(services.sessions) as session:
        members = await records.pool_of(session, chosen)
    rows = [m.model_dump(mode="json", exclude={"record"}) for m in members]
    rows.sort(key=lambda m: (-m["box"], -m["talent_score"], m["nip"]))
    return PoolRead(agency=chosen, members=rows)


async def posts(
    services: Services, principal: Principal, agency: str | None
) -> list[CriticalPostRead]:
    chosen = _agency(principal, agency)
    async with reading(services.sessions) as session:
        found = await records.critical_posts(session, chosen)
        return [
            CriticalPostRead(
                **p.model_dump(), successors=await records.plan_of(session, chosen, p.post_id)
            )
            for p in found
        ]


async def approval(
    services: Services, principal: Principal, agency: str | None, on: date
) -> ApprovalRead:
    chosen = _agency(principal, agency)
    async with reading(services.sessions) as session:
        current = await records.current_approval(session, chosen)
    checks = approval_checks(current, on, get_talent_rulebook(DEFAULT_TALENT_RULEBOOK))
    return ApprovalRead(
        agency=chosen,
        approval=current.model_dump(mode="json") if current else None,
        checks=[c.model_dump() for c in checks],
        current=all(c.met for c in checks),
        on=on,
    )


# ---- talent appointments -----------------------------------------------------------------------


async def appointment(
    services: Services, principal: Principal, process_id: str
) -> TalentAppointmentRead:
    async with reading(services.sessions) as session:
        row = await appointments.get(session, process_id)
    if row is None or not sees_agency(principal, row.agency):
        raise NotFound(f"No talent appointment '{process_id}' is visible to you.")
    return appointment_read(row)


async def appointment_list(services: Services, principal: Principal) -> list[TalentAppointmentRead]:
    agency = None if principal.role in (Role.BKN.value, Role.ADMIN.value) else principal.agency
    async with reading(services.sessions) as session:
        rows = await appointments.list_appointments(session, agency=agency, limit=100)
    return [appointment_read(r) for r in rows]


# ---- the auditor's explanation ------------------------------------------------------------------


async def explanation(
    session: AsyncSession,
    process_id: str,
    kind: Literal["talent_review", "talent_appointment"],
    rows: list[dict[str, Any]],
    ledger_check: Any,
) -> TalentExplanation:
    """Why a review or an appointment stands where it stands, from its ledger; for a review, its
    final pool recomputed from the rows and checked against the digest the ledger bound."""
    pool = await pool_rows(session, process_id) if kind == "talent_review" else None
    return explain(process_id, kind, rows, ledger=ledger_check, pool=pool)


async def review_explanation(
    services: Services, principal: Principal, process_id: str
) -> TalentExplanation:
    """The auditor's explanation of a review, for a page (the API has its own route)."""
    await _review(services, principal, process_id)
    async with reading(services.sessions) as session:
        rows = await audit.process_rows(session, process_id)
        verified = await ledger.verify(session, process_id)
        check = LedgerCheck(
            entries=verified.entries, verified=verified.ok, problem=verified.problem
        )
        return await explanation(session, process_id, "talent_review", rows, check)


# ---- the inbox ----------------------------------------------------------------------------------

_COMMITTEE_WORK = {
    "calibration": "calibrate, then close calibration",
    "objection": "answer the objections",
    "answering": "answer every objection, then establish the pool",
}


async def tasks(session: AsyncSession, principal: Principal) -> list[Task]:
    """What waits for the caller in talent management: the committee's stage work, an employee's
    open objection window, the appointing authority's appointment."""
    if principal.role == Role.APPOINTING_AUTHORITY.value:
        rows = await appointments.waiting_for(session, principal.sub)
        return [
            Task(
                kind="talent_appointment",
                process_id=a.process_id,
                due_at=None,
                title=f"Appoint {a.successor_name} to {a.post_title} (talent pool)",
                action=f"/v1/talent-appointments/{a.process_id}/appointment",
            )
            for a in rows
        ]
    if principal.role not in (Role.TALENT_COMMITTEE.value, Role.EMPLOYEE.value):
        return []
    stages = (
        list(_COMMITTEE_WORK) if principal.role == Role.TALENT_COMMITTEE.value else ["objection"]
    )
    out = []
    for r in await reviews.list_reviews(session, agency=None, stage=None, limit=200):
        if r.stage not in stages or not sees_review(principal, r):
            continue
        if principal.role == Role.TALENT_COMMITTEE.value:
            if any(m["id"] == principal.sub for m in r.committee):
                out.append(_task(r, "talent_review", _COMMITTEE_WORK[r.stage], None))
            continue
        mine = await session.get(TalentPerson, (r.process_id, principal.sub))
        filed = await session.get(TalentObjection, (r.process_id, principal.sub))
        if mine is not None and mine.published_box is not None and filed is None:
            out.append(_task(r, "talent_objection", "object to your box", r.objections_close_at))
    return out


def _task(r: TalentReview, kind: str, what: str, due: Any) -> Task:
    action = (
        f"/v1/talent-reviews/{r.process_id}/objections"
        if kind == "talent_objection"
        else f"/v1/talent-reviews/{r.process_id}"
    )
    return Task(
        kind=kind, process_id=r.process_id, due_at=due, title=f"{r.title}: {what}", action=action
    )

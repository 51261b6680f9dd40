"""Selections as a principal may read them, for the JSON API and the console alike.

Another agency's selection answers 404, as acting on it would; the committee's working data
(applicants' records, the screening list, the proposed shortlist) needs a role that reads it, or a
seat together with the role that goes with it. A scorer's own sheet lists applicants by id only:
the console shows them by a blind code (:func:`blind_code`), never by name or NIP.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions import cursors, policy
from actions.schemas.selections import (
    ApplicantPage,
    PanelMemberRead,
    PanelRead,
    ScreeningRead,
    ScreeningRow,
    SelectionPage,
    SelectionRead,
    ShortlistRead,
)
from actions.selections.common import NATIONAL_ROLES, SHORTLIST_PUBLIC_STAGES, same_agency, to_read
from actions.selections.registration import applicant_read
from actions.services import Services
from domain.enums import Role
from domain.errors import NotFound, NotPermitted
from domain.selection.rulebook import get_selection_rulebook
from domain.selection.scheme import Component, ScoringScheme
from domain.selection.seats import SCORER_ROLE, assigned_components
from infra.tokens import Principal
from store import selections
from store.reads import reading
from store.selection_models import Selection, SelectionApplicant

# Roles that see candidates' personal data (NIP, birth date) besides the selection's own panel.
APPLICANT_READERS = policy.APPLICANT_READERS


async def visible(session: AsyncSession, principal: Principal, process_id: str) -> Selection:
    s = await selections.get(session, process_id)
    if s is None or not same_agency(principal, s.agency):
        raise NotFound(f"No selection '{process_id}' is visible to you.")
    return s


async def privileged(session: AsyncSession, principal: Principal, s: Selection) -> bool:
    """May see the committee's working data: a role that reads it, the appointing authority, or
    a seat on this panel, each with the role that goes with it."""
    if principal.role in APPLICANT_READERS:
        return True
    if principal.role == Role.APPOINTING_AUTHORITY.value:
        return principal.sub == s.appointing_authority_id
    if principal.role == Role.SELECTION_COMMITTEE.value:
        return await selections.seat(session, s.process_id, principal.sub) is not None
    return False


def is_scorer(s: Selection, principal: Principal) -> bool:
    """Assigned to score a component, with the role its scorers hold."""
    components = selections.components_of(s)
    return any(
        c in components and SCORER_ROLE[components[c].scorer_kind] == principal.role
        for c in assigned_components(s.scorers or {}, principal.sub)
    )


async def page(
    services: Services,
    principal: Principal,
    *,
    agency: str | None = None,
    stage: str | None = None,
    post_level: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> SelectionPage:
    if principal.agency is not None and principal.role not in NATIONAL_ROLES:
        if agency is not None and agency != principal.agency:
            raise NotFound(f"No agency '{agency}' is visible to you.", field="agency")
        agency = principal.agency
    with cursors.guard():
        async with reading(services.sessions) as session:
            rows, next_cursor = await selections.list_selections(
                session,
                agency=agency,
                stage=stage,
                post_level=post_level,
                limit=limit,
                # The store's own position, inside this API's cursor (actions/cursors.py).
                cursor=cursors.after_id(cursor),
            )
    return SelectionPage(items=[to_read(r) for r in rows], next_cursor=cursors.next_of(next_cursor))


async def get(services: Services, principal: Principal, process_id: str) -> SelectionRead:
    async with reading(services.sessions) as session:
        s = await visible(session, principal, process_id)
        return to_read(s, show_shortlist=await privileged(session, principal, s))


async def panel(services: Services, principal: Principal, process_id: str) -> PanelRead:
    async with reading(services.sessions) as session:
        await visible(session, principal, process_id)
        members = await selections.panel(session, process_id)
    return PanelRead(
        process_id=process_id,
        members=[
            PanelMemberRead(
                id=m.member_id,
                name=m.name,
                role=m.role,
                internal=m.internal,
                affiliation=m.affiliation,
            )
            for m in members
        ],
    )


async def _rows(
    session: AsyncSession, process_id: str, limit: int, cursor: str | None
) -> tuple[list[SelectionApplicant], str | None]:
    rows = await selections.list_applicants(
        session, process_id, limit=limit + 1, after=cursors.after_id(cursor)
    )
    next_cursor = cursors.next_of(rows[limit - 1].applicant_id if len(rows) > limit else None)
    return rows[:limit], next_cursor


async def applicants(
    services: Services,
    principal: Principal,
    process_id: str,
    *,
    limit: int = 100,
    cursor: str | None = None,
) -> ApplicantPage:
    async with reading(services.sessions) as session:
        s = await visible(session, principal, process_id)
        if not await privileged(session, principal, s):
            raise NotPermitted(
                "Applicants' records are for the agency's HR unit and this selection's panel.",
                code="not_panel_member",
            )
        rows, next_cursor = await _rows(session, process_id, limit, cursor)
    return ApplicantPage(items=[applicant_read(x) for x in rows], next_cursor=next_cursor)


async def screening(
    services: Services,
    principal: Principal,
    process_id: str,
    *,
    limit: int = 100,
    cursor: str | None = None,
) -> ScreeningRead:
    async with reading(services.sessions) as session:
        s = await visible(session, principal, process_id)
        if not (await privileged(session, principal, s) or is_scorer(s, principal)):
            raise NotPermitted(
                "The screening list is for the agency's HR unit, the panel and the scorers.",
                code="not_panel_member",
            )
        rows, next_cursor = await _rows(session, process_id, limit, cursor)
        declaration = await selections.get_declaration(session, process_id, principal.sub)
        A = SelectionApplicant
        counts = (
            await session.execute(
                select(
                    func.count(),
                    func.count(A.decision),
                    func.count().filter(A.final_eligible.is_(True)),
                ).where(A.process_id == process_id)
            )
        ).one()
    return ScreeningRead(
        process_id=process_id,
        stage=s.stage,
        total=counts[0],
        decided=counts[1],
        eligible=counts[2],
        items=[
            ScreeningRow(
                applicant_id=x.applicant_id,
                name=x.name,
                auto_eligible=x.auto_eligible,
                auto_reasons=x.auto_reasons,
                decision=x.decision,
                final_eligible=x.final_eligible,
                justification=x.decision_justification,
            )
            for x in rows
        ],
        next_cursor=next_cursor,
        conflicted=list(declaration.conflicted) if declaration else [],
    )


async def shortlist(services: Services, principal: Principal, process_id: str) -> ShortlistRead:
    async with reading(services.sessions) as session:
        s = await visible(session, principal, process_id)
        shown = s.stage in SHORTLIST_PUBLIC_STAGES or await privileged(session, principal, s)
    return ShortlistRead(
        process_id=process_id,
        stage=s.stage,
        shortlist=s.shortlist if shown else None,
        plenary=s.plenary if shown else None,
    )


async def seat(services: Services, principal: Principal, process_id: str) -> str | None:
    """The principal's seat on the panel (chair, secretary, member), taken with its role only."""
    if principal.role != Role.SELECTION_COMMITTEE.value:
        return None
    async with reading(services.sessions) as session:
        await visible(session, principal, process_id)
        return await selections.seat(session, process_id, principal.sub)


async def scorers(
    services: Services, principal: Principal, process_id: str
) -> dict[str, list[str]]:
    """Who scores each component, as the plan assigned them."""
    async with reading(services.sessions) as session:
        s = await visible(session, principal, process_id)
    return {code: list(ids) for code, ids in (s.scorers or {}).items()}


async def declarations(
    services: Services, principal: Principal, process_id: str
) -> dict[str, int] | None:
    """Scorer id -> how many applicants they declared a conflict with, for those who made their
    statement; None when the person may not see the committee's working data."""
    async with reading(services.sessions) as session:
        s = await visible(session, principal, process_id)
        if not await privileged(session, principal, s):
            return None
        found = await selections.conflicts(session, process_id)
    return {scorer: len(ids) for scorer, ids in found.items()}


# ---- a scorer's own sheet ----------------------------------------------------------------------


class SheetComponent(BaseModel):
    code: str
    name: str
    status: str
    pass_fail: bool
    scores: dict[str, float]  # applicant id -> my score in force
    amended: dict[str, int]  # applicant id -> how often I amended it


class ScoreSheet(BaseModel):
    """What one scorer sees: their components, whether they declared, whom they may score."""

    process_id: str
    stage: str
    declared: bool
    conflicted: list[str]
    applicants: list[str]  # screened in, by id (shown by blind code)
    components: list[SheetComponent]
    score_min: float
    score_max: float


async def score_sheet(services: Services, principal: Principal, process_id: str) -> ScoreSheet:
    async with reading(services.sessions) as session:
        s = await visible(session, principal, process_id)
        declaration = await selections.get_declaration(session, process_id, principal.sub)
        eligible = [a.applicant_id for a in await selections.screened_in(session, process_id)]
        mine = await selections.scores_by(session, process_id, principal.sub)
    rb = get_selection_rulebook(s.rulebook_version)
    scheme: dict[str, Component] = (
        {c.code: c for c in ScoringScheme.model_validate(s.scheme).components} if s.scheme else {}
    )
    sheet = []
    for code in assigned_components(s.scorers or {}, principal.sub):
        c = scheme.get(code)
        if c is None or SCORER_ROLE[c.scorer_kind] != principal.role:
            continue
        rows = [x for x in mine if x.component == code]
        sheet.append(
            SheetComponent(
                code=code,
                name=c.name,
                status=(s.components or {}).get(code, "pending"),
                pass_fail=c.pass_fail,
                scores={x.applicant_id: x.score for x in rows},
                amended={x.applicant_id: x.amendments or 0 for x in rows},
            )
        )
    return ScoreSheet(
        process_id=process_id,
        stage=s.stage,
        declared=declaration is not None,
        conflicted=list(declaration.conflicted) if declaration else [],
        applicants=eligible,
        components=sheet,
        score_min=rb.score_min,
        score_max=rb.score_max,
    )


def blind_code(secret: str, process_id: str, applicant_id: str) -> str:
    """An applicant's code on a scorer's sheet: stable within a selection, unlinkable to the id
    (or the name) without the server's secret."""
    mac = hmac.new(secret.encode(), f"blind:{process_id}:{applicant_id}".encode(), hashlib.sha256)
    return "P-" + mac.hexdigest()[:6].upper()


def blind_codes(services: Services, process_id: str, applicant_ids: list[str]) -> dict[str, str]:
    """Blind code -> applicant id, for the applicants of one sheet."""
    secret = services.settings.session_secret
    return {blind_code(secret, process_id, a): a for a in applicant_ids}


# ---- the rulebook's standard scheme --------------------------------------------------------------

# No national weighting table exists (domain-rules §1.5): panels set their own. The console offers
# the weighting of the South Sulawesi 2023 selection as its starting point [S16], with a health
# check that passes or fails; the panel edits it before the plan is submitted.
STANDARD_COMPONENTS: tuple[dict[str, Any], ...] = (
    {"code": "assessment", "name": "Assessment centre", "weight": 25, "scorer_kind": "assessor"},
    {"code": "paper", "name": "Paper", "weight": 20, "scorer_kind": "committee"},
    {"code": "interview", "name": "Interview", "weight": 35, "scorer_kind": "committee"},
    {"code": "track_record", "name": "Track record", "weight": 20, "scorer_kind": "committee"},
    {
        "code": "health",
        "name": "Health",
        "weight": 0,
        "pass_fail": True,
        "scorer_kind": "committee",
    },
)
STANDARD_TIE_BREAK = ("interview", "age")


def standard_scheme() -> ScoringScheme:
    return ScoringScheme.model_validate(
        {"components": list(STANDARD_COMPONENTS), "tie_break": list(STANDARD_TIE_BREAK)}
    )

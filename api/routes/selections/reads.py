"""Reading selections: lists, one selection, its panel, applicants, screening list, shortlist.

What a caller may read follows the same rule as acting: another agency's selection answers 404;
the committee's working data (applicants' records, the screening list, the proposed shortlist)
needs a role that reads it, or a seat together with the role that goes with it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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
from api.auth import PrincipalDep
from api.deps import SessionDep
from api.errors import ApiError, responses
from domain.enums import Role
from domain.selection.seats import SCORER_ROLE, assigned_components
from domain.selection.stages import Stage
from infra.tokens import Principal
from store import selections
from store.selection_models import Selection, SelectionApplicant

router = APIRouter(prefix="/v1/selections", tags=["selections"])

# Roles that see candidates' personal data (NIP, birth date) besides the selection's own panel.
APPLICANT_READERS = frozenset(
    {
        Role.AGENCY_HR.value,
        Role.HR_SYSTEM.value,
        Role.AUDITOR.value,
        Role.BKN.value,
        Role.ADMIN.value,
    }
)


async def visible(session: AsyncSession, principal: Principal, process_id: str) -> Selection:
    s = await selections.get(session, process_id)
    if s is None or not same_agency(principal, s.agency):
        raise ApiError(404, "not_found", f"No selection '{process_id}' is visible to you.")
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


@router.get("", response_model=SelectionPage, responses=responses(401, 404, 422))
async def list_selections(
    principal: PrincipalDep,
    session: SessionDep,
    agency: str | None = None,
    stage: Stage | None = None,
    post_level: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> SelectionPage:
    if principal.agency is not None and principal.role not in NATIONAL_ROLES:
        if agency is not None and agency != principal.agency:
            raise ApiError(
                404,
                "not_found",
                f"No agency '{agency}' is visible to you.",
                [{"field": "agency", "message": "not your agency"}],
            )
        agency = principal.agency
    try:
        rows, next_cursor = await selections.list_selections(
            session,
            agency=agency,
            stage=stage.value if stage else None,
            post_level=post_level,
            limit=limit,
            cursor=cursor,
        )
    except ValueError as err:
        raise ApiError(
            422,
            "validation_error",
            "The cursor is not one this API gave out.",
            [{"field": "cursor", "message": str(err)}],
        ) from err
    return SelectionPage(items=[to_read(r) for r in rows], next_cursor=next_cursor)


@router.get("/{process_id}", response_model=SelectionRead, responses=responses(401, 404))
async def get_selection(
    process_id: str, principal: PrincipalDep, session: SessionDep
) -> SelectionRead:
    s = await visible(session, principal, process_id)
    return to_read(s, show_shortlist=await privileged(session, principal, s))


@router.get("/{process_id}/panel", response_model=PanelRead, responses=responses(401, 404))
async def get_panel(process_id: str, principal: PrincipalDep, session: SessionDep) -> PanelRead:
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


async def _page(
    session: AsyncSession, process_id: str, limit: int, cursor: str | None
) -> tuple[list[SelectionApplicant], str | None]:
    rows = await selections.list_applicants(session, process_id, limit=limit + 1, after=cursor)
    next_cursor = rows[limit - 1].applicant_id if len(rows) > limit else None
    return rows[:limit], next_cursor


@router.get(
    "/{process_id}/applicants", response_model=ApplicantPage, responses=responses(401, 403, 404)
)
async def list_applicants(
    process_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ApplicantPage:
    s = await visible(session, principal, process_id)
    if not await privileged(session, principal, s):
        raise ApiError(
            403,
            "not_panel_member",
            "Applicants' records are for the agency's HR unit and this selection's panel.",
        )
    rows, next_cursor = await _page(session, process_id, limit, cursor)
    return ApplicantPage(items=[applicant_read(x) for x in rows], next_cursor=next_cursor)


@router.get(
    "/{process_id}/screening", response_model=ScreeningRead, responses=responses(401, 403, 404)
)
async def get_screening(
    process_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ScreeningRead:
    s = await visible(session, principal, process_id)
    if not (await privileged(session, principal, s) or is_scorer(s, principal)):
        raise ApiError(
            403,
            "not_panel_member",
            "The screening list is for the agency's HR unit, the panel and the scorers.",
        )
    rows, next_cursor = await _page(session, process_id, limit, cursor)
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
    )


@router.get("/{process_id}/shortlist", response_model=ShortlistRead, responses=responses(401, 404))
async def get_shortlist(
    process_id: str, principal: PrincipalDep, session: SessionDep
) -> ShortlistRead:
    s = await visible(session, principal, process_id)
    shown = s.stage in SHORTLIST_PUBLIC_STAGES or await privileged(session, principal, s)
    return ShortlistRead(
        process_id=process_id,
        stage=s.stage,
        shortlist=s.shortlist if shown else None,
        plenary=s.plenary if shown else None,
    )

"""What the stage-closing activities count, under the selection's lock: registrations, missing
scores, and the scores in force with the roster they rank."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.selection.ranking import ScoreSheet, component_ranking
from domain.selection.scoring import require_component
from store.selection_models import SelectionApplicant, SelectionScore
from store.selection_records import ComponentCheck
from store.selections.applicants import count_applicants
from store.selections.rows import lock
from store.selections.scores import conflicts

# How many (scorer, applicant) pairs a component check lists; missing_count has them all.
MISSING_LISTED = 100


async def close_registration(session: AsyncSession, process_id: str, closes_at: datetime) -> int:
    """Count the applicants of the window that closed at ``closes_at``, under the lock.

    The window is marked counted: a registration that takes the lock after this is refused
    (``registration_closed``) until the window is extended past ``closes_at``.
    """
    sel = await lock(session, process_id)
    counted = sel.registration_counted_at
    if counted is None or closes_at > counted:
        sel.registration_counted_at = closes_at
    count = await count_applicants(session, process_id)
    sel.applicants = count
    await session.flush()
    return count


async def screened_in(session: AsyncSession, process_id: str) -> list[SelectionApplicant]:
    stmt = (
        select(SelectionApplicant)
        .where(
            SelectionApplicant.process_id == process_id,
            SelectionApplicant.final_eligible.is_(True),
        )
        .order_by(SelectionApplicant.applicant_id)
    )
    return list((await session.scalars(stmt)).all())


async def _counted_scores(
    session: AsyncSession, process_id: str, component: str | None
) -> list[SelectionScore]:
    """Scores that count: of screened-in applicants, by scorers not conflicted with them."""
    eligible = {a.applicant_id for a in await screened_in(session, process_id)}
    conflicted = await conflicts(session, process_id)
    stmt = select(SelectionScore).where(SelectionScore.process_id == process_id)
    if component is not None:
        stmt = stmt.where(SelectionScore.component == component)
    stmt = stmt.order_by(
        SelectionScore.component, SelectionScore.applicant_id, SelectionScore.scorer_id
    )
    return [
        s
        for s in (await session.scalars(stmt)).all()
        if s.applicant_id in eligible and s.applicant_id not in conflicted.get(s.scorer_id, [])
    ]


def _sheet(s: SelectionScore) -> ScoreSheet:
    return ScoreSheet(
        applicant_id=s.applicant_id, component=s.component, scorer_id=s.scorer_id, score=s.score
    )


async def check_component(session: AsyncSession, process_id: str, component: str) -> ComponentCheck:
    """Under the lock: the (scorer, applicant) scores still missing, and the component's ranking.

    Every assigned scorer owes a score to every screened-in applicant they are not conflicted with.
    """
    sel = await lock(session, process_id)
    require_component(sel.components or {}, component)
    eligible = [a.applicant_id for a in await screened_in(session, process_id)]
    conflicted = await conflicts(session, process_id)
    scores = await _counted_scores(session, process_id, component)
    scored = {(s.scorer_id, s.applicant_id) for s in scores}
    missing = [
        (scorer, applicant)
        for scorer in sorted(set((sel.scorers or {}).get(component, [])))
        for applicant in eligible
        if applicant not in conflicted.get(scorer, []) and (scorer, applicant) not in scored
    ]
    return ComponentCheck(
        missing=missing[:MISSING_LISTED],
        missing_count=len(missing),
        ranking=component_ranking([_sheet(s) for s in scores], component),
    )


async def score_sheets(session: AsyncSession, process_id: str) -> list[ScoreSheet]:
    """The scores in force of screened-in applicants (conflicted scorers' scores left out)."""
    return [_sheet(s) for s in await _counted_scores(session, process_id, None)]


async def birth_dates(session: AsyncSession, process_id: str) -> dict[str, date]:
    """Birth dates of the screened-in applicants (the age tie-break; the roster of the ranking)."""
    return {a.applicant_id: a.birth_date for a in await screened_in(session, process_id)}

"""Administrative screening: the automatic pre-check of everyone, the committee's decision on
each, and the tally that closes screening."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.selection.rulebook import PostLevelRequirements, get_selection_rulebook
from domain.selection.scoring import (
    check_screening_decision,
    require_not_conflicted,
    require_screening_open,
)
from domain.selection.screening import screen
from domain.selection.seats import require_member
from store.selection_models import SelectionApplicant, SelectionDeclaration
from store.selection_records import PrecheckResult, ScreeningTally
from store.selections.applicants import as_profile, require_applicant
from store.selections.entries import Stamp, append, written
from store.selections.rows import lock, seat

# How many undecided ids a tally names; its counts are always in full.
NAMED = 20


async def precheck_all(
    session: AsyncSession, process_id: str, req: PostLevelRequirements, closing_date: date
) -> PrecheckResult:
    """Run the automatic pre-check of every applicant (ages on ``closing_date``); keeps decisions."""
    await lock(session, process_id)
    stmt = select(SelectionApplicant).where(SelectionApplicant.process_id == process_id)
    applicants = list((await session.scalars(stmt)).all())
    eligible = 0
    for a in applicants:
        result = screen(as_profile(a), req, closing_date)
        eligible += result.eligible
        a.auto_eligible = result.eligible
        a.auto_reasons = [r.model_dump() for r in result.reasons]
    await session.flush()
    return PrecheckResult(
        applicants=len(applicants), eligible=eligible, ineligible=len(applicants) - eligible
    )


async def screening_tally(session: AsyncSession, process_id: str) -> ScreeningTally:
    """Decided and undecided applicants, under the lock; ``published`` lists MS / TMS by id."""
    await lock(session, process_id)
    stmt = (
        select(
            SelectionApplicant.applicant_id,
            SelectionApplicant.decision,
            SelectionApplicant.final_eligible,
        )
        .where(SelectionApplicant.process_id == process_id)
        .order_by(SelectionApplicant.applicant_id)
    )
    rows = (await session.execute(stmt)).all()
    decided = [r for r in rows if r.decision is not None]
    undecided = [r.applicant_id for r in rows if r.decision is None]
    return ScreeningTally(
        applicants=len(rows),
        decided=len(decided),
        eligible=sum(1 for r in decided if r.final_eligible),
        undecided=undecided[:NAMED],
        published=[
            {
                "applicant_id": r.applicant_id,
                "eligible": bool(r.final_eligible),
                "result": "MS" if r.final_eligible else "TMS",
            }
            for r in decided
        ],
    )


async def decide_screening(
    session: AsyncSession,
    process_id: str,
    applicant_id: str,
    *,
    eligible: bool,
    justification: str | None,
    stamp: Stamp,
) -> SelectionApplicant:
    """A panel member confirms or overrides the pre-check of one applicant (``screening.decided``).

    Re-deciding is allowed while screening is open; each decision is its own entry. Without a
    pre-check result every decision counts as an override and needs a justification. A member who
    declared a conflict of interest with the applicant does not decide on them.
    """
    sel = await lock(session, process_id)
    if await written(session, stamp):
        return await require_applicant(session, sel, applicant_id)
    require_screening_open(sel.stage, sel.components or {})
    actor = stamp.actor
    require_member(actor, await seat(session, process_id, actor.id), "decide screening")
    row = await require_applicant(session, sel, applicant_id)
    declared = await session.get(
        SelectionDeclaration, (process_id, actor.id), populate_existing=True
    )
    if declared is not None:
        require_not_conflicted(
            declared.conflicted, applicant_id, actor.id, "decide their screening"
        )
    rb = get_selection_rulebook(sel.rulebook_version)
    override = check_screening_decision(
        applicant_id, row.auto_eligible, eligible, justification, rb
    )
    previous = (
        {"decision": row.decision, "eligible": row.final_eligible, "by": row.decided_by}
        if row.decision is not None
        else None
    )
    row.decision = "overridden" if override else "confirmed"
    row.final_eligible = eligible
    row.decision_justification = justification
    row.decided_by = actor.id
    row.decided_at = stamp.now
    await session.flush()
    payload = {
        "applicant_id": applicant_id,
        "eligible": eligible,
        "auto_eligible": row.auto_eligible,
        "decision": row.decision,
        "previous": previous,
    }
    await append(
        session, sel, stamp, kind="screening.decided", subject=applicant_id, payload=payload,
        justification=justification,
    )  # fmt: skip
    return row

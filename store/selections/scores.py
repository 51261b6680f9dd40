"""Scorers' conflict declarations, scores (locked once given, amended with a reason), blind reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound
from domain.selection.rulebook import get_selection_rulebook
from domain.selection.scheme import Component, ScoringScheme
from domain.selection.scoring import (
    check_amendment,
    check_score,
    require_component,
    require_component_open,
    require_declaration_stage,
    require_declared,
    require_known_applicants,
    require_not_conflicted,
    require_scores_visible,
    require_screened_in,
)
from domain.selection.seats import require_any_assignment, require_scorer
from store.selection_models import (
    Selection,
    SelectionApplicant,
    SelectionDeclaration,
    SelectionScore,
)
from store.selections.applicants import require_applicant
from store.selections.entries import Stamp, append, written
from store.selections.rows import get, lock


def components_of(sel: Selection) -> dict[str, Component]:
    """The scheme's components by code (none before the scheme is set)."""
    if not sel.scheme:
        return {}
    return {c.code: c for c in ScoringScheme.model_validate(sel.scheme).components}


def component_name(sel: Selection, code: str) -> str:
    component = components_of(sel).get(code)
    return component.name if component else code


async def get_declaration(
    session: AsyncSession, process_id: str, scorer_id: str
) -> SelectionDeclaration | None:
    return await session.get(SelectionDeclaration, (process_id, scorer_id))


async def conflicts(session: AsyncSession, process_id: str) -> dict[str, list[str]]:
    """Every declaration of the selection: scorer id -> the applicant ids they are conflicted with."""
    stmt = select(SelectionDeclaration).where(SelectionDeclaration.process_id == process_id)
    return {d.scorer_id: list(d.conflicted) for d in (await session.scalars(stmt)).all()}


async def declare(
    session: AsyncSession, process_id: str, *, conflicted: list[str], reason: str, stamp: Stamp
) -> SelectionDeclaration:
    """A scorer declares conflicts of interest (``scorer.declared``); an empty list declares none.

    A later declaration adds to the earlier ones and never removes any. A score the scorer already
    gave an applicant they now declare a conflict with stays recorded but no longer counts.
    """
    sel = await lock(session, process_id)
    actor = stamp.actor
    if await written(session, stamp):
        found = await get_declaration(session, process_id, actor.id)
        assert found is not None
        return found
    require_declaration_stage(sel.stage)
    assigned = require_any_assignment(actor, sel.scorers or {}, components_of(sel))
    wanted = sorted(set(conflicted))
    if wanted:
        stmt = select(SelectionApplicant.applicant_id).where(
            SelectionApplicant.process_id == process_id,
            SelectionApplicant.applicant_id.in_(wanted),
        )
        known = set((await session.scalars(stmt)).all())
        require_known_applicants([a for a in wanted if a not in known])
    row = await session.get(SelectionDeclaration, (process_id, actor.id), populate_existing=True)
    before = list(row.conflicted) if row is not None else []
    added = [a for a in wanted if a not in before]
    if row is None:
        row = SelectionDeclaration(
            process_id=process_id,
            scorer_id=actor.id,
            conflicted=wanted,
            reason=reason,
            declared_at=stamp.now,
            updated_at=stamp.now,
        )
        session.add(row)
    else:
        row.conflicted = sorted(set(before) | set(wanted))
        row.reason = reason
        row.updated_at = stamp.now
    await session.flush()
    payload = {
        "declared": wanted,
        "added": added,
        "conflicted": list(row.conflicted),
        "components": assigned,
        "scores_set_aside": await _set_aside(session, process_id, actor.id, added),
    }
    await append(
        session, sel, stamp, kind="scorer.declared", subject=None, payload=payload,
        justification=reason or None,
    )  # fmt: skip
    return row


async def _set_aside(
    session: AsyncSession, process_id: str, scorer_id: str, applicants: list[str]
) -> list[dict[str, str]]:
    if not applicants:
        return []
    stmt = select(SelectionScore.component, SelectionScore.applicant_id).where(
        SelectionScore.process_id == process_id,
        SelectionScore.scorer_id == scorer_id,
        SelectionScore.applicant_id.in_(applicants),
    )
    rows = (await session.execute(stmt)).all()
    return [{"component": c, "applicant_id": a} for c, a in sorted(rows)]


async def submit_score(
    session: AsyncSession,
    process_id: str,
    *,
    component: str,
    applicant_id: str,
    score: float,
    justification: str | None,
    stamp: Stamp,
) -> SelectionScore:
    """Record a score (``score.submitted``) or amend the one in force (``score.amended``).

    A submitted score is locked: changing it needs a justification, and the ledger keeps the old
    and the new value.
    """
    sel = await lock(session, process_id)
    actor = stamp.actor
    key = (process_id, component, applicant_id, actor.id)
    if await written(session, stamp):
        found = await session.get(SelectionScore, key)
        assert found is not None
        return found
    await _check_gate(session, sel, component, applicant_id, stamp)
    rb = get_selection_rulebook(sel.rulebook_version)
    check_score(score, components_of(sel).get(component), rb)
    row = await session.get(SelectionScore, key, populate_existing=True)
    payload: dict[str, Any] = {"component": component, "applicant_id": applicant_id}
    if row is None:
        row = SelectionScore(
            process_id=process_id,
            component=component,
            applicant_id=applicant_id,
            scorer_id=actor.id,
            score=float(score),
            submitted_at=stamp.now,
            amendments=0,
        )
        session.add(row)
        kind = "score.submitted"
        payload["score"] = float(score)
    else:
        what = f"{applicant_id} on {component_name(sel, component)}"
        check_amendment(row.score, justification, rb, what)
        old, row.score = row.score, float(score)
        row.amendments += 1
        row.amended_at = stamp.now
        kind = "score.amended"
        payload |= {"score": float(score), "old": old, "new": float(score)}
        payload["amendment"] = row.amendments
    await session.flush()
    await append(
        session, sel, stamp, kind=kind, subject=applicant_id, payload=payload,
        justification=justification,
    )  # fmt: skip
    return row


async def _check_gate(
    session: AsyncSession, sel: Selection, component: str, applicant_id: str, stamp: Stamp
) -> None:
    """The gate of a score, in the order a scorer would fix things: the moment, the seat, the
    declaration, then the applicant."""
    actor = stamp.actor
    require_component_open(sel.stage, sel.components or {}, component)
    assigned = (sel.scorers or {}).get(component, [])
    require_scorer(actor, component, components_of(sel).get(component), assigned)
    declaration = await session.get(
        SelectionDeclaration, (sel.process_id, actor.id), populate_existing=True
    )
    require_declared(declaration is not None, actor.id)
    assert declaration is not None
    applicant = await require_applicant(session, sel, applicant_id)
    require_screened_in(applicant.final_eligible, applicant_id)
    require_not_conflicted(declaration.conflicted, applicant_id, actor.id)


async def read_scores(
    session: AsyncSession, process_id: str, *, component: str, applicant_id: str, reader_id: str
) -> list[SelectionScore]:
    """Every scorer's score of one applicant on one component, by scorer id; blind until scored.

    The reader sees them once they submitted their own score for that applicant and component, or
    once the component is closed. Nobody is exempt, the panel chair included.
    """
    sel = await get(session, process_id)
    if sel is None:
        raise NotFound(f"No selection {process_id!r}.", code="selection_not_found")
    status = require_component(sel.components or {}, component)
    stmt = (
        select(SelectionScore)
        .where(
            SelectionScore.process_id == process_id,
            SelectionScore.component == component,
            SelectionScore.applicant_id == applicant_id,
        )
        .order_by(SelectionScore.scorer_id)
    )
    rows = list((await session.scalars(stmt)).all())
    reader_scored = any(r.scorer_id == reader_id for r in rows)
    require_scores_visible(status, reader_scored, f"{applicant_id} on {component}")
    return rows


async def scores_by(session: AsyncSession, process_id: str, scorer_id: str) -> list[SelectionScore]:
    """Every score ``scorer_id`` gave in the selection (their own sheet), by component and applicant."""
    stmt = (
        select(SelectionScore)
        .where(SelectionScore.process_id == process_id, SelectionScore.scorer_id == scorer_id)
        .order_by(SelectionScore.component, SelectionScore.applicant_id)
    )
    return list((await session.scalars(stmt)).all())

"""What someone has to do in running selections, for ``/v1/me/tasks``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.selection.seats import assigned_components
from domain.selection.stages import Stage
from store.selection_models import (
    Selection,
    SelectionApplicant,
    SelectionPanelMember,
    SelectionScore,
)
from store.selections.counts import screened_in
from store.selections.scores import component_name, get_declaration

_TASK_STAGES = (Stage.SCREENING, Stage.ASSESSMENT, Stage.SHORTLIST, Stage.APPOINTMENT)


def _due(sel: Selection, actor_id: str) -> datetime | None:
    """The earliest ``due_at`` the view's ``waiting_for`` gives this actor, if any."""
    dues = []
    for item in sel.waiting_for or []:
        if item.get("who") == actor_id and item.get("due_at"):
            dues.append(datetime.fromisoformat(str(item["due_at"])))
    return min(dues) if dues else None


def _task(
    sel: Selection, kind: str, title: str, action: str, count: int, actor_id: str
) -> dict[str, Any]:
    return {
        "kind": kind,
        "process_id": sel.process_id,
        "title": f"{title} — {sel.post_title} ({sel.code})",
        "action": f"/v1/selections/{sel.process_id}{action}",
        "due_at": _due(sel, actor_id),
        "count": count,
    }


async def tasks_for(session: AsyncSession, actor_id: str) -> list[dict[str, Any]]:
    """What ``actor_id`` has to do in running selections."""
    stmt = select(Selection).where(
        Selection.status == "in_progress", Selection.stage.in_([s.value for s in _TASK_STAGES])
    )
    running = list((await session.scalars(stmt.order_by(Selection.process_id))).all())
    if not running:
        return []
    member_of = set(
        (
            await session.scalars(
                select(SelectionPanelMember.process_id).where(
                    SelectionPanelMember.member_id == actor_id,
                    SelectionPanelMember.process_id.in_([s.process_id for s in running]),
                )
            )
        ).all()
    )
    tasks: list[dict[str, Any]] = []
    for sel in running:
        tasks.extend(await _tasks_in(session, sel, actor_id, sel.process_id in member_of))
    return tasks


async def _tasks_in(
    session: AsyncSession, sel: Selection, actor_id: str, on_panel: bool
) -> list[dict[str, Any]]:
    stage = sel.stage
    tasks: list[dict[str, Any]] = []
    if stage == Stage.SCREENING and on_panel:
        stmt = select(func.count()).where(
            SelectionApplicant.process_id == sel.process_id, SelectionApplicant.decision.is_(None)
        )
        undecided = int((await session.execute(stmt)).scalar_one())
        if undecided:
            title = "Decide administrative screening"
            tasks.append(_task(sel, "screening_decision", title, "/screening", undecided, actor_id))
    if stage in (Stage.SCREENING, Stage.ASSESSMENT):
        tasks.extend(await _scorer_tasks(session, sel, actor_id))
    if stage == Stage.SHORTLIST and on_panel:
        plenary = sel.plenary or {}
        recused = plenary.get("recused") or plenary.get("recused_members") or []
        if actor_id not in recused and actor_id not in (plenary.get("votes") or {}):
            title = "Vote on the shortlist"
            tasks.append(_task(sel, "plenary_vote", title, "/plenary/votes", 1, actor_id))
    if stage == Stage.APPOINTMENT and actor_id == sel.appointing_authority_id:
        title = "Appoint one of the shortlist"
        tasks.append(_task(sel, "appointment", title, "/appointment", 1, actor_id))
    return tasks


async def _scorer_tasks(
    session: AsyncSession, sel: Selection, actor_id: str
) -> list[dict[str, Any]]:
    assigned = assigned_components(sel.scorers or {}, actor_id)
    if not assigned:
        return []
    declaration = await get_declaration(session, sel.process_id, actor_id)
    if declaration is None:
        title = "Declare conflicts of interest"
        return [_task(sel, "conflict_declaration", title, "/declarations", 1, actor_id)]
    if sel.stage != Stage.ASSESSMENT:
        return []
    eligible = {a.applicant_id for a in await screened_in(session, sel.process_id)}
    owed = eligible - set(declaration.conflicted)
    tasks = []
    for code in assigned:
        if (sel.components or {}).get(code) != "open":
            continue
        stmt = select(SelectionScore.applicant_id).where(
            SelectionScore.process_id == sel.process_id,
            SelectionScore.scorer_id == actor_id,
            SelectionScore.component == code,
        )
        left = len(owed - set((await session.scalars(stmt)).all()))
        if left:
            action = f"/components/{code}/scores"
            title = f"Score {component_name(sel, code)}"
            tasks.append(_task(sel, "score", title, action, left, actor_id))
    return tasks

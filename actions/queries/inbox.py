"""A principal's inbox: every action waiting for them, across processes, soonest due first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from actions.queries import talent
from actions.schemas.reviews import Task, TaskList
from actions.services import Services
from domain.enums import Role
from infra.tokens import Principal
from store import repositories, reviews, selections
from store.reads import reading

NATIONAL = {Role.BKN.value}
# Selection tasks: a screening decision and a score are per applicant (PUT on the path the row
# names); the count of what is waiting travels in the title, the Task shape having no count.
SELECTION_METHODS = {"screening_decision": "PUT", "score": "PUT"}


async def inbox(services: Services, principal: Principal, *, limit: int = 500) -> TaskList:
    """The same authorization as the actions themselves: a task is listed only where the caller's
    decision would pass the role, agency and named-person checks. Up to ``limit`` promotions."""
    async with reading(services.sessions) as session:
        tasks = await _promotion_tasks(session, principal, limit)
        tasks += await _review_tasks(session, principal)
        if principal.role in (Role.SELECTION_COMMITTEE.value, Role.ASSESSOR.value,
                              Role.APPOINTING_AUTHORITY.value, Role.AGENCY_HR.value):  # fmt: skip
            tasks += [selection_task(r) for r in await selections.tasks_for(session, principal.sub)]
        tasks += await talent.tasks(session, principal)
    tasks.sort(key=lambda t: (t.due_at is None, t.due_at or datetime.max))
    return TaskList(items=tasks)


async def waiting_promotions(services: Services, principal: Principal) -> int:
    """How many promotions wait for the caller in all (the inbox shows the first ones)."""
    agency = None if principal.role in NATIONAL else principal.agency
    async with reading(services.sessions) as session:
        return await repositories.count_waiting_for(
            session, role=principal.role, agency=agency, sub=principal.sub
        )


async def _promotion_tasks(session: Any, principal: Principal, limit: int) -> list[Task]:
    agency = None if principal.role in NATIONAL else principal.agency
    out = []
    for p in await repositories.promotions_waiting_for(
        session, role=principal.role, agency=agency, sub=principal.sub, limit=limit
    ):
        escalated = p.escalated_to_role == principal.role and p.pending_role != principal.role
        out.append(
            Task(
                kind="promotion_decision",
                process_id=p.process_id,
                due_at=p.due_at,
                title=f"Promotion of {p.nip} ({p.period:%Y-%m}): {p.pending_step}"
                + (" (escalated)" if escalated else ""),
                action=f"/v1/promotions/{p.process_id}/decisions",
            )
        )
    return out


async def _review_tasks(session: Any, principal: Principal) -> list[Task]:
    if principal.role != Role.REVIEWER.value:
        return []
    out = []
    for seat, review in await reviews.open_seats_for(session, principal.sub):
        declared = seat.status == "declared"
        step = "verdicts" if declared else "conflict-declarations"
        out.append(
            Task(
                kind="review_verdict" if declared else "review_conflict_declaration",
                process_id=review.review_id,
                due_at=review.due_at,
                title=f"Review of {review.subject_type} {review.subject_id}",
                action=f"/v1/reviews/{review.review_id}/{step}",
            )
        )
    for review in await reviews.escalated_to_head(session, principal.sub):
        out.append(
            Task(
                kind="review_verdict",
                process_id=review.review_id,
                due_at=review.due_at,
                title=f"Escalated review of {review.subject_type} {review.subject_id}",
                action=f"/v1/reviews/{review.review_id}/verdicts",
            )
        )
    return out


def selection_task(row: dict[str, Any]) -> Task:
    count = int(row.get("count") or 0)
    title = str(row.get("title") or row["kind"])
    return Task(
        kind=str(row["kind"]),
        process_id=str(row["process_id"]),
        title=f"{title} ({count} waiting)" if count > 1 else title,
        due_at=row.get("due_at"),
        action=str(row["action"]),
        method=SELECTION_METHODS.get(str(row["kind"]), "POST"),
    )

"""The caller's inbox: every action waiting for them, across processes, soonest due first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter

from actions.schemas.reviews import Task, TaskList
from api.auth import PrincipalDep
from api.deps import SessionDep
from api.errors import responses
from domain.enums import Role
from store import repositories, reviews, selections

router = APIRouter(tags=["tasks"])
NATIONAL = {Role.BKN.value}


@router.get("/v1/me/tasks", response_model=TaskList, responses=responses(401))
async def my_tasks(principal: PrincipalDep, session: SessionDep) -> TaskList:
    """The same authorization as the actions themselves: a task is listed only where the caller's
    decision would pass the role, agency and named-person checks."""
    agency = None if principal.role in NATIONAL else principal.agency
    tasks: list[Task] = []
    for p in await repositories.promotions_waiting_for(
        session, role=principal.role, agency=agency, sub=principal.sub
    ):
        escalated = p.escalated_to_role == principal.role and p.pending_role != principal.role
        tasks.append(
            Task(
                kind="promotion_decision",
                process_id=p.process_id,
                due_at=p.due_at,
                title=f"Promotion of {p.nip} ({p.period:%Y-%m}): {p.pending_step}"
                + (" (escalated)" if escalated else ""),
                action=f"/v1/promotions/{p.process_id}/decisions",
            )
        )
    for seat, review in await reviews.open_seats_for(session, principal.sub):
        declared = seat.status == "declared"
        tasks.append(
            Task(
                kind="review_verdict" if declared else "review_conflict_declaration",
                process_id=review.review_id,
                due_at=review.due_at,
                title=f"Review of {review.subject_type} {review.subject_id}",
                action=f"/v1/reviews/{review.review_id}/{'verdicts' if declared else 'conflict-declarations'}",
            )
        )
    for review in await reviews.escalated_to_head(session, principal.sub):
        tasks.append(
            Task(
                kind="review_verdict",
                process_id=review.review_id,
                due_at=review.due_at,
                title=f"Escalated review of {review.subject_type} {review.subject_id}",
                action=f"/v1/reviews/{review.review_id}/verdicts",
            )
        )
    for row in await selections.tasks_for(session, principal.sub):
        tasks.append(selection_task(row))
    tasks.sort(key=lambda t: (t.due_at is None, t.due_at or datetime.max))
    return TaskList(items=tasks)


# Selection tasks: a screening decision and a score are per applicant (PUT on the path the row
# names); the count of what is waiting travels in the title, the Task shape having no count.
SELECTION_METHODS = {"screening_decision": "PUT", "score": "PUT"}


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

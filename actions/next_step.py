"""The next step a selection's or talent process's update answered, as its action's answer shows
it: the workflow's :class:`~workflows.contracts.NextStep` in the shape a promotion's answer has."""

from __future__ import annotations

from actions.schemas.pending import PendingRead
from workflows.contracts import NextStep


def pending_read(step: NextStep | None) -> PendingRead | None:
    if step is None:
        return None
    one = step.actors[0] if len(step.actors) == 1 else None
    return PendingRead(
        step=step.step,
        role=step.role,
        actor_id=one,
        escalated_to_role=None,
        reminder_at=None,
        due_at=step.due_at,
        auto_approve_at=None,
        review_id=step.review_id,
        actors=step.actors if one is None else [],
    )

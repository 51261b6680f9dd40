"""The next step a process waits for, as every action's answer shows it (one shape for every kind).

A promotion's answer (and its reads) carry it as ``pending``; a selection's and a talent process's
answers carry it the same way, taken from the workflow update's result.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class PendingRead(BaseModel):
    """Who must act next (``role``, and ``actor_id`` or ``actors`` where the process names them),
    on what (``step``), and by when (``due_at``) where a deadline applies."""

    step: str
    role: str
    actor_id: str | None
    escalated_to_role: str | None
    reminder_at: datetime | None
    due_at: datetime | None
    auto_approve_at: datetime | None
    review_id: str | None = None
    # The reviewers seated on that review (for BKN's step: assigned in the same moment it opened).
    reviewers: list[str] = Field(default_factory=list)
    actors: list[str] = Field(
        default_factory=list,
        description="Everyone who may take the step, where several named people may (the panel's "
        "chair and secretary, the members yet to vote); a step for one named person has "
        "`actor_id` instead",
    )

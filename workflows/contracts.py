"""Inputs, update payloads, results and views of the workflows.

New fields always get defaults, so that running workflows keep replaying their histories.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from domain.eligibility import EligibilityResult
from domain.enums import Decision, PromotionStatus, PromotionType, Step
from domain.ledger import Actor


def promotion_workflow_id(nip: str, period: date) -> str:
    """One promotion per employee per period: the business key is the workflow id."""
    return f"promotion-{nip}-{period:%Y-%m}"


class StartPromotion(BaseModel):
    nip: str
    agency: str
    period: date
    promotion_type: PromotionType
    rulebook_version: str
    requested_by: Actor


class DecisionInput(BaseModel):
    actor: Actor
    decision: Decision
    justification: str = Field(min_length=1, max_length=4000)
    # The step the caller saw pending; a decision made against a stale view is refused.
    step: Step | None = None
    corrections: list[str] = Field(default_factory=list)
    decree_number: str | None = None


class PendingStep(BaseModel):
    step: Step
    role: str
    actor_id: str | None = None
    started_at: datetime
    reminder_at: datetime
    due_at: datetime
    auto_approve_at: datetime | None = None
    reminded: bool = False
    escalated_to: str | None = None
    escalated: bool = False


class Decree(BaseModel):
    number: str
    effective_date: date
    signed_by: str


class PromotionState(BaseModel):
    process_id: str
    status: PromotionStatus
    stage: str
    pending: PendingStep | None = None
    eligibility: EligibilityResult | None = None
    decree: Decree | None = None
    return_count: int = 0
    resume_at: Step | None = None
    outcome_reason: str | None = None

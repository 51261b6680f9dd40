from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from actions.schemas.pending import PendingRead
from domain.enums import Decision, PromotionType, Step

NIP_PATTERN = r"^\d{18}$"


class PromotionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nip: str = Field(pattern=NIP_PATTERN, description="18-digit civil-servant number")
    period: date = Field(description="The promotion period: the 1st of an allowed month")
    type: PromotionType = PromotionType.REGULAR
    rulebook_version: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="The rulebook to pin the promotion to; by default the one in force for the "
        "period. A training rulebook (durations in minutes) is refused in production.",
    )


class DecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    justification: str = Field(min_length=1, max_length=4000)
    step: Step | None = Field(None, description="The step you saw pending; refused if stale")
    corrections: list[str] = Field(default_factory=list, max_length=50)
    decree_number: str | None = Field(None, max_length=100)


class PromotionRead(BaseModel):
    id: str
    nip: str
    agency: str
    period: date
    type: str
    status: str
    stage: str
    rulebook_version: str
    eligibility: dict[str, Any] | None
    pending: PendingRead | None
    decree: dict[str, Any] | None
    last_decision: dict[str, Any] | None
    return_count: int
    outcome_reason: str | None
    created_at: datetime
    updated_at: datetime


class PromotionPage(BaseModel):
    items: list[PromotionRead]
    next_cursor: str | None

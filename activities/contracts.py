"""Activity inputs and outputs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.ledger import LedgerEntryIn


class PromotionViewData(BaseModel):
    """The whole promotion read model as the workflow sees it; written in full each time."""

    status: str
    stage: str
    pending_step: str | None = None
    pending_role: str | None = None
    pending_actor_id: str | None = None
    escalated_to_role: str | None = None
    reminder_at: datetime | None = None
    due_at: datetime | None = None
    auto_approve_at: datetime | None = None
    eligibility: dict[str, Any] | None = None
    decree: dict[str, Any] | None = None
    last_decision: dict[str, Any] | None = None
    return_count: int = 0
    outcome_reason: str | None = None


class RecordPromotion(BaseModel):
    process_id: str
    entry: LedgerEntryIn
    view: PromotionViewData


class SnapshotRequest(BaseModel):
    nip: str


class HolidaysRequest(BaseModel):
    years: list[int] = Field(min_length=1)


class HolidaysResult(BaseModel):
    dates: list[date]

"""Inbound events (the ``data`` of each type, the answer) and promotion periods (read, tally)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain.cloudevents import CloudEvent
from domain.enums import PromotionType

Nip = Annotated[str, StringConstraints(pattern=r"^[0-9]{18}$")]
Agency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
MAX_PERIOD_NIPS = 50_000


class PeriodOpenedData(BaseModel):
    """``id.go.bkn.promotion_period.opened.v1``: a promotion period opened for an agency."""

    model_config = ConfigDict(extra="forbid")

    agency: Agency | None = Field(
        None, description="Defaults to the token's agency; required with a national token"
    )
    period: date = Field(description="The 1st of a month the rulebook opens")
    type: PromotionType = PromotionType.REGULAR
    nips: list[Nip] | None = Field(
        None,
        min_length=1,
        max_length=MAX_PERIOD_NIPS,
        description="The employees; absent: every candidate of the agency in the HR source",
    )

    @field_validator("nips")
    @classmethod
    def _no_repeats(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("each NIP at most once")
        return value


class EmployeeChangedData(BaseModel):
    """``id.go.bkn.employee.changed.v1``: an employee's record changed at the HR source."""

    model_config = ConfigDict(extra="allow")

    nip: Nip


class PostVacatedData(BaseModel):
    """``id.go.bkn.post.vacated.v1``: a post fell vacant (open selection is not built yet)."""

    model_config = ConfigDict(extra="allow")

    post_id: str = Field(min_length=1, max_length=200)
    agency: Agency | None = None


class EventAccepted(BaseModel):
    event_id: str
    source: str
    type: str
    status: Literal["accepted", "accepted_not_routed"]
    duplicate: bool = Field(description="True when this (source, id) was received before")
    process_id: str | None = Field(None, description="The process the event started or maps to")
    process_ids: list[str] = Field(
        default_factory=list, description="Processes notified (employee.changed)"
    )
    detail: str
    received_at: datetime


class PeriodTally(BaseModel):
    """Promotions of the agency in the period, from the promotions read model."""

    total: int = Field(description="Promotions of this agency and period in the read model")
    starting: int
    in_progress: int
    ineligible: int
    approved: int = Field(description="Completed: decree signed")
    rejected: int
    failed: int
    returned: int = Field(description="Returned for correction at least once (any status)")


class PromotionPeriodRead(BaseModel):
    id: str
    agency: str
    period: date
    type: str
    rulebook_version: str
    member_source: str
    status: str = Field(description="starting | running | completed (every promotion started)")
    requested: int | None = Field(description="Employees in the period, once known")
    started: int = Field(description="Promotions this period started")
    already_running: int = Field(description="Promotions that existed already (started nothing)")
    pending_start: int | None
    runs: int = Field(description="Workflow runs so far (continue-as-new)")
    tally: PeriodTally
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class PromotionPeriodPage(BaseModel):
    items: list[PromotionPeriodRead]
    next_cursor: str | None


def event_request_schema() -> dict[str, Any]:
    """The request body for the OpenAPI document (the route reads the raw body itself)."""
    schema = CloudEvent.model_json_schema()
    return {
        "required": True,
        "content": {
            "application/cloudevents+json": {"schema": schema},
            "application/json": {"schema": schema},
        },
    }

"""Inbound events (the ``data`` of each type, the answer) and promotion periods (read, tally)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain import cloudevents as ce
from domain.cloudevents import CloudEvent
from domain.enums import PromotionType
from domain.vacancies import FilledBy, PostKind

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
    """``id.go.bkn.post.vacated.v1``: a post fell vacant. A JPT post is filled from the talent pool
    (``talent-appointment-<agency>-<post_id>-<YYYYMMDD>``) where the agency's approval is current
    and a qualified successor in box 9 exists, otherwise by open selection
    (``selection-<agency>-<post_id>-<YYYYMMDD>``); any other post is recorded with the reason
    nothing was started."""

    model_config = ConfigDict(extra="allow")

    post_id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,54}$", description="The agency's id of the post"
    )
    agency: Agency | None = Field(
        None, description="Defaults to the token's agency; required with a national token"
    )
    vacated_on: date = Field(description="When the post fell vacant: one vacancy, one process")
    post_level: PostKind = Field(
        description="pratama, madya, utama (JPT: talent pool or open selection); administrator, "
        "pengawas, functional (filled within the agency)"
    )
    filled_by: FilledBy | None = Field(
        None,
        description="open_selection: the agency asks for an open selection; talent_management or "
        "absent: the rules decide (a current approval and a qualified successor in box 9, "
        "UU 5/2014 Pasal 111), open selection otherwise",
    )
    post_title: str | None = Field(None, min_length=1, max_length=300)
    appointing_authority_id: str | None = Field(
        None, min_length=1, max_length=100, description="The PPK's subject in their bearer token"
    )
    rulebook_version: str | None = Field(
        None, description="The open selection's rulebook; defaults to the rulebook in force"
    )
    talent_rulebook_version: str | None = Field(
        None, description="The talent-management rulebook; defaults to the rulebook in force"
    )
    oversight_body: str = Field("BKN-OVERSIGHT", min_length=1, max_length=64)
    assessment_body: str | None = Field(None, max_length=64)


class EventAccepted(BaseModel):
    event_id: str
    source: str
    type: str
    status: Literal["accepted", "accepted_not_routed"]
    duplicate: bool = Field(description="True when this (source, id) was received before")
    process_id: str | None = Field(None, description="The process the event started or maps to")
    process_kind: str | None = Field(
        None, description="promotion_period, selection, talent_appointment"
    )
    process_ids: list[str] = Field(
        default_factory=list, description="Processes notified (employee.changed)"
    )
    started: list[str] | None = Field(
        None,
        description="A period event for a period that already exists: the NIPs whose promotion "
        "it starts (they had none in that period)",
    )
    already_existed: list[str] | None = Field(
        None,
        description="... and the NIPs that already had a promotion in that period (none started)",
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


# The ``data`` each accepted type carries: the document states one envelope per type, so that an
# event a client builds from it is one the server reads (an unknown type is refused, 422).
DATA: dict[str, type[BaseModel]] = {
    ce.PERIOD_OPENED: PeriodOpenedData,
    ce.POST_VACATED: PostVacatedData,
    ce.EMPLOYEE_CHANGED: EmployeeChangedData,
}


def event_request_schema() -> dict[str, Any]:
    """The request body for the OpenAPI document (the route reads the raw body itself): the
    CloudEvents envelope, once per accepted type with that type's ``data``."""
    envelope = CloudEvent.model_json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = envelope.pop("$defs", {})
    variants = []
    for kind, model in DATA.items():
        data = model.model_json_schema(ref_template="#/$defs/{model}")
        defs |= data.pop("$defs", {})
        defs[model.__name__] = data
        name = model.__name__.removesuffix("Data") + "Event"
        properties = envelope["properties"] | {
            "type": {"type": "string", "const": kind},
            "data": {"$ref": f"#/$defs/{model.__name__}"},
        }
        defs[name] = envelope | {"title": name, "properties": properties}
        variants.append({"$ref": f"#/$defs/{name}"})
    schema = {"title": "CloudEvent", "oneOf": variants, "$defs": defs}
    return {
        "required": True,
        "content": {
            "application/cloudevents+json": {"schema": schema},
            "application/json": {"schema": schema},
        },
    }

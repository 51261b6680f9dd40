from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    UrlConstraints,
    WithJsonSchema,
    field_validator,
)

from domain.events import EVENT_TYPES

WebhookUrl = Annotated[HttpUrl, UrlConstraints(max_length=2000, allowed_schemes=["http", "https"])]
# One of the catalogue's types, as the schema lists them (``_known`` says which one is not).
EventType = Annotated[str, WithJsonSchema({"type": "string", "enum": sorted(EVENT_TYPES)})]
DeliveryStatus = Literal["pending", "delivered", "dead", "cancelled"]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl = Field(
        description="Where events are POSTed: https, to a host whose every address is public "
        "(422 webhook_url_insecure / webhook_url_forbidden_address / webhook_url_unresolvable "
        "otherwise); plain http only to loopback, in development"
    )
    event_types: list[EventType] = Field(
        min_length=1, max_length=len(EVENT_TYPES), description="See GET /v1/webhooks/event-types"
    )
    description: str | None = Field(None, max_length=500)

    @field_validator("event_types")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in EVENT_TYPES]
        if unknown:
            raise ValueError(
                f"unknown event type(s) {unknown}; known: {', '.join(sorted(EVENT_TYPES))}"
            )
        return list(dict.fromkeys(value))


class SubscriptionRead(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str | None
    agency: str | None = Field(description="None: a national subscription (every agency)")
    status: Literal["active", "paused"]
    created_by: str
    created_at: datetime
    updated_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(
        description="The Standard Webhooks signing secret (whsec_…). Shown here once, never again."
    )


class SubscriptionPage(BaseModel):
    items: list[SubscriptionRead]
    next_cursor: str | None


class DeliveryRead(BaseModel):
    id: str = Field(description="Also the webhook-id header: the same on every attempt and replay")
    subscription_id: str
    process_id: str
    sequence: int = Field(description="Order of this event among the process's, for this receiver")
    event_id: str
    event_type: str
    status: DeliveryStatus = Field(
        description="dead: its retry budget ran out; the process's later deliveries wait behind "
        "it until it is replayed"
    )
    attempts: int
    replays: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    dead_at: datetime | None
    event: dict[str, Any] = Field(description="The body sent")


class AttemptRead(BaseModel):
    attempted_at: datetime
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryDetail(DeliveryRead):
    attempt_log: list[AttemptRead]


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None


class ReplayDeadResult(BaseModel):
    subscription_id: str
    replayed: int = Field(description="How many dead deliveries were queued again")


class EventTypeRead(BaseModel):
    type: str
    version: int
    description: str
    json_schema: dict[str, Any] = Field(description="JSON schema of the whole body (envelope)")


class EventTypeList(BaseModel):
    items: list[EventTypeRead]

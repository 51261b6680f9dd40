"""Inbound CloudEvents 1.0: the envelope, the types we take, their keys, and the HTTP modes.

An HR system sends one event per request, in either mode of the HTTP protocol binding:

- *structured*: the whole event as a JSON object (``application/cloudevents+json``, or
  ``application/json`` without ``ce-`` headers)::

    {"specversion": "1.0", "id": "a1b2", "source": "//siasn.bkn.go.id/instansi/KEMENPANRB",
     "type": "id.go.bkn.promotion_period.opened.v1", "time": "2027-03-01T08:00:00Z",
     "datacontenttype": "application/json", "data": {"agency": "KEMENPANRB", "period": "2027-04-01"}}

- *binary*: each attribute in a ``ce-<name>`` header (percent-encoded), ``Content-Type`` the data's
  media type (JSON; absent means JSON), the data as the body (:func:`from_binary`).

*Batch* mode (``application/cloudevents-batch+json``) is refused 415: each event is its own decision,
with its own answer (202, or 200 for a repeat) and its own refusal in the ledger, which one response
for many events cannot carry. Send them one per request.

Identity: the spec makes ``source`` + ``id`` unique per distinct event, and a re-sent event keeps
both, so that pair is the deduplication key. Its content for comparison is ``type``, ``subject``
and ``data`` (:func:`content_hash`); ``time`` and extension attributes may differ on a re-send.

Types (v1): ``id.go.bkn.post.vacated.v1`` (a post fell vacant), ``id.go.bkn.promotion_period.opened.v1``
(a promotion period opened for an agency), ``id.go.bkn.employee.changed.v1`` (an employee's record
changed at the HR source).

Pure: the standard library and pydantic only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any, Final, Literal
from urllib.parse import unquote

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

POST_VACATED: Final = "id.go.bkn.post.vacated.v1"
PERIOD_OPENED: Final = "id.go.bkn.promotion_period.opened.v1"
EMPLOYEE_CHANGED: Final = "id.go.bkn.employee.changed.v1"
KNOWN_TYPES: Final = (POST_VACATED, PERIOD_OPENED, EMPLOYEE_CHANGED)

STRUCTURED: Final = "application/cloudevents+json"
BATCH: Final = "application/cloudevents-batch+json"
CONTENT_TYPES: Final = (STRUCTURED, "application/json")
BINARY_MARKER: Final = "ce-specversion"
_EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
_CORE = frozenset(
    {"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema"}
)


# The media types ``is_json_media_type`` takes, as the document states them (lower case).
_JSON_MEDIA_TYPE = (
    r"^(?:application/json|text/json|[a-z0-9!#$&^_.-]+/[a-z0-9!#$&^_.+-]*\+json)(?:;.*)?$"
)


def is_json_media_type(value: str) -> bool:
    """``application/json``, ``text/json`` or any ``…/…+json``, parameters ignored."""
    base = value.split(";", 1)[0].strip().lower()
    return base in ("application/json", "text/json") or base.endswith("+json")


class CloudEvent(BaseModel):
    """The context attributes of CloudEvents 1.0 and a JSON object as ``data``."""

    # Extension attributes are the names ``_attributes`` lets through, as the schema says them.
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "patternProperties": {_EXTENSION_NAME.pattern: {}},
            "additionalProperties": False,
        },
    )

    specversion: Literal["1.0"] = Field(description='Always "1.0"')
    id: str = Field(min_length=1, max_length=255)
    source: str = Field(min_length=1, max_length=500, description="A URI-reference")
    type: str = Field(min_length=1, max_length=200)
    subject: str | None = Field(None, min_length=1, max_length=500)
    time: AwareDatetime | None = Field(None, description="RFC 3339")
    datacontenttype: str | None = Field(
        None,
        max_length=200,
        description="A JSON media type (application/json, text/json, */*+json)",
        json_schema_extra={"pattern": _JSON_MEDIA_TYPE},
    )
    dataschema: str | None = Field(None, min_length=1, max_length=2000)
    data: dict[str, Any] = Field(description="The event's payload, a JSON object")

    @model_validator(mode="before")
    @classmethod
    def _attributes(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        if "data_base64" in value:
            raise ValueError("data_base64: binary data is not accepted; send data as JSON")
        for name in value:
            if name not in _CORE and name != "data" and not _EXTENSION_NAME.match(name):
                raise ValueError(
                    f"extension attribute {name!r}: names are 1-20 lowercase letters or digits"
                )
        content_type = value.get("datacontenttype")
        if isinstance(content_type, str) and not is_json_media_type(content_type):
            raise ValueError(
                f"datacontenttype {content_type!r}: only JSON data is accepted (application/json)"
            )
        return value


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_ref(source: str, event_id: str) -> str:
    """A fixed-width key for the (source, id) pair."""
    return sha256_hex(f"{source}\x1f{event_id}")


def content_hash(event: CloudEvent) -> str:
    return sha256_hex(
        canonical_json({"type": event.type, "subject": event.subject, "data": event.data})
    )


def from_binary(
    headers: Iterable[tuple[str, str]], content_type: str | None, data: Any
) -> dict[str, Any]:
    """The structured form of a binary-mode event: each ``ce-<name>`` header is attribute
    ``<name>`` (its value percent-decoded, HTTP binding 3.1.3.2), ``Content-Type`` is
    ``datacontenttype``, and ``data`` is the body as parsed."""
    envelope: dict[str, Any] = {}
    for name, value in headers:
        lower = name.lower()
        if lower.startswith("ce-") and len(lower) > 3 and lower[3:] != "data":
            envelope[lower[3:]] = unquote(value)
    if content_type:
        envelope["datacontenttype"] = content_type
    envelope["data"] = data
    return envelope

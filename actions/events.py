"""Inbound CloudEvents: which action each type is (``POST /v1/events`` picks by the body's type).

- ``id.go.bkn.promotion_period.opened.v1`` opens a promotion period (``actions/periods.py``);
- ``id.go.bkn.post.vacated.v1`` starts an open selection, or records why none (``actions/vacancies.py``);
- ``id.go.bkn.employee.changed.v1`` tells the employee's running promotions (``actions/employees.py``).

What they share — storing the event under its (source, id), answering a repeat from the stored row,
dispatching once — is ``actions/inbound.py``. One event per request, in structured or binary
mode (``domain/cloudevents.py``); both reach the action as the structured JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from actions.employees import CHANGED
from actions.periods import OPENED
from actions.pipeline import Action
from actions.schemas.events import EventAccepted
from actions.services import Services
from actions.targets import Target
from actions.vacancies import VACATED
from domain import cloudevents as ce
from domain.errors import RuleViolation, UnsupportedMedia
from domain.processes import ProcessKind
from infra.tokens import Principal

ACTIONS: dict[str, Action[ce.CloudEvent, EventAccepted]] = {
    ce.PERIOD_OPENED: OPENED,
    ce.POST_VACATED: VACATED,
    ce.EMPLOYEE_CHANGED: CHANGED,
}


async def _unknown_type(
    services: Services,  # noqa: ARG001 - a locator
    principal: Principal,  # noqa: ARG001
    event: ce.CloudEvent,
) -> Target:
    raise RuleViolation(
        f"Unknown event type '{event.type}'; accepted types: {', '.join(ce.KNOWN_TYPES)}.",
        code="unknown_event_type",
        field="type",
    )


async def _never(_: Any) -> EventAccepted:
    raise AssertionError("an event of an unknown type is refused by its locator")


# An envelope without a known type still goes through the pipeline (role, then envelope), and is
# refused when its type is read; there is no process to record that on, and the kind is unused.
UNKNOWN: Action[ce.CloudEvent, EventAccepted] = Action(
    name="event.unknown_type",
    kind=ProcessKind.PROMOTION_PERIOD,
    refused="event.refused",
    body=ce.CloudEvent,
    result=EventAccepted,
    locate=_unknown_type,
    execute=_never,
)


def action_for(raw: bytes) -> Action[ce.CloudEvent, EventAccepted]:
    """The action of the event in ``raw`` (a JSON object), by its ``type``."""
    value = json.loads(raw)
    event_type = value.get("type") if isinstance(value, dict) else None
    return ACTIONS.get(event_type, UNKNOWN) if isinstance(event_type, str) else UNKNOWN


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RuleViolation(
            f"The body is not valid JSON: {exc}.", code="invalid_json", field="body"
        ) from exc


def binary_event(headers: Iterable[tuple[str, str]], content_type: str, raw: bytes) -> bytes:
    """A binary-mode event (``ce-`` headers, the data as the body) as its structured JSON."""
    if content_type and not ce.is_json_media_type(content_type):
        raise UnsupportedMedia(
            "In binary mode the body is the event's data, and only JSON data is accepted "
            f"(Content-Type: application/json; got '{content_type}').",
            field="Content-Type",
        )
    data = _parse(raw) if raw.strip() else None
    envelope = ce.from_binary(headers, content_type or None, data)
    return ce.canonical_json(envelope).encode("utf-8")


def one_event(raw: bytes) -> bytes:
    """The body, if it is one JSON object (the envelope is the action's to check)."""
    value = _parse(raw)
    if not isinstance(value, dict):
        raise RuleViolation(
            "The body must be one CloudEvent, a JSON object.",
            code="validation_error",
            fields=[{"field": "body", "message": "expected a JSON object"}],
        )
    return raw

"""Inbound CloudEvents as actions: what every event type shares.

Each event type is one action of the pipeline (``actions/events.py`` picks it by type). Its target
is the process the event starts or concerns — a promotion period, a selection, an agency's employee
records — so a refused event is recorded on that chain. The order of work makes a repeated event
start nothing:

1. **locate**: an event whose (source, id) was handled before is answered from its stored row,
   without checking its data against today's rules again (its target is the process it went to);
   otherwise the type parses its data and names its target;
2. **precheck** the values (a period against the rulebook and today's submission window, ...);
3. **store** the event under its (source, id) with a unique constraint — and for a new period its
   row — in one transaction: the stored row is the truth from then on;
4. only a request that finds the row not yet dispatched **dispatches** (starts or signals, with
   deterministic workflow ids so an existing run is used), then marks the row with what it did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel, ValidationError

from actions.pipeline import Action, Attempt, validation_error
from actions.schemas.events import EventAccepted
from actions.services import Services
from actions.targets import Target
from domain import cloudevents as ce
from domain.enums import Role
from domain.errors import DomainError, RuleViolation
from domain.processes import ProcessKind
from infra.tokens import Principal
from store import events as store_events
from store.event_models import InboundEvent

log = structlog.get_logger(__name__)

SENDERS = frozenset({Role.HR_SYSTEM.value, Role.ADMIN.value})
DataT = TypeVar("DataT", bound=BaseModel)
Dispatch = Callable[[], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Inbound:
    """An event as its target carries it (``Target.row``) through the pipeline."""

    event: ce.CloudEvent
    ref: str  # the fixed-width key of (source, id)
    stored: InboundEvent | None = None  # its row, when the event was received before
    data: Any = None  # the type's data model, parsed (None for a repeat)
    extra: Any = None  # what the type's locator read (a period row, an employee)

    @property
    def handled(self) -> bool:
        return self.stored is not None and self.stored.status != "received"


@dataclass
class Plan:
    """What an accepted event does, decided before anything is stored."""

    detail: str
    process_id: str | None = None
    process_kind: ProcessKind | None = None
    routed: bool = True
    period_row: dict[str, Any] | None = None
    dispatch: Dispatch | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Locator = Callable[[Services, Principal, Inbound], Awaitable[Target]]
Planner = Callable[[Attempt[ce.CloudEvent]], Awaitable[Plan]]


def inbound(a: Attempt[Any]) -> Inbound:
    found: Inbound = a.target.row
    return found


def parse_data(model: type[DataT], event: ce.CloudEvent) -> DataT:
    """The event's ``data`` as ``model``; errors name the field as ``data.<field>``."""
    try:
        return model.model_validate(event.data)
    except ValidationError as err:
        fields = [_in_data(f) for f in validation_error(err).fields]
        names = ", ".join(f["field"] for f in fields[:5])
        raise RuleViolation(
            f"The data of a '{event.type}' event is not valid: check {names}.",
            code="validation_error",
            fields=fields,
        ) from err


def _in_data(f: dict[str, str]) -> dict[str, str]:
    name = f["field"]
    return {**f, "field": "data" if name == "body" else f"data.{name}"}


def in_data(err: DomainError) -> DomainError:
    """A rule's refusal of a value the event carries in ``data``: its fields named as such."""
    err.fields = [_in_data(f) for f in err.fields]
    return err


def agency_of(principal: Principal, named: str | None) -> str:
    """The agency an event is about: the one it names, else the token's (an agency-bound token
    naming another agency's process is refused as not visible, like any other)."""
    agency = named or principal.agency
    if agency is None:
        raise RuleViolation(
            "data.agency is required when the token names no agency.",
            code="agency_required",  # the code every other action gives this refusal
            field="data.agency",
        )
    return agency


def event_target(
    kind: ProcessKind,
    process_id: str,
    agency: str | None,
    found: Inbound,
    *,
    label: str,
    stage: str | None = None,
    subject: str | None = None,
    rulebook_version: str | None = None,
    missing: str = "agency_out_of_scope",
) -> Target:
    return Target(
        kind,
        process_id,
        agency,
        stage,
        subject,
        rulebook_version,
        row=found,
        label=label,
        missing=missing,
    )


def event_action(
    *,
    name: str,
    kind: ProcessKind,
    refused: str,
    locate: Locator,
    plan: Planner,
    precheck: Callable[[Attempt[ce.CloudEvent]], None] | None = None,
    summary: str = "",
) -> Action[ce.CloudEvent, EventAccepted]:
    """The action of one event type: its locator, its precheck and its plan in the shared frame."""

    async def _locate(services: Services, principal: Principal, event: ce.CloudEvent) -> Target:
        ref = ce.event_ref(event.source, event.id)
        async with services.sessions() as session:
            stored = await store_events.get_event(session, ref)
        found = Inbound(event, ref, stored)
        if found.handled:
            return _repeat(kind, found)
        return await locate(services, principal, found)

    def _precheck(a: Attempt[ce.CloudEvent]) -> None:
        if precheck is not None and not inbound(a).handled:
            precheck(a)

    async def _execute(a: Attempt[ce.CloudEvent]) -> EventAccepted:
        return await receive(a, plan)

    return Action(
        name=name,
        kind=kind,
        refused=refused,
        body=ce.CloudEvent,
        result=EventAccepted,
        locate=_locate,
        precheck=_precheck,
        execute=_execute,
        summary=summary,
    )


def _repeat(kind: ProcessKind, found: Inbound) -> Target:
    """The target of an event handled before: the process it went to, as its row says."""
    row, event = found.stored, found.event
    assert row is not None
    process_id = row.process_id or row.result.get("target") or f"inbound-event-{found.ref[:32]}"
    return event_target(
        kind,
        str(process_id),
        row.agency,
        found,
        label=f"event '{event.id}' from {event.source}",
    )


# ---- storing and dispatching --------------------------------------------------------------------


async def receive(a: Attempt[ce.CloudEvent], planner: Planner) -> EventAccepted:
    found = inbound(a)
    if found.handled:
        assert found.stored is not None
        _same_content(found.stored, found.event)
        log.info("event.repeated", event_type=found.event.type, ref=found.ref)
        return answer(found.stored, duplicate=True)
    plan = await planner(a)
    event, ref = found.event, found.ref
    async with a.services.sessions() as session, session.begin():
        inserted = await store_events.insert_event_if_absent(session, _event_row(a, found, plan))
        if inserted and plan.period_row is not None:
            await store_events.insert_period_if_absent(session, plan.period_row)
        row = await store_events.get_event(session, ref)
    assert row is not None
    _same_content(row, event)
    if row.status == "received" and plan.dispatch is not None:
        # Ours, or an earlier attempt that may have stopped before dispatching: dispatching again
        # is safe, because workflow ids are business keys and an existing run is used.
        result = {**row.result, **await plan.dispatch()}
        async with a.services.sessions() as session, session.begin():
            now = datetime.now(UTC)
            await store_events.mark_event(session, ref, status="dispatched", result=result, now=now)
            row = await store_events.get_event(session, ref)
        assert row is not None
    log.info("event.received", event_type=event.type, ref=ref, duplicate=not inserted)
    return answer(row, duplicate=not inserted)


def _same_content(row: InboundEvent, event: ce.CloudEvent) -> None:
    if row.content_hash != ce.content_hash(event):
        raise RuleViolation(
            f"An event with id '{event.id}' from this source was received before with other "
            "content; a new event needs a new id.",
            code="event_id_reused",
            field="id",
        )


def _event_row(a: Attempt[ce.CloudEvent], found: Inbound, plan: Plan) -> dict[str, Any]:
    event = found.event
    result: dict[str, Any] = {"detail": plan.detail, "target": a.target.process_id, **plan.extra}
    if plan.process_kind is not None:
        result["process_kind"] = plan.process_kind.value
    return {
        "ref": found.ref,
        "source": event.source,
        "event_id": event.id,
        "type": event.type,
        "subject": event.subject,
        "agency": a.target.agency,
        "content_hash": ce.content_hash(event),
        "status": "received" if plan.routed else "not_routed",
        "process_id": plan.process_id,
        "result": result,
        "received_by": a.principal.sub,
        "received_at": datetime.now(UTC),
        "dispatched_at": None,
    }


def answer(row: InboundEvent, *, duplicate: bool) -> EventAccepted:
    result = row.result
    return EventAccepted(
        event_id=row.event_id,
        source=row.source,
        type=row.type,
        status="accepted" if row.status != "not_routed" else "accepted_not_routed",
        duplicate=duplicate,
        process_id=row.process_id,
        process_kind=result.get("process_kind"),
        process_ids=list(result.get("process_ids", [])),
        started=result.get("started"),
        already_existed=result.get("already_existed"),
        detail=str(result.get("detail", "")),
        received_at=row.received_at,
    )

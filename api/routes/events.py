"""Inbound CloudEvents from HR systems: ``POST /v1/events``.

One event per request, structured JSON mode (``application/cloudevents+json`` or
``application/json``). The order of work is what makes a repeated event start nothing:

1. parse and validate everything (envelope, type, data, agency scope, the rulebook's periods) —
   a refusal stores nothing and starts nothing;
2. store the event under its (source, id) with a unique constraint, and for a period its row, in
   one transaction — the stored row is the truth from then on;
3. only the request whose row is not yet dispatched starts (deterministic workflow id, existing
   one used) or signals, then marks the row dispatched with what it did;
4. a repeat of a handled event — after completion, or after Temporal's retention — reads the
   row first and answers the same process id (200, ``duplicate: true``) without validating again
   or touching Temporal; a concurrent repeat that finds the row not yet dispatched starts with
   the same workflow id, which finds the running one (so it too starts nothing new).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, TypeVar

import structlog
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ValidationError
from temporalio.client import Client
from temporalio.service import RPCError

from actions.schemas.events import (
    EmployeeChangedData,
    EventAccepted,
    PostVacatedData,
    event_request_schema,
)
from api import idempotency
from api.auth import can_see_agency, require_roles
from api.deps import AppContext, ClientDep, ContextDep
from api.errors import ApiError, field_errors, responses, validation_error
from api.idempotency import IdempotencyKeyHeader
from domain import cloudevents as ce
from domain.enums import Role
from infra.tokens import Principal
from store import events as store_events
from store import repositories
from store.event_models import InboundEvent
from workflows.promotion import PromotionWorkflow

router = APIRouter(prefix="/v1/events", tags=["events"])
log = structlog.get_logger(__name__)
SENDERS = require_roles(Role.HR_SYSTEM)
NOT_ROUTED_DETAIL = (
    "Recorded, not routed: open selection (seleksi terbuka) is not built yet, so no process was "
    "started for this vacancy. The event is kept and can be routed once it is."
)

Dispatch = Callable[[], Awaitable[dict[str, Any]]]
DataT = TypeVar("DataT", bound=BaseModel)


@dataclass
class Plan:
    """What an accepted event will do, decided before anything is stored."""

    agency: str | None
    detail: str
    process_id: str | None = None
    routed: bool = True
    period_row: dict[str, Any] | None = None
    dispatch: Dispatch | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Incoming:
    event: ce.CloudEvent
    principal: Principal
    request_id: str


Planner = Callable[[AppContext, Client, Incoming], Awaitable[Plan]]


@router.post(
    "",
    status_code=202,
    response_model=EventAccepted,
    responses=responses(200, 401, 403, 404, 413, 415, 422),
    openapi_extra={"requestBody": event_request_schema()},
    summary="Receive one CloudEvent; the same (source, id) again starts nothing",
)
async def receive_event(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(SENDERS)],
    ctx: ContextDep,
    client: ClientDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> EventAccepted:
    raw = await _read_json(request)
    event = _parse_event(raw)
    ref = ce.event_ref(event.source, event.id)
    key = await idempotency.claim(
        ctx, principal, idempotency_key, scope="events", body=raw, process_id=f"event:{ref}"
    )
    answer = await _already_dispatched(ctx, principal, event, ref)
    if answer is not None:
        response.status_code = 200
        await idempotency.complete(ctx, key, response, response.status_code)
        return answer
    planner = planners().get(event.type)
    if planner is None:
        raise ApiError(
            422,
            "unknown_event_type",
            f"Unknown event type '{event.type}'; accepted types: {', '.join(ce.KNOWN_TYPES)}.",
            [{"field": "type", "message": f"unknown type '{event.type}'"}],
        )
    plan = await planner(ctx, client, Incoming(event, principal, request.state.request_id))
    answer = await _receive(ctx, principal, event, ref, plan)
    response.status_code = 200 if answer.duplicate else 202
    await idempotency.complete(ctx, key, response, response.status_code)
    return answer


async def _read_json(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    base = content_type.split(";", 1)[0].strip().lower()
    if base not in ce.CONTENT_TYPES:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Send one event in CloudEvents structured mode as {' or '.join(ce.CONTENT_TYPES)}"
            f" (got '{content_type or 'none'}'; batch and binary modes are not accepted).",
        )
    body = await request.body()
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(
            422,
            "invalid_json",
            f"The body is not valid JSON: {exc}.",
            [{"field": "body", "message": "not valid JSON"}],
        ) from exc
    if not isinstance(value, dict):
        raise ApiError(
            422,
            "validation_error",
            "The body must be one CloudEvent, a JSON object.",
            [{"field": "body", "message": "expected a JSON object"}],
        )
    return value


def _parse_event(raw: dict[str, Any]) -> ce.CloudEvent:
    try:
        return ce.CloudEvent.model_validate(raw)
    except ValidationError as err:
        raise validation_error(err.errors()) from err


def parse_data(model: type[DataT], event: ce.CloudEvent) -> DataT:
    """The event's ``data`` as ``model``; errors name the field as ``data.<field>``."""
    try:
        return model.model_validate(event.data)
    except ValidationError as err:
        fields = [
            {**f, "field": f"data.{f['field']}" if f["field"] != "body" else "data"}
            for f in field_errors(err.errors())
        ]
        names = ", ".join(f["field"] for f in fields[:5])
        raise ApiError(
            422,
            "validation_error",
            f"The data of a '{event.type}' event is not valid: check {names}.",
            fields,
        ) from err


def scoped_agency(principal: Principal, named: str | None) -> str | None:
    """The agency an event is about: the token's; a national token may name any."""
    if principal.agency is not None and named is not None and named != principal.agency:
        raise ApiError(
            403,
            "agency_out_of_scope",
            f"Your token is for {principal.agency}; it cannot send events about {named}.",
        )
    return named or principal.agency


# --- storing and dispatching -------------------------------------------------------------------


async def _already_dispatched(
    ctx: AppContext, principal: Principal, event: ce.CloudEvent, ref: str
) -> EventAccepted | None:
    """The stored answer to a repeat of an event that was handled: nothing is checked against
    Temporal (the process may be long gone) and nothing is started."""
    async with ctx.sessions() as session:
        row = await store_events.get_event(session, ref)
    if row is None or row.status == "received":
        return None
    if not can_see_agency(principal, row.agency):
        raise ApiError(
            403,
            "agency_out_of_scope",
            f"The event '{event.id}' from this source concerns another agency.",
        )
    _same_content(row, event)
    log.info("event.repeated", event_type=event.type, ref=ref)
    return _answer(row, duplicate=True)


def _same_content(row: InboundEvent, event: ce.CloudEvent) -> None:
    if row.content_hash != ce.content_hash(event):
        raise ApiError(
            422,
            "event_id_reused",
            f"An event with id '{event.id}' from this source was received before with other "
            "content; a new event needs a new id.",
            [{"field": "id", "message": "already used with other content"}],
        )


def _answer(row: InboundEvent, *, duplicate: bool) -> EventAccepted:
    return EventAccepted(
        event_id=row.event_id,
        source=row.source,
        type=row.type,
        status="accepted" if row.status != "not_routed" else "accepted_not_routed",
        duplicate=duplicate,
        process_id=row.process_id,
        process_ids=list(row.result.get("process_ids", [])),
        detail=str(row.result.get("detail", "")),
        received_at=row.received_at,
    )


async def _receive(
    ctx: AppContext, principal: Principal, event: ce.CloudEvent, ref: str, plan: Plan
) -> EventAccepted:
    digest = ce.content_hash(event)
    async with ctx.sessions() as session, session.begin():
        inserted = await store_events.insert_event_if_absent(
            session, _event_row(event, ref, digest, principal, plan)
        )
        if inserted and plan.period_row is not None:
            await store_events.insert_period_if_absent(session, plan.period_row)
        row = await store_events.get_event(session, ref)
    assert row is not None
    _same_content(row, event)
    if row.status == "received" and plan.dispatch is not None:
        # Ours, or an earlier attempt that may have stopped before starting: starting again is
        # safe, because the workflow id is the business key and an existing one is used.
        result = {**row.result, **await plan.dispatch()}
        async with ctx.sessions() as session, session.begin():
            now = datetime.now(UTC)
            await store_events.mark_event(session, ref, status="dispatched", result=result, now=now)
            row = await store_events.get_event(session, ref)
        assert row is not None
    log.info("event.received", event_type=event.type, ref=ref, duplicate=not inserted)
    return _answer(row, duplicate=not inserted)


def _event_row(
    event: ce.CloudEvent, ref: str, digest: str, principal: Principal, plan: Plan
) -> dict[str, Any]:
    return {
        "ref": ref,
        "source": event.source,
        "event_id": event.id,
        "type": event.type,
        "subject": event.subject,
        "agency": plan.agency,
        "content_hash": digest,
        "status": "received" if plan.routed else "not_routed",
        "process_id": plan.process_id,
        "result": {"detail": plan.detail, **plan.extra},
        "received_by": principal.sub,
        "received_at": datetime.now(UTC),
        "dispatched_at": None,
    }


# --- the types other than the period ------------------------------------------------------------


async def plan_post_vacated(ctx: AppContext, client: Client, inc: Incoming) -> Plan:  # noqa: ARG001 - a Planner
    data = parse_data(PostVacatedData, inc.event)
    agency = scoped_agency(inc.principal, data.agency)
    return Plan(
        agency=agency, detail=NOT_ROUTED_DETAIL, routed=False, extra={"post_id": data.post_id}
    )


async def plan_employee_changed(ctx: AppContext, client: Client, inc: Incoming) -> Plan:
    data = parse_data(EmployeeChangedData, inc.event)
    async with ctx.sessions() as session:
        employee = await repositories.get_employee(session, data.nip)
        running = await store_events.running_promotions_of(session, data.nip)
    if employee is not None and not can_see_agency(inc.principal, employee.agency):
        raise ApiError(404, "employee_not_found", f"No employee with NIP {data.nip} is known here.")
    targets = [p.process_id for p in running if can_see_agency(inc.principal, p.agency)]
    signal_id = inc.event.id

    async def dispatch() -> dict[str, Any]:
        notified = []
        for process_id in targets:
            handle = client.get_workflow_handle_for(PromotionWorkflow.run, process_id)
            try:
                await handle.signal(PromotionWorkflow.employee_changed, signal_id)
            except RPCError as err:  # finished or not yet started: nothing to notify
                log.info("event.signal_skipped", process_id=process_id, error=err.message)
                continue
            notified.append(process_id)
        return {
            "process_ids": notified,
            "detail": f"Notified {len(notified)} running process(es) of employee {data.nip}.",
        }

    agency = employee.agency if employee is not None else inc.principal.agency
    return Plan(agency=agency, detail="Received; notifying running processes.", dispatch=dispatch)


@cache
def planners() -> dict[str, Planner]:
    """Event type -> planner. Resolved on first use: the period's planner lives with the periods
    (api/routes/promotion_periods.py), which imports this module."""
    from api.routes.promotion_periods import plan_period_opened

    return {
        ce.POST_VACATED: plan_post_vacated,
        ce.PERIOD_OPENED: plan_period_opened,
        ce.EMPLOYEE_CHANGED: plan_employee_changed,
    }

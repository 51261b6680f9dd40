"""Outbound webhooks: subscriptions (agency-scoped), their deliveries, replays, the event catalogue.

The subscription row is the source of truth for pause / resume / delete; the dispatcher workflow
is told by signal so it reacts at once, and its activity reads the row anyway, so a lost signal
only delays things. Writes start with a write statement (SQLite: see infra/db.py), so reads that
check visibility are done and closed first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query, Response
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from actions.schemas.webhooks import (
    AttemptRead,
    DeliveryDetail,
    DeliveryPage,
    DeliveryRead,
    DeliveryStatus,
    EventTypeList,
    EventTypeRead,
    ReplayDeadResult,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPage,
    SubscriptionRead,
)
from activities.webhooks import UnsafeDestination, check_url
from api.auth import can_see_agency, require_roles
from api.deps import ClientDep, ContextDep, SessionDep
from api.errors import ApiError, responses
from domain.enums import Role
from domain.errors import DomainError
from domain.events import EVENT_TYPES, event_schema
from infra.settings import Settings
from infra.tokens import Principal
from store import webhooks
from store.webhook_models import WebhookDelivery, WebhookSubscription
from workflows.webhooks import DispatcherInput, WebhookDispatcherWorkflow, dispatcher_workflow_id

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
log = structlog.get_logger(__name__)

MANAGERS = require_roles(Role.HR_SYSTEM, Role.AGENCY_HR)
ManagerDep = Annotated[Principal, Depends(MANAGERS)]


def to_read(sub: WebhookSubscription) -> SubscriptionRead:
    return SubscriptionRead(
        id=sub.id,
        url=sub.url,
        event_types=list(sub.event_types),
        description=sub.description,
        agency=sub.agency,
        status="paused" if sub.status == "paused" else "active",
        created_by=sub.created_by,
        created_at=sub.created_at,
        updated_at=sub.updated_at,
    )


def delivery_read(d: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=d.id,
        subscription_id=d.subscription_id,
        process_id=d.process_id,
        sequence=d.seq,
        event_id=d.event_id,
        event_type=d.event_type,
        status=d.status,
        attempts=d.attempts,
        replays=d.replays,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        created_at=d.created_at,
        last_attempt_at=d.last_attempt_at,
        delivered_at=d.delivered_at,
        dead_at=d.dead_at,
        event=dict(d.payload),
    )


def _dispatcher_input(settings: Settings, subscription_id: str) -> DispatcherInput:
    return DispatcherInput(
        subscription_id=subscription_id,
        idle_seconds=settings.webhook_idle_seconds,
        backoff_initial_seconds=settings.webhook_backoff_initial_seconds,
        backoff_max_seconds=settings.webhook_backoff_max_seconds,
        max_attempts=settings.webhook_max_attempts,
        max_age_seconds=settings.webhook_max_age_seconds,
        allow_loopback=settings.webhook_loopback_allowed,
    )


async def _start_dispatcher(ctx: ContextDep, client: Client, sub_id: str, signal: str) -> None:
    """Start the subscription's dispatcher, or signal the running one (signal-with-start)."""
    await client.start_workflow(
        WebhookDispatcherWorkflow.run,
        _dispatcher_input(ctx.settings, sub_id),
        id=dispatcher_workflow_id(sub_id),
        task_queue=ctx.settings.task_queue,
        start_signal=signal,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def _signal(client: Client, sub_id: str, name: str) -> None:
    """Tell the dispatcher; if it is gone or Temporal is away, the row already says it all."""
    try:
        await client.get_workflow_handle(dispatcher_workflow_id(sub_id)).signal(name)
    except RPCError as err:
        level = log.info if err.status == RPCStatusCode.NOT_FOUND else log.warning
        level("webhooks.signal_not_sent", subscription_id=sub_id, signal=name, error=str(err))


async def _visible(
    session: SessionDep, principal: Principal, subscription_id: str
) -> WebhookSubscription:
    sub = await webhooks.get_subscription(session, subscription_id)
    if sub is None or sub.status == "deleted" or not can_see_agency(principal, sub.agency):
        raise ApiError(
            404, "subscription_not_found", f"No subscription '{subscription_id}' is visible to you."
        )
    return sub


# --- subscriptions -------------------------------------------------------------------------------


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=SubscriptionCreated,
    responses=responses(401, 403, 413, 422, 503),
    summary="Subscribe a URL to event types; the signing secret is in this answer only",
)
async def create_subscription(
    body: SubscriptionCreate, principal: ManagerDep, ctx: ContextDep, client: ClientDep
) -> SubscriptionCreated:
    await _check_destination(ctx, principal, str(body.url))
    now = datetime.now(UTC)
    async with ctx.sessions() as session, session.begin():
        sub = await webhooks.create_subscription(
            session,
            agency=principal.agency,
            url=str(body.url),
            event_types=body.event_types,
            description=body.description,
            created_by=principal.sub,
            now=now,
        )
    try:
        await _start_dispatcher(ctx, client, sub.id, "resume")
    except RPCError as err:
        # Nothing half-made: without its dispatcher the subscription would queue for nobody.
        async with ctx.sessions() as session, session.begin():
            await webhooks.set_status(session, sub.id, "deleted", now=datetime.now(UTC))
        raise ApiError(
            503, "temporal_unavailable", "The subscription could not be started; try again."
        ) from err
    log.info("webhooks.subscribed", subscription_id=sub.id, agency=sub.agency)
    return SubscriptionCreated(**to_read(sub).model_dump(), secret=sub.secret)


async def _check_destination(ctx: ContextDep, principal: Principal, url: str) -> None:
    """The SSRF guard at creation (the activity checks again before every batch)."""
    try:
        await check_url(url, allow_loopback=ctx.settings.webhook_loopback_allowed)
    except UnsafeDestination as refused:
        log.warning(
            "webhooks.subscription_refused",
            error=refused.code,
            detail=refused.detail,
            url=url,
            principal=principal.sub,
            agency=principal.agency,
        )
        raise ApiError(
            422, refused.code, refused.detail, [{"field": "url", "message": refused.detail}]
        ) from refused


@router.get("/subscriptions", response_model=SubscriptionPage, responses=responses(401, 403))
async def list_subscriptions(
    principal: ManagerDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> SubscriptionPage:
    rows = await webhooks.list_subscriptions(
        session,
        agency=principal.agency,
        national=principal.agency is None,
        limit=limit + 1,
        after=cursor,
    )
    items = [to_read(r) for r in rows[:limit]]
    return SubscriptionPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


@router.get(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionRead,
    responses=responses(401, 403, 404),
)
async def get_subscription(
    subscription_id: str, principal: ManagerDep, session: SessionDep
) -> SubscriptionRead:
    return to_read(await _visible(session, principal, subscription_id))


async def _set_status(
    ctx: ContextDep, session: SessionDep, principal: Principal, sub_id: str, status: str
) -> WebhookSubscription:
    await _visible(session, principal, sub_id)
    await session.close()
    async with ctx.sessions() as write, write.begin():
        await webhooks.set_status(write, sub_id, status, now=datetime.now(UTC))
    async with ctx.sessions() as fresh:
        sub = await webhooks.get_subscription(fresh, sub_id)
    assert sub is not None
    log.info("webhooks.subscription_status", subscription_id=sub_id, status=status)
    return sub


@router.post(
    "/subscriptions/{subscription_id}/pause",
    response_model=SubscriptionRead,
    responses=responses(401, 403, 404),
    summary="Stop sending; events keep being queued and go out in order after resume",
)
async def pause_subscription(
    subscription_id: str,
    principal: ManagerDep,
    ctx: ContextDep,
    session: SessionDep,
    client: ClientDep,
) -> SubscriptionRead:
    sub = await _set_status(ctx, session, principal, subscription_id, "paused")
    await _signal(client, subscription_id, "pause")
    return to_read(sub)


@router.post(
    "/subscriptions/{subscription_id}/resume",
    response_model=SubscriptionRead,
    responses=responses(401, 403, 404, 503),
)
async def resume_subscription(
    subscription_id: str,
    principal: ManagerDep,
    ctx: ContextDep,
    session: SessionDep,
    client: ClientDep,
) -> SubscriptionRead:
    sub = await _set_status(ctx, session, principal, subscription_id, "active")
    try:
        await _start_dispatcher(ctx, client, subscription_id, "resume")
    except RPCError as err:
        raise ApiError(
            503, "temporal_unavailable", "Resumed, but the dispatcher could not be reached."
        ) from err
    return to_read(sub)


@router.delete(
    "/subscriptions/{subscription_id}", status_code=204, responses=responses(401, 403, 404)
)
async def delete_subscription(
    subscription_id: str,
    principal: ManagerDep,
    ctx: ContextDep,
    session: SessionDep,
    client: ClientDep,
) -> Response:
    await _set_status(ctx, session, principal, subscription_id, "deleted")
    await _signal(client, subscription_id, "stop")
    return Response(status_code=204)


# --- deliveries ----------------------------------------------------------------------------------


@router.get(
    "/subscriptions/{subscription_id}/deliveries",
    response_model=DeliveryPage,
    responses=responses(401, 403, 404, 422),
)
async def list_deliveries(
    subscription_id: str,
    principal: ManagerDep,
    session: SessionDep,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> DeliveryPage:
    await _visible(session, principal, subscription_id)
    rows = await webhooks.list_deliveries(
        session, subscription_id, status=status, limit=limit + 1, after=cursor
    )
    items = [delivery_read(d) for d in rows[:limit]]
    return DeliveryPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


async def _visible_delivery(
    session: SessionDep, principal: Principal, delivery_id: str
) -> WebhookDelivery:
    delivery = await webhooks.get_delivery(session, delivery_id)
    if delivery is not None:
        try:
            await _visible(session, principal, delivery.subscription_id)
            return delivery
        except DomainError:
            pass
    raise ApiError(404, "delivery_not_found", f"No delivery '{delivery_id}' is visible to you.")


@router.get(
    "/deliveries/{delivery_id}", response_model=DeliveryDetail, responses=responses(401, 403, 404)
)
async def get_delivery(
    delivery_id: str, principal: ManagerDep, session: SessionDep
) -> DeliveryDetail:
    delivery = await _visible_delivery(session, principal, delivery_id)
    attempts = await webhooks.list_attempts(session, delivery_id)
    log_rows = [
        AttemptRead(
            attempted_at=a.attempted_at,
            ok=a.ok,
            status_code=a.status_code,
            error=a.error,
            duration_ms=a.duration_ms,
        )
        for a in attempts
    ]
    return DeliveryDetail(**delivery_read(delivery).model_dump(), attempt_log=log_rows)


@router.post(
    "/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=DeliveryRead,
    responses=responses(401, 403, 404),
    summary="Send a delivery again (a dead one too), with the same webhook-id and a fresh retry "
    "budget, in its place in the process's order",
)
async def replay_delivery(
    delivery_id: str,
    principal: ManagerDep,
    ctx: ContextDep,
    session: SessionDep,
    client: ClientDep,
) -> DeliveryRead:
    delivery = await _visible_delivery(session, principal, delivery_id)
    sub_id, already_queued = delivery.subscription_id, delivery.status == "pending"
    await session.close()
    if not already_queued:
        async with ctx.sessions() as write, write.begin():
            await webhooks.requeue(write, delivery_id)
        log.info("webhooks.replay_queued", delivery_id=delivery_id, subscription_id=sub_id)
    await _signal(client, sub_id, "wake")
    async with ctx.sessions() as fresh:
        again = await webhooks.get_delivery(fresh, delivery_id)
    assert again is not None
    return delivery_read(again)


@router.post(
    "/subscriptions/{subscription_id}/deliveries/replay-dead",
    status_code=202,
    response_model=ReplayDeadResult,
    responses=responses(401, 403, 404),
    summary="Queue every dead delivery of a subscription again (after a long outage), in order",
)
async def replay_dead(
    subscription_id: str,
    principal: ManagerDep,
    ctx: ContextDep,
    session: SessionDep,
    client: ClientDep,
) -> ReplayDeadResult:
    await _visible(session, principal, subscription_id)
    await session.close()
    async with ctx.sessions() as write, write.begin():
        count = await webhooks.requeue_dead(write, subscription_id)
    log.info("webhooks.dead_replayed", subscription_id=subscription_id, count=count)
    if count:
        await _signal(client, subscription_id, "wake")
    return ReplayDeadResult(subscription_id=subscription_id, replayed=count)


# --- the catalogue -------------------------------------------------------------------------------


@router.get(
    "/event-types",
    response_model=EventTypeList,
    summary="Every event type with the JSON schema of its body (no token needed)",
)
async def event_types() -> EventTypeList:
    items = [
        EventTypeRead(
            type=name,
            version=int(name.rsplit(".v", 1)[1]),
            description=description,
            json_schema=event_schema(name),
        )
        for name, (_, description) in EVENT_TYPES.items()
    ]
    return EventTypeList(items=items)

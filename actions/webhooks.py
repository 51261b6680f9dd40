"""Webhook subscriptions: create, pause, resume, delete; replay a delivery or every dead one.

These change no process: their target is the ledger chain of the agency's subscriptions
(``domain.processes.agency_chain_id``), which is where a refused attempt is recorded, with the
subscription or delivery as its subject. The subscription row is the source of truth for pause,
resume and delete; its dispatcher workflow is told by signal so it reacts at once, and reads the
row anyway, so a lost signal only delays things.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import structlog
from pydantic import BaseModel, ConfigDict
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from actions import temporal
from actions.pipeline import Action, Attempt, can_see_agency
from actions.schemas.webhooks import (
    DeliveryRead,
    ReplayDeadResult,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)
from actions.services import Services
from actions.targets import Target
from activities.webhooks import UnsafeDestination, check_url
from domain.errors import NotFound, RuleViolation
from domain.processes import ProcessKind, agency_chain_id
from infra.tokens import Principal
from store import webhook_subscriptions, webhooks
from store.webhook_models import WebhookDelivery, WebhookSubscription
from workflows.webhooks import DispatcherInput, WebhookDispatcherWorkflow, dispatcher_workflow_id

log = structlog.get_logger(__name__)

R = TypeVar("R", bound=BaseModel)
KIND = ProcessKind.WEBHOOK_SUBSCRIPTIONS


class NoBody(BaseModel):
    """The actions named by their path alone; whatever a client sends along is not read."""

    model_config = ConfigDict(extra="ignore")


class Deleted(BaseModel):
    id: str


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


def may_see(principal: Principal, sub: WebhookSubscription) -> bool:
    """A deleted subscription is gone for everyone; a live one is its agency's (national: all)."""
    return sub.status != "deleted" and can_see_agency(principal, sub.agency)


def _visible(principal: Principal, target: Target) -> bool:
    return target.stage != "deleted" and can_see_agency(principal, target.agency)


def _subscription(target: Target) -> WebhookSubscription:
    """The subscription a path names (a delivery's id is not a subscription's)."""
    if not isinstance(target.row, WebhookSubscription):
        raise NotFound(f"No {target.name} is a subscription.", code="subscription_not_found")
    return target.row


def _delivery(target: Target) -> WebhookDelivery:
    if not isinstance(target.row, WebhookDelivery):
        raise NotFound(f"No {target.name} is a delivery.", code="delivery_not_found")
    return target.row


# ---- the dispatcher ------------------------------------------------------------------------------


def _dispatcher_input(services: Services, subscription_id: str) -> DispatcherInput:
    settings = services.settings
    return DispatcherInput(
        subscription_id=subscription_id,
        idle_seconds=settings.webhook_idle_seconds,
        backoff_initial_seconds=settings.webhook_backoff_initial_seconds,
        backoff_max_seconds=settings.webhook_backoff_max_seconds,
        max_attempts=settings.webhook_max_attempts,
        max_age_seconds=settings.webhook_max_age_seconds,
        allow_loopback=settings.webhook_loopback_allowed,
    )


async def _start_dispatcher(services: Services, sub_id: str, signal: str) -> None:
    """Start the subscription's dispatcher, or signal the running one (signal-with-start)."""
    try:
        await services.client.start_workflow(
            WebhookDispatcherWorkflow.run,
            _dispatcher_input(services, sub_id),
            id=dispatcher_workflow_id(sub_id),
            task_queue=services.settings.task_queue,
            start_signal=signal,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except RPCError as err:
        raise temporal.unavailable(err.message) from err


async def _signal(services: Services, sub_id: str, name: str) -> None:
    """Tell the dispatcher; if it is gone or Temporal is away, the row already says it all."""
    try:
        await services.client.get_workflow_handle(dispatcher_workflow_id(sub_id)).signal(name)
    except RPCError as err:
        level = log.info if err.status == RPCStatusCode.NOT_FOUND else log.warning
        level("webhooks.signal_not_sent", subscription_id=sub_id, signal=name, error=str(err))


# ---- create -------------------------------------------------------------------------------------


async def _locate(services: Services, principal: Principal, body: SubscriptionCreate) -> Target:  # noqa: ARG001 - a locator
    agency = principal.agency
    return Target(
        KIND,
        agency_chain_id(KIND, agency),
        agency,
        label=f"webhook subscriptions of {agency or 'all agencies'}",
    )


async def _check_destination(services: Services, url: str) -> None:
    """The SSRF guard at creation (the activity checks again before every batch)."""
    try:
        await check_url(url, allow_loopback=services.settings.webhook_loopback_allowed)
    except UnsafeDestination as refused:
        raise RuleViolation(refused.detail, code=refused.code, field="url") from refused


async def _create(a: Attempt[SubscriptionCreate]) -> SubscriptionCreated:
    body, services = a.body, a.services
    await _check_destination(services, str(body.url))
    async with services.sessions() as session, session.begin():
        sub = await webhook_subscriptions.create_subscription(
            session,
            agency=a.principal.agency,
            url=str(body.url),
            event_types=body.event_types,
            description=body.description,
            created_by=a.principal.sub,
            now=datetime.now(UTC),
        )
    try:
        await _start_dispatcher(services, sub.id, "resume")
    except BaseException:
        # Nothing half-made: without its dispatcher the subscription would queue for nobody.
        async with services.sessions() as session, session.begin():
            await webhook_subscriptions.set_status(
                session, sub.id, "deleted", now=datetime.now(UTC)
            )
        raise
    log.info("webhooks.subscribed", subscription_id=sub.id, agency=sub.agency)
    return SubscriptionCreated(**to_read(sub).model_dump(), secret=sub.secret)


CREATE = Action(
    name="webhooks.subscribe",
    kind=KIND,
    refused="webhooks.subscription_refused",
    body=SubscriptionCreate,
    result=SubscriptionCreated,
    locate=_locate,
    execute=_create,
    summary="Subscribe a URL to event types; the signing secret is in this answer only",
)


# ---- pause, resume, delete ----------------------------------------------------------------------


async def _set_status(a: Attempt[NoBody], status: str) -> WebhookSubscription:
    sub_id = _subscription(a.target).id
    async with a.services.sessions() as session, session.begin():
        await webhook_subscriptions.set_status(session, sub_id, status, now=datetime.now(UTC))
    async with a.services.sessions() as session:
        sub = await webhook_subscriptions.get_subscription(session, sub_id)
    assert sub is not None
    log.info("webhooks.subscription_status", subscription_id=sub_id, status=status)
    return sub


async def _pause(a: Attempt[NoBody]) -> SubscriptionRead:
    sub = await _set_status(a, "paused")
    await _signal(a.services, sub.id, "pause")
    return to_read(sub)


async def _resume(a: Attempt[NoBody]) -> SubscriptionRead:
    sub = await _set_status(a, "active")
    await _start_dispatcher(a.services, sub.id, "resume")
    return to_read(sub)


async def _delete(a: Attempt[NoBody]) -> Deleted:
    sub = await _set_status(a, "deleted")
    await _signal(a.services, sub.id, "stop")
    return Deleted(id=sub.id)


def _on_subscription(
    name: str, result: type[R], execute: Callable[[Attempt[NoBody]], Awaitable[R]], summary: str
) -> Action[NoBody, R]:
    """An action named by its path alone (a subscription's or a delivery's id)."""
    return Action(
        name=f"webhooks.{name}",
        kind=KIND,
        refused=f"webhooks.{name}_refused",
        body=NoBody,
        result=result,
        visible=_visible,
        execute=execute,
        summary=summary,
    )


PAUSE = _on_subscription(
    "pause",
    SubscriptionRead,
    _pause,
    "Stop sending; events keep being queued and go out in order after resume",
)
RESUME = _on_subscription(
    "resume", SubscriptionRead, _resume, "Send again, from where the queue stopped"
)
DELETE = _on_subscription(
    "delete", Deleted, _delete, "End the subscription; what was still queued is cancelled"
)


# ---- replays ------------------------------------------------------------------------------------


async def _replay(a: Attempt[NoBody]) -> DeliveryRead:
    delivery = _delivery(a.target)
    if delivery.status != "pending":
        async with a.services.sessions() as session, session.begin():
            await webhooks.requeue(session, delivery.id)
        log.info("webhooks.replay_queued", delivery_id=delivery.id)
    await _signal(a.services, delivery.subscription_id, "wake")
    async with a.services.sessions() as session:
        again = await webhooks.get_delivery(session, delivery.id)
    assert again is not None
    return delivery_read(again)


async def _replay_dead(a: Attempt[NoBody]) -> ReplayDeadResult:
    sub_id = _subscription(a.target).id
    async with a.services.sessions() as session, session.begin():
        count = await webhooks.requeue_dead(session, sub_id)
    log.info("webhooks.dead_replayed", subscription_id=sub_id, count=count)
    if count:
        await _signal(a.services, sub_id, "wake")
    return ReplayDeadResult(subscription_id=sub_id, replayed=count)


REPLAY = _on_subscription(
    "replay",
    DeliveryRead,
    _replay,
    "Send a delivery again (a dead one too), with the same webhook-id and a fresh retry budget, "
    "in its place in the process's order",
)
REPLAY_DEAD = _on_subscription(
    "replay_dead",
    ReplayDeadResult,
    _replay_dead,
    "Queue every dead delivery of a subscription again (after a long outage), in order",
)

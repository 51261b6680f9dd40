"""Outbound webhooks: subscriptions (agency-scoped), their deliveries, replays, the event catalogue.

The mutating endpoints are the pipeline's actions (``actions/webhooks.py``); this module reads the
request, answers with the action's result, and serves the reads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from actions import cursors
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
from actions.webhooks import (
    CREATE,
    DELETE,
    PAUSE,
    REPLAY,
    REPLAY_DEAD,
    RESUME,
    delivery_read,
    may_see,
    to_read,
)
from api.actions import act, body_schema
from api.auth import PrincipalDep
from api.deps import ContextDep, SessionDep
from api.errors import ApiError, responses
from domain.events import EVENT_TYPES, event_schema
from infra.tokens import Principal
from store import webhook_subscriptions, webhooks
from store.webhook_models import WebhookDelivery, WebhookSubscription

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

ACTION_ERRORS = (401, 403, 404, 409, 413, 422, 503)


async def _visible(
    session: SessionDep, principal: Principal, subscription_id: str
) -> WebhookSubscription:
    sub = await webhook_subscriptions.get_subscription(session, subscription_id)
    if sub is None or not may_see(principal, sub):
        raise ApiError(
            404, "subscription_not_found", f"No subscription '{subscription_id}' is visible to you."
        )
    return sub


# --- subscriptions -------------------------------------------------------------------------------


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=SubscriptionCreated,
    responses=responses(*ACTION_ERRORS),
    openapi_extra=body_schema(SubscriptionCreate),
    summary=CREATE.summary,
)
async def create_subscription(
    request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> SubscriptionCreated:
    done = await act(request, ctx, CREATE, principal)
    if done.replayed:  # the same request again: the same subscription, and its secret again
        response.headers["Idempotent-Replayed"] = "true"
    return done.result


@router.get("/subscriptions", response_model=SubscriptionPage, responses=responses(401, 403))
async def list_subscriptions(
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> SubscriptionPage:
    rows = await webhook_subscriptions.list_subscriptions(
        session,
        agency=principal.agency,
        national=principal.agency is None,
        limit=limit + 1,
        after=cursors.after_id(cursor),
    )
    items = [to_read(r) for r in rows[:limit]]
    last = items[-1].id if len(rows) > limit else None
    return SubscriptionPage(items=items, next_cursor=cursors.next_of(last))


@router.get(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionRead,
    responses=responses(401, 403, 404),
)
async def get_subscription(
    subscription_id: str, principal: PrincipalDep, session: SessionDep
) -> SubscriptionRead:
    return to_read(await _visible(session, principal, subscription_id))


@router.post(
    "/subscriptions/{subscription_id}/pause",
    response_model=SubscriptionRead,
    responses=responses(*ACTION_ERRORS),
    summary=PAUSE.summary,
)
async def pause_subscription(
    subscription_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> SubscriptionRead:
    return (await act(request, ctx, PAUSE, principal, subscription_id)).result


@router.post(
    "/subscriptions/{subscription_id}/resume",
    response_model=SubscriptionRead,
    responses=responses(*ACTION_ERRORS),
    summary=RESUME.summary,
)
async def resume_subscription(
    subscription_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> SubscriptionRead:
    return (await act(request, ctx, RESUME, principal, subscription_id)).result


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=204,
    responses=responses(*ACTION_ERRORS),
    summary=DELETE.summary,
)
async def delete_subscription(
    subscription_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> Response:
    await act(request, ctx, DELETE, principal, subscription_id)
    return Response(status_code=204)


# --- deliveries ----------------------------------------------------------------------------------


@router.get(
    "/subscriptions/{subscription_id}/deliveries",
    response_model=DeliveryPage,
    responses=responses(401, 403, 404, 422),
)
async def list_deliveries(
    subscription_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> DeliveryPage:
    await _visible(session, principal, subscription_id)
    rows = await webhooks.list_deliveries(
        session, subscription_id, status=status, limit=limit + 1, after=cursors.after_id(cursor)
    )
    items = [delivery_read(d) for d in rows[:limit]]
    last = items[-1].id if len(rows) > limit else None
    return DeliveryPage(items=items, next_cursor=cursors.next_of(last))


async def _visible_delivery(
    session: SessionDep, principal: Principal, delivery_id: str
) -> WebhookDelivery:
    delivery = await webhooks.get_delivery(session, delivery_id)
    if delivery is not None:
        sub = await webhook_subscriptions.get_subscription(session, delivery.subscription_id)
        if sub is not None and may_see(principal, sub):
            return delivery
    raise ApiError(404, "delivery_not_found", f"No delivery '{delivery_id}' is visible to you.")


@router.get(
    "/deliveries/{delivery_id}", response_model=DeliveryDetail, responses=responses(401, 403, 404)
)
async def get_delivery(
    delivery_id: str, principal: PrincipalDep, session: SessionDep
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
    responses=responses(*ACTION_ERRORS),
    summary=REPLAY.summary,
)
async def replay_delivery(
    delivery_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> DeliveryRead:
    return (await act(request, ctx, REPLAY, principal, delivery_id)).result


@router.post(
    "/subscriptions/{subscription_id}/deliveries/replay-dead",
    status_code=202,
    response_model=ReplayDeadResult,
    responses=responses(*ACTION_ERRORS),
    summary=REPLAY_DEAD.summary,
)
async def replay_dead(
    subscription_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ReplayDeadResult:
    return (await act(request, ctx, REPLAY_DEAD, principal, subscription_id)).result


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

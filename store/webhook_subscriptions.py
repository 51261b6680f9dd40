"""Webhook subscriptions: created with their signing secret, listed, paused, deleted.

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.webhook_models import WebhookDelivery, WebhookSubscription
from store.webhooks import BLOCKING_STATUSES, LIVE_STATUSES, new_id


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


async def create_subscription(
    session: AsyncSession,
    *,
    agency: str | None,
    url: str,
    event_types: list[str],
    description: str | None,
    created_by: str,
    now: datetime,
) -> WebhookSubscription:
    sub = WebhookSubscription(
        id=new_id("whsub"),
        agency=agency,
        url=url,
        event_types=event_types,
        description=description,
        secret=new_secret(),
        status="active",
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(sub)
    await session.flush()
    return sub


async def get_subscription(
    session: AsyncSession, subscription_id: str
) -> WebhookSubscription | None:
    return await session.get(WebhookSubscription, subscription_id, populate_existing=True)


async def list_subscriptions(
    session: AsyncSession, *, agency: str | None, national: bool, limit: int, after: str | None
) -> list[WebhookSubscription]:
    """Live subscriptions by id; ``national`` callers see all, others ``agency``'s only."""
    stmt = (
        select(WebhookSubscription)
        .where(WebhookSubscription.status.in_(LIVE_STATUSES))
        .order_by(WebhookSubscription.id)
        .limit(limit)
    )
    if not national:
        stmt = stmt.where(WebhookSubscription.agency == agency)
    if after is not None:
        stmt = stmt.where(WebhookSubscription.id > after)
    return list((await session.scalars(stmt)).all())


async def set_status(
    session: AsyncSession, subscription_id: str, status: str, *, now: datetime
) -> None:
    """Pause, resume or delete; deleting cancels what was still queued or dead."""
    await session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id)
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if status == "deleted":
        await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.subscription_id == subscription_id,
                WebhookDelivery.status.in_(BLOCKING_STATUSES),
            )
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )

"""Webhook delivery: send the head of each process's queue, signed, and log every attempt.

The activity sends at most one delivery per process per call (the lowest pending ``seq``), so a
process's event k+1 is never sent to a subscription before event k succeeded. Each request is
signed per Standard Webhooks with the ``standardwebhooks`` library: ``webhook-id`` is the delivery
id (the same on every attempt and replay), ``webhook-timestamp`` the time of this attempt, and
``webhook-signature`` ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``.

A delivery succeeds on any 2xx answer. Anything else (another status, a timeout, a refused
connection) is logged as a failed attempt and the delivery stays pending; the dispatcher workflow
decides when to try again. Redirects are not followed: a receiver must answer at its own URL.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook
from temporalio import activity

from store import webhooks

log = structlog.get_logger(__name__)

USER_AGENT = "Meritflow-Webhooks/1"


class DeliverBatch(BaseModel):
    subscription_id: str


class DeliverBatchResult(BaseModel):
    subscription_status: Literal["active", "paused", "deleted"]
    delivered: int = 0
    failed: int = 0
    pending: int = 0


@dataclass(frozen=True)
class DeliveryConfig:
    timeout_seconds: float = 10.0
    batch_size: int = 20
    concurrency: int = 5


@dataclass(frozen=True)
class _Outgoing:
    delivery_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class _Outcome:
    delivery_id: str
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    at: datetime


def signed_request(delivery_id: str, secret: str, body: str, now: datetime) -> dict[str, str]:
    """The headers of one attempt; the signature covers exactly ``body`` as sent."""
    signature = Webhook(secret).sign(msg_id=delivery_id, timestamp=now, data=body)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


class WebhookActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], config: DeliveryConfig | None = None
    ) -> None:
        self._sessions = sessions
        self._config = config or DeliveryConfig()

    @activity.defn(name="webhooks.deliver_batch")
    async def deliver_batch(self, req: DeliverBatch) -> DeliverBatchResult:
        """Send the head of each process's queue once; returns how many went through."""
        async with self._sessions() as session:
            sub = await webhooks.get_subscription(session, req.subscription_id)
            if sub is None or sub.status == "deleted":
                return DeliverBatchResult(subscription_status="deleted")
            if sub.status == "paused":
                pending = await webhooks.count_pending(session, sub.id)
                return DeliverBatchResult(subscription_status="paused", pending=pending)
            heads = await webhooks.pending_heads(session, sub.id, limit=self._config.batch_size)
            url, secret = sub.url, sub.secret
            batch = [_Outgoing(d.id, dict(d.payload)) for d in heads]
        if not batch:
            return DeliverBatchResult(subscription_status="active")
        outcomes = await self._send_all(url, secret, batch)
        async with self._sessions() as session, session.begin():
            for o in outcomes:
                await webhooks.record_attempt(
                    session,
                    o.delivery_id,
                    ok=o.ok,
                    status_code=o.status_code,
                    error=o.error,
                    duration_ms=o.duration_ms,
                    at=o.at,
                )
        async with self._sessions() as session:
            pending = await webhooks.count_pending(session, req.subscription_id)
        delivered = sum(o.ok for o in outcomes)
        return DeliverBatchResult(
            subscription_status="active",
            delivered=delivered,
            failed=len(outcomes) - delivered,
            pending=pending,
        )

    async def _send_all(self, url: str, secret: str, batch: list[_Outgoing]) -> list[_Outcome]:
        limit = asyncio.Semaphore(self._config.concurrency)
        timeout = httpx.Timeout(self._config.timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:

            async def one(item: _Outgoing) -> _Outcome:
                async with limit:
                    return await self._send(http, url, secret, item)

            return list(await asyncio.gather(*(one(item) for item in batch)))

    async def _send(
        self, http: httpx.AsyncClient, url: str, secret: str, item: _Outgoing
    ) -> _Outcome:
        body = json.dumps(item.payload, separators=(",", ":"), ensure_ascii=False)
        now = datetime.now(UTC)
        headers = signed_request(item.delivery_id, secret, body, now)
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            response = await http.post(url, content=body.encode("utf-8"), headers=headers)
            status = response.status_code
            if not response.is_success:
                error = f"HTTP {status}: {response.text[:200]}"
        except httpx.TimeoutException:
            error = f"timed out after {self._config.timeout_seconds:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        duration_ms = int((time.perf_counter() - started) * 1000)
        ok = error is None
        log.info(
            "webhook.delivered" if ok else "webhook.delivery_failed",
            delivery_id=item.delivery_id,
            status_code=status,
            duration_ms=duration_ms,
            error=error,
        )
        return _Outcome(item.delivery_id, ok, status, error, duration_ms, now)

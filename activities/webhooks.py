"""Webhook delivery: send the head of each process's queue, signed, and log every attempt.

The activity sends at most one delivery per process per call (the lowest pending ``seq``), so a
process's event k+1 is never sent to a subscription before event k succeeded. Each request is
signed per Standard Webhooks with the ``standardwebhooks`` library: ``webhook-id`` is the delivery
id (the same on every attempt and replay), ``webhook-timestamp`` the time of this attempt, and
``webhook-signature`` ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``.

A delivery succeeds on any 2xx answer. Anything else (another status, a timeout, a refused
connection) is logged as a failed attempt and the delivery stays pending, until its retry budget
(``DeliverBatch.max_attempts`` / ``max_age_seconds``, from settings) is spent: then it is ``dead``
and waits for a replay. The dispatcher workflow decides when to try again. Redirects are not
followed: a receiver must answer at its own URL.

SSRF guard: a URL must be https to a host whose every address is public (not private, loopback,
link-local, multicast, reserved or unspecified); plain http and loopback addresses only when
``allow_loopback`` (development and test). It is checked when a subscription is created and again
before every batch; and the connection itself goes to the addresses that were checked (the
network backend resolves, checks and connects in one step), so a DNS answer that changes between
the check and the connect cannot point a delivery inside the network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import httpcore
import httpx
import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook
from temporalio import activity

from infra.settings import Settings
from store import webhook_subscriptions, webhooks

log = structlog.get_logger(__name__)

USER_AGENT = "Meritflow-Webhooks/1"


class DeliverBatch(BaseModel):
    subscription_id: str
    # The retry budget of each delivery (0 attempts: the age alone bounds it).
    max_attempts: int = 0
    max_age_seconds: float = 86400.0
    # Development and test only: loopback addresses, and plain http to them.
    allow_loopback: bool = False


class DeliverBatchResult(BaseModel):
    subscription_status: Literal["active", "paused", "deleted"]
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    dead: int = 0  # deliveries of this batch whose budget ran out


# --- the SSRF guard ------------------------------------------------------------------------------


class UnsafeDestination(Exception):
    """A webhook URL that must not be called; ``code`` is machine-readable."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (tests replace this function to fake DNS answers)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_refusal(ip: IpAddress, *, allow_loopback: bool) -> str | None:
    """Why ``ip`` is no place to send a webhook, or None if it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private:
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


async def safe_addresses(host: str, port: int, *, allow_loopback: bool) -> list[str]:
    """The addresses of ``host``, all checked; raises UnsafeDestination if any is not allowed
    (one bad answer among good ones is refused too: the client may pick any of them)."""
    try:
        literal: IpAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        found = [str(literal)]
    else:
        try:
            found = await resolve_host(host, port)
        except (OSError, UnicodeError) as exc:
            raise UnsafeDestination(
                "webhook_url_unresolvable", f"The host '{host}' of the URL does not resolve."
            ) from exc
        if not found:
            raise UnsafeDestination(
                "webhook_url_unresolvable", f"The host '{host}' of the URL does not resolve."
            )
    for addr in found:
        reason = address_refusal(ipaddress.ip_address(addr), allow_loopback=allow_loopback)
        if reason is not None:
            kind = f"{'an' if reason[0] in 'aeiou' else 'a'} {reason} address"
            where = f"{addr} is" if literal is not None else f"'{host}' resolves to {addr},"
            raise UnsafeDestination(
                "webhook_url_forbidden_address",
                f"The URL's host {where} {kind}; webhooks go to public addresses only.",
            )
    return found


async def check_url(url: str, *, allow_loopback: bool) -> list[str]:
    """Check a webhook URL (scheme, then every address of its host); returns the addresses."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeDestination("webhook_url_insecure", "The URL must be an https URL.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await safe_addresses(host, port, allow_loopback=allow_loopback)
    if parts.scheme == "http" and not (
        allow_loopback and all(ipaddress.ip_address(a).is_loopback for a in addresses)
    ):
        raise UnsafeDestination(
            "webhook_url_insecure",
            "The URL must use https; plain http is allowed only to a loopback address in "
            "development.",
        )
    return addresses


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks and connects in one step, so the socket goes to a checked address."""

    def __init__(self, *, allow_loopback: bool) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_loopback = allow_loopback

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await safe_addresses(host, port, allow_loopback=self._allow_loopback)
        error: Exception | None = None
        for addr in addresses:
            try:
                return await self._inner.connect_tcp(
                    addr,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(*, allow_loopback: bool) -> httpx.AsyncHTTPTransport:
    """httpx's transport, its connection pool on the guarded network backend."""
    transport = httpx.AsyncHTTPTransport()
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        network_backend=_GuardedBackend(allow_loopback=allow_loopback),
    )
    return transport


@dataclass(frozen=True)
class DeliveryConfig:
    timeout_seconds: float = 10.0
    batch_size: int = 20
    concurrency: int = 5
    # The worker's own policy, when set, wins over what the dispatcher passes in DeliverBatch
    # (which the API takes from settings when it starts the dispatcher).
    max_attempts: int | None = None
    max_age_seconds: float | None = None
    allow_loopback: bool | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryConfig:
        return cls(
            timeout_seconds=settings.webhook_timeout_seconds,
            batch_size=settings.webhook_batch_size,
            max_attempts=settings.webhook_max_attempts,
            max_age_seconds=settings.webhook_max_age_seconds,
            allow_loopback=settings.webhook_loopback_allowed,
        )

    def policy(self, req: DeliverBatch) -> tuple[webhooks.RetryBudget, bool]:
        attempts = req.max_attempts if self.max_attempts is None else self.max_attempts
        age = req.max_age_seconds if self.max_age_seconds is None else self.max_age_seconds
        loopback = req.allow_loopback if self.allow_loopback is None else self.allow_loopback
        return webhooks.RetryBudget(attempts, timedelta(seconds=age)), loopback


@dataclass(frozen=True)
class _Outgoing:
    delivery_id: str
    payload: dict[str, Any]
    round_attempts: int
    round_started_at: datetime | None


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
            sub = await webhook_subscriptions.get_subscription(session, req.subscription_id)
            if sub is None or sub.status == "deleted":
                return DeliverBatchResult(subscription_status="deleted")
            if sub.status == "paused":
                pending = await webhooks.count_pending(session, sub.id)
                return DeliverBatchResult(subscription_status="paused", pending=pending)
            heads = await webhooks.pending_heads(session, sub.id, limit=self._config.batch_size)
            url, secret = sub.url, sub.secret
            batch = [
                _Outgoing(d.id, dict(d.payload), d.round_attempts, d.round_started_at)
                for d in heads
            ]
        if not batch:
            return DeliverBatchResult(subscription_status="active")
        budget, allow_loopback = self._config.policy(req)
        outcomes = await self._send_all(url, secret, batch, allow_loopback=allow_loopback)
        rounds = {item.delivery_id: item for item in batch}
        dead = 0
        async with self._sessions() as session, session.begin():
            for o in outcomes:
                status = await webhooks.record_attempt(
                    session,
                    o.delivery_id,
                    ok=o.ok,
                    status_code=o.status_code,
                    error=o.error,
                    duration_ms=o.duration_ms,
                    at=o.at,
                    round_attempts=rounds[o.delivery_id].round_attempts,
                    round_started_at=rounds[o.delivery_id].round_started_at,
                    budget=budget,
                )
                if status == "dead":
                    dead += 1
                    log.warning(
                        "webhook.delivery_dead",
                        delivery_id=o.delivery_id,
                        subscription_id=req.subscription_id,
                        error=o.error,
                    )
        async with self._sessions() as session:
            pending = await webhooks.count_pending(session, req.subscription_id)
        delivered = sum(o.ok for o in outcomes)
        return DeliverBatchResult(
            subscription_status="active",
            delivered=delivered,
            failed=len(outcomes) - delivered,
            pending=pending,
            dead=dead,
        )

    async def _send_all(
        self, url: str, secret: str, batch: list[_Outgoing], *, allow_loopback: bool
    ) -> list[_Outcome]:
        try:
            # Checked before every batch too: the DNS answer may have changed since creation.
            await check_url(url, allow_loopback=allow_loopback)
        except UnsafeDestination as refused:
            now = datetime.now(UTC)
            error = f"refused ({refused.code}): {refused.detail}"
            log.warning("webhook.destination_refused", url=url, code=refused.code)
            return [_Outcome(item.delivery_id, False, None, error, 0, now) for item in batch]
        limit = asyncio.Semaphore(self._config.concurrency)
        timeout = httpx.Timeout(self._config.timeout_seconds)
        transport = guarded_transport(allow_loopback=allow_loopback)
        async with httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, transport=transport
        ) as http:

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
        except UnsafeDestination as refused:
            error = f"refused ({refused.code}): {refused.detail}"
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

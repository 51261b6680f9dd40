"""The client's request id (``X-Request-Id``) as the pipeline uses it: claims and answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from actions.services import Services
from store import requests as store

REQUEST_ID = "X-Request-Id"
IDEMPOTENCY_KEY = "Idempotency-Key"


@dataclass(frozen=True)
class Request:
    """How a request is named: ``supplied`` when the client chose the id (it may be sent again),
    and by which header (a reused ``Idempotency-Key`` is refused under that name)."""

    id: str
    supplied: bool = False
    header: str = REQUEST_ID

    @property
    def reused_code(self) -> str:
        return "idempotency_key_reused" if self.header == IDEMPOTENCY_KEY else "request_id_reused"


async def claim(
    services: Services,
    request: Request,
    *,
    fingerprint: str,
    action: str,
    process_id: str,
    principal: str,
    now: datetime,
) -> store.Claim:
    return await services.writer.run(
        lambda session: store.claim(
            session,
            request_id=request.id,
            fingerprint=fingerprint,
            action=action,
            process_id=process_id,
            principal=principal,
            now=now,
        )
    )


async def settle(
    services: Services, request: Request, outcome: dict[str, Any], now: datetime
) -> None:
    await services.writer.run(lambda session: store.answer(session, request.id, outcome, now))


async def release(services: Services, request: Request, now: datetime) -> None:
    await services.writer.run(lambda session: store.release(session, request.id, now))

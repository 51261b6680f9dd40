"""The ``Idempotency-Key`` header of the start endpoints.

A key is the caller's: it is stored per token subject (hashed with it), for one endpoint (scope),
with the hash of the canonical request body and the process the request maps to. Then:

- the same key with the same body goes through the endpoint's own idempotent path again, or, once
  the first request went through, returns the same process and starts nothing — even after the
  process was continued-as-new or removed from Temporal by retention, as the key is in SQL;
- the same key with another body, or on another endpoint, is refused: 422 ``idempotency_key_reused``.

The key is claimed before anything is started (store first), and marked complete after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Header, Response

from api.deps import AppContext
from api.errors import ApiError
from domain.cloudevents import canonical_json, sha256_hex
from infra.tokens import Principal
from store import repositories

HEADER = "Idempotency-Key"
_VALID = re.compile(r"^[\x21-\x7e]{1,255}$")

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="1-255 visible ASCII characters; the same key and body start one process "
        "only, the same key with another body is refused (422 idempotency_key_reused).",
    ),
]


@dataclass(frozen=True)
class KeyUse:
    """One request's use of a key; ``stored`` is None when the request carried no key."""

    stored: str | None = None
    replayed: bool = False


NO_KEY = KeyUse()


def body_hash(body: Any) -> str:
    return sha256_hex(canonical_json(body))


async def claim(
    ctx: AppContext,
    principal: Principal,
    header: str | None,
    *,
    scope: str,
    body: Any,
    process_id: str,
) -> KeyUse:
    """Store the key (first caller wins) and compare; raises 422 if it was used otherwise."""
    if header is None:
        return NO_KEY
    if not _VALID.match(header):
        raise ApiError(
            422,
            "validation_error",
            f"The {HEADER} header must be 1-255 visible ASCII characters.",
            [{"field": HEADER, "message": "1-255 visible ASCII characters"}],
        )
    stored = sha256_hex(canonical_json([principal.sub, header]))
    digest = body_hash(body)
    async with ctx.sessions() as session, session.begin():
        row = await repositories.claim_key(
            session, stored, scope, process_id, digest, datetime.now(UTC)
        )
    if not row.matches(scope, digest):
        raise ApiError(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was already used with a different request; use a new key for a "
            "new request.",
            [{"field": HEADER, "message": "already used with a different request body"}],
        )
    return KeyUse(stored=stored, replayed=row.response_status is not None)


async def complete(ctx: AppContext, use: KeyUse, response: Response, status: int) -> None:
    """Remember that the request went through; flag a replay in the response."""
    if use.stored is None:
        return
    if use.replayed:
        response.headers["Idempotent-Replayed"] = "true"
        return
    async with ctx.sessions() as session, session.begin():
        await repositories.complete_key(session, use.stored, status)

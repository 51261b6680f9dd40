"""Claims on client request ids: the first request with an id applies it, copies get its answer.

A claim is a row per request id. Whoever inserts it holds a lease while it applies the request;
the answer is stored when it is known. Another request with the same id then finds:

- the same fingerprint and an answer: the answer (a replay);
- the same fingerprint, still running, lease alive: "in progress" (a copy racing the first);
- the same fingerprint, lease expired (its holder died): the lease, to apply it again (safe, as
  every effect of an action is idempotent by the request's fingerprint);
- another fingerprint: the id was reused for another request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from store.repositories import insert_ignore
from store.request_models import ActionRequest

# Longer than an action normally takes (a workflow update, a ledger write), short enough that a
# client retrying after a crash is not kept waiting long.
LEASE = timedelta(seconds=30)

ClaimState = Literal["new", "replay", "running", "reused"]


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    outcome: dict[str, Any] | None = None
    lease_until: datetime | None = None


async def claim(
    session: AsyncSession,
    *,
    request_id: str,
    fingerprint: str,
    action: str,
    process_id: str,
    principal: str,
    now: datetime,
) -> Claim:
    values = {
        "request_id": request_id,
        "fingerprint": fingerprint,
        "action": action,
        "process_id": process_id,
        "principal": principal,
        "state": "running",
        "lease_until": now + LEASE,
        "outcome": None,
        "created_at": now,
        "updated_at": now,
    }
    if await insert_ignore(session, ActionRequest, "request_id", values):
        return Claim("new")
    row = await session.get(ActionRequest, request_id, populate_existing=True)
    assert row is not None  # inserted by someone, and never deleted
    if row.fingerprint != fingerprint:
        return Claim("reused")
    if row.state == "done":
        return Claim("replay", outcome=row.outcome)
    if row.lease_until > now:
        return Claim("running", lease_until=row.lease_until)
    taken = await session.execute(
        update(ActionRequest)
        .where(
            ActionRequest.request_id == request_id,
            ActionRequest.state == "running",
            ActionRequest.lease_until <= now,
        )
        .values(lease_until=now + LEASE, updated_at=now)
    )
    if getattr(taken, "rowcount", 0) == 1:
        return Claim("new")
    return Claim("running", lease_until=now + LEASE)


async def answer(
    session: AsyncSession, request_id: str, outcome: dict[str, Any], now: datetime
) -> None:
    await session.execute(
        update(ActionRequest)
        .where(ActionRequest.request_id == request_id)
        .values(state="done", outcome=outcome, updated_at=now)
    )


async def release(session: AsyncSession, request_id: str, now: datetime) -> None:
    """Give the request back unanswered (a dependency was down): a retry applies it afresh."""
    await session.execute(
        update(ActionRequest)
        .where(ActionRequest.request_id == request_id, ActionRequest.state == "running")
        .values(lease_until=now, updated_at=now)
    )

"""Refused attempts go to the ledger too: Temporal records nothing for a rejected update."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.errors import DomainError
from domain.ledger import Actor, LedgerEntryIn, entry_id
from store import ledger

log = structlog.get_logger(__name__)


async def record_refusal(
    sessions: async_sessionmaker[AsyncSession],
    *,
    process_id: str,
    process_kind: str,
    kind: str,
    actor: Actor,
    error: DomainError,
    agency: str | None,
    subject: str | None = None,
    stage: str | None = None,
    rulebook_version: str | None = None,
    payload: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> None:
    now = datetime.now(UTC)
    entry = LedgerEntryIn(
        entry_id=entry_id(process_id, "refused", request_id or uuid.uuid4().hex),
        process_id=process_id,
        process_kind=process_kind,
        kind=kind,
        outcome="refused",
        stage_before=stage,
        stage_after=stage,
        actor=actor,
        subject=subject,
        agency=agency,
        payload={
            "error": error.code,
            "detail": error.message,
            "category": error.category,
            **({"fields": error.fields} if error.fields else {}),
            **(payload or {}),
        },
        rulebook_version=rulebook_version,
        occurred_at=now,
    )
    async with sessions() as session, session.begin():
        await ledger.append(session, entry, recorded_at=now)
    log.info("ledger.refusal_recorded", process_id=process_id, error=error.code)

"""A refused attempt goes to the ledger: Temporal records nothing for a rejected update."""

from __future__ import annotations

from datetime import datetime

import structlog

from actions.services import Services
from actions.targets import Target
from domain.errors import DomainError
from domain.ledger import Actor, LedgerEntryIn, entry_id
from store import ledger

log = structlog.get_logger(__name__)


def refusal_entry(
    target: Target,
    *,
    kind: str,
    action: str,
    actor: Actor,
    error: DomainError,
    fingerprint: str,
    request_id: str,
    subject: str | None,
    now: datetime,
) -> LedgerEntryIn:
    payload: dict[str, object] = {
        "action": action,
        "error": error.code,
        "category": error.category,
        "detail": error.message,
        "request_id": request_id,
    }
    if error.fields:
        payload["fields"] = error.fields
    return LedgerEntryIn(
        entry_id=entry_id(target.process_id, "refused", fingerprint[:40]),
        process_id=target.process_id,
        process_kind=target.kind,
        kind=kind,
        outcome="refused",
        stage_before=target.stage,
        stage_after=target.stage,
        actor=actor,
        subject=subject or target.subject,
        agency=target.agency,
        payload=payload,
        rulebook_version=target.rulebook_version,
        occurred_at=now,
    )


async def record_refusal(services: Services, entry: LedgerEntryIn) -> None:
    """One entry per distinct attempt: copies of one attempt share its id and write it once."""
    await services.writer.run(
        lambda session: ledger.append(session, entry, recorded_at=entry.occurred_at)
    )
    log.info("ledger.refusal_recorded", process_id=entry.process_id, error=entry.payload["error"])

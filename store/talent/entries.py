"""The ledger entry of an accepted write the action pipeline makes straight in SQL.

The writing action stamps it (who, when, the entry id from the request's fingerprint), and the
entry is appended in the write's own transaction, after the gate was checked under the lock: a
request applied again finds its entry (:func:`written`) and writes nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.ledger import Actor, LedgerEntryIn
from domain.processes import ProcessKind
from store import ledger
from store.models import LedgerEntry


@dataclass(frozen=True)
class Stamp:
    actor: Actor
    now: datetime
    entry_id: str


async def written(session: AsyncSession, stamp: Stamp) -> LedgerEntry | None:
    return await session.get(LedgerEntry, stamp.entry_id, populate_existing=True)


async def append(
    session: AsyncSession,
    stamp: Stamp,
    *,
    process_id: str,
    kind: ProcessKind,
    entry_kind: str,
    agency: str | None,
    stage: str | None,
    subject: str | None,
    payload: dict[str, Any],
    justification: str | None = None,
    rulebook_version: str | None = None,
) -> None:
    entry = LedgerEntryIn(
        entry_id=stamp.entry_id,
        process_id=process_id,
        process_kind=kind,
        kind=entry_kind,
        outcome="accepted",
        stage_before=stage,
        stage_after=stage,
        actor=stamp.actor,
        subject=subject,
        agency=agency,
        payload=payload,
        justification=justification,
        rulebook_version=rulebook_version,
        occurred_at=stamp.now,
    )
    await ledger.append(session, entry, recorded_at=stamp.now)

"""The ledger entry of an accepted write that the action pipeline makes straight in SQL.

Some accepted actions change rows without a workflow update (a candidate's score, a talent
record, an objection): the writing action stamps them (who, when, and the entry id derived from
the request's fingerprint, ``domain.ledger.entry_id(process, "accepted", fingerprint)``), and the
entry is appended in the write's own transaction, after the gate was checked under the lock. A
request applied again after a crash, or a copy whose claim expired, finds its entry already there
(:func:`written`) and is answered from the rows as they are, writing nothing twice.
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
    """Who writes, when, and under which entry id."""

    actor: Actor
    now: datetime
    entry_id: str


async def written(session: AsyncSession, stamp: Stamp) -> LedgerEntry | None:
    """The entry this request already wrote, read after the lock (only its holder writes it)."""
    return await session.get(LedgerEntry, stamp.entry_id, populate_existing=True)


async def append(
    session: AsyncSession,
    stamp: Stamp,
    *,
    process_id: str,
    process_kind: ProcessKind,
    kind: str,
    agency: str | None,
    stage: str | None,
    subject: str | None,
    payload: dict[str, Any],
    justification: str | None = None,
    rulebook_version: str | None = None,
) -> bool:
    """Append the stamped entry; True if it is new (False: this id was already written)."""
    entry = LedgerEntryIn(
        entry_id=stamp.entry_id,
        process_id=process_id,
        process_kind=process_kind,
        kind=kind,
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
    _, created = await ledger.append(session, entry, recorded_at=stamp.now)
    return created

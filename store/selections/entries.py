"""The ledger entry of an accepted candidate-level write, made in the write's own transaction.

The action that writes (``actions/selections``) stamps it: who, when, and the entry's id, derived
from the request's fingerprint (``domain.ledger.entry_id(process, "accepted", fingerprint)``). A
request applied again after a crash, or a copy whose claim expired, finds its entry already there
(:func:`written`) and is answered from the rows as they are, writing nothing twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.ledger import Actor, LedgerEntryIn, canonical_json
from domain.processes import ProcessKind
from domain.selection.screening import ApplicantProfile
from store import ledger
from store.models import LedgerEntry
from store.selection_models import Selection


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
    sel: Selection,
    stamp: Stamp,
    *,
    kind: str,
    subject: str | None,
    payload: dict[str, Any],
    justification: str | None = None,
) -> None:
    entry = LedgerEntryIn(
        entry_id=stamp.entry_id,
        process_id=sel.process_id,
        process_kind=ProcessKind.SELECTION,
        kind=kind,
        outcome="accepted",
        stage_before=sel.stage,
        stage_after=sel.stage,
        actor=stamp.actor,
        subject=subject,
        agency=sel.agency,
        payload=payload,
        justification=justification,
        rulebook_version=sel.rulebook_version,
        occurred_at=stamp.now,
    )
    _, created = await ledger.append(session, entry, recorded_at=stamp.now)
    # written() ran under the same lock, so the id is new; a False here is a bug, not a repeat.
    assert created, entry.entry_id


def digest(rows: Sequence[ApplicantProfile]) -> str:
    """sha-256 of the applicants' records as registered: the ledger binds them without them."""
    return hashlib.sha256(canonical_json([r.model_dump(mode="json") for r in rows])).hexdigest()

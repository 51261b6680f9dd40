"""Auditors' queries over the ledger: search across processes, one process's rows for comparison.

Search pages by keyset on ``(recorded_at, entry_id)``: a stable order that new appends never shuffle
(they are recorded later), with no OFFSET to grow slower page by page. Every function takes the
caller's session and never commits.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ledger import iso_utc
from store import ledger
from store.models import LedgerEntry


class InvalidCursor(ValueError):
    """The cursor was not produced by :func:`encode_cursor`."""


@dataclass(frozen=True)
class EntryFilter:
    """Search filters; ``None`` means "any". ``recorded_from`` is inclusive, ``recorded_to`` not."""

    process_kind: str | None = None
    agency: str | None = None
    actor_id: str | None = None
    kind: str | None = None
    outcome: str | None = None
    subject: str | None = None
    process_id: str | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None


Position = tuple[datetime, str]


def encode_cursor(position: Position) -> str:
    recorded_at, entry_id = position
    raw = json.dumps([iso_utc(recorded_at), entry_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        recorded_at, entry_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        when = datetime.fromisoformat(str(recorded_at))
    except (ValueError, TypeError, binascii.Error, UnicodeError) as exc:
        raise InvalidCursor("the cursor is not one this API returned") from exc
    if when.tzinfo is None or not isinstance(entry_id, str):
        raise InvalidCursor("the cursor is not one this API returned")
    return when, entry_id


_EQUALITY_FILTERS = {
    "process_kind": LedgerEntry.process_kind,
    "agency": LedgerEntry.agency,
    "actor_id": LedgerEntry.actor_id,
    "kind": LedgerEntry.kind,
    "outcome": LedgerEntry.outcome,
    "subject": LedgerEntry.subject,
    "process_id": LedgerEntry.process_id,
}


def _filtered(flt: EntryFilter) -> Select[LedgerEntry]:
    stmt = select(LedgerEntry)
    for name, column in _EQUALITY_FILTERS.items():
        value = getattr(flt, name)
        if value is not None:
            stmt = stmt.where(column == value)
    if flt.recorded_from is not None:
        stmt = stmt.where(LedgerEntry.recorded_at >= flt.recorded_from)
    if flt.recorded_to is not None:
        stmt = stmt.where(LedgerEntry.recorded_at < flt.recorded_to)
    return stmt


async def search_entries(
    session: AsyncSession, flt: EntryFilter, *, limit: int, after: Position | None = None
) -> list[LedgerEntry]:
    """Up to ``limit`` entries matching ``flt`` in ``(recorded_at, entry_id)`` order, after ``after``."""
    stmt = _filtered(flt)
    if after is not None:
        at, entry_id = after
        stmt = stmt.where(
            or_(
                LedgerEntry.recorded_at > at,
                and_(LedgerEntry.recorded_at == at, LedgerEntry.entry_id > entry_id),
            )
        )
    stmt = stmt.order_by(LedgerEntry.recorded_at, LedgerEntry.entry_id).limit(limit)
    return list((await session.scalars(stmt)).all())


async def process_rows(session: AsyncSession, process_id: str) -> list[dict[str, Any]]:
    """One process's entries in chain order, as plain dicts (what reconciliation compares)."""
    return [ledger.entry_to_dict(row) for row in await ledger.entries(session, process_id)]

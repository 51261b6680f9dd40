"""Appending a batch activity's items through the ledger writer, with each item's own statements.

Every kind's batch activity hands over items that carry an entry; ``before`` runs for every item
(a read-model row that takes its own lock before the chain heads, in item order), ``after`` only
for an item whose entry is written now (a retry writes nothing twice). Both get an ORM session in
the writer's transaction, for the kinds whose read models are written through one; ``effects`` is
``after`` for the kinds that write theirs as Core statements on the writer's :class:`Tx` (no ORM
unit of work).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ledger import LedgerEntryIn
from store.ledger_writer import Appended, LedgerWriter, Tx

log = structlog.get_logger(__name__)


class Item(Protocol):
    @property
    def entry(self) -> LedgerEntryIn: ...


ItemT = TypeVar("ItemT", bound=Item)
Before = Callable[[AsyncSession, ItemT, datetime], Awaitable[None]]
After = Callable[[AsyncSession, ItemT, Appended, datetime], Awaitable[None]]
Effects = Callable[[Tx, ItemT, Appended, datetime], None]


async def append_items(
    writer: LedgerWriter,
    items: Sequence[ItemT],
    *,
    before: Before[ItemT] | None = None,
    after: After[ItemT] | None = None,
    effects: Effects[ItemT] | None = None,
) -> int:
    """Append the items' entries in order with their statements; the last entry's seq."""
    now = datetime.now(UTC)

    async def run_before(tx: Tx) -> None:
        if before is not None:
            session = await tx.session()
            for item in items:
                await before(session, item, now)

    async def run_after(tx: Tx, appended: Sequence[Appended]) -> None:
        if effects is not None:
            for item, row in zip(items, appended, strict=True):
                if row.created:
                    effects(tx, item, row, now)
        if after is not None and any(a.created for a in appended):
            session = await tx.session()
            for item, row in zip(items, appended, strict=True):
                if row.created:
                    await after(session, item, row, now)

    appended = await writer.append(
        [i.entry for i in items],
        recorded_at=now,
        before=run_before if before is not None else None,
        after=run_after if after is not None or effects is not None else None,
    )
    log_appended([i.entry for i in items], appended)
    return appended[-1].seq


def log_appended(entries: Sequence[LedgerEntryIn], appended: Sequence[Appended]) -> None:
    """One log line per append (the ledger itself is the entry-by-entry trail): what was written
    now, and what a retry found already recorded."""
    pairs = list(zip(entries, appended, strict=True))
    written = [(e, a) for e, a in pairs if a.created]
    if written:
        log.info(
            "ledger.appended",
            process_id=written[0][0].process_id,
            kinds=[e.kind for e, _ in written],
            seqs=[a.seq for _, a in written],
            **_others(written),
        )
    found = [e.entry_id for e, a in pairs if not a.created]
    if found:
        log.info("ledger.already_recorded", entry_ids=found)


def _others(written: list[tuple[LedgerEntryIn, Appended]]) -> dict[str, list[str]]:
    """The other processes of an append that wrote more than one (a promotion and its review)."""
    first = written[0][0].process_id
    others = sorted({e.process_id for e, _ in written} - {first})
    return {"also": others} if others else {}

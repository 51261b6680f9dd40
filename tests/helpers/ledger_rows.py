"""Ledger rows as the store tests write them, and the way an attacker rewrites them: around the
database's guards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.ledger import Actor, LedgerEntryIn
from store import ledger

T0 = datetime(2025, 4, 1, 8, 30, 15, 123456, tzinfo=UTC)
PROCESS = "promotion:199001012015011001:2025-04-01"


def make_entry(n: int, *, process_id: str = PROCESS, **overrides: Any) -> LedgerEntryIn:
    fields: dict[str, Any] = {
        "entry_id": f"{process_id}/{n}",
        "process_id": process_id,
        "process_kind": "promotion",
        "kind": "promotion.decision",
        "outcome": "accepted",
        "stage_before": f"stage{n}",
        "stage_after": f"stage{n + 1}",
        "actor": Actor(id="198001012005011002", role="supervisor", agency="BKN"),
        "subject": "199001012015011001",
        "agency": "BKN",
        "payload": {"decision": "approve", "n": n, "note": "Disetujui — baik"},
        "justification": "memenuhi syarat",
        "rulebook_version": "2025.1",
        "workflow_id": process_id,
        "run_id": "run-1",
        "update_id": f"upd-{n}",
        "occurred_at": T0 + timedelta(minutes=n),
    }
    fields.update(overrides)
    return LedgerEntryIn(**fields)


async def write_chain(
    sessions: async_sessionmaker[AsyncSession], count: int, process_id: str = PROCESS
) -> None:
    for n in range(1, count + 1):
        async with sessions.begin() as session:
            await ledger.append(
                session, make_entry(n, process_id=process_id), recorded_at=T0 + timedelta(hours=n)
            )


async def tamper(sessions: async_sessionmaker[AsyncSession], *statements: Any) -> None:
    """Rewrite ledger rows the way an attacker with database access would: around the guards.

    The ledger, its heads and its checkpoints refuse rewrites (migrations 0002, 0011), so a tampering
    test must go around that on purpose. SQLite: drop the triggers inside this transaction and create them again before
    it commits. PostgreSQL: ``SET LOCAL session_replication_role = replica``, which silences ordinary
    triggers for this transaction only (the test role is a superuser).
    """
    async with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in statements:
                await session.execute(statement)
            return
        triggers = (
            await session.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                    "('ledger_entries', 'ledger_heads', 'checkpoints', 'merkle_leaves', "
                    "'merkle_nodes')"
                )
            )
        ).all()
        assert triggers, "the ledger guards are missing: nothing to go around"
        for name, _ in triggers:
            await session.execute(text(f'DROP TRIGGER "{name}"'))
        for statement in statements:
            await session.execute(statement)
        for _, sql in triggers:
            await session.execute(text(sql))


async def verify(sessions: async_sessionmaker[AsyncSession]) -> ledger.VerifyResult:
    async with sessions.begin() as session:
        return await ledger.verify(session, PROCESS)

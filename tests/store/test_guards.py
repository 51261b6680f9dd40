"""The database itself refuses to rewrite the ledger (migration 0002), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import delete, insert, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.db import alembic_config, create_engine, session_factory
from store import ledger
from store.models import LedgerEntry, LedgerHead
from tests.helpers.ledger_rows import PROCESS, T0, make_entry, tamper, verify, write_chain

GUARD = "append-only"


def is_postgres(sessions: async_sessionmaker[AsyncSession]) -> bool:
    return sessions.kw["bind"].dialect.name == "postgresql"


async def refused(sessions: async_sessionmaker[AsyncSession], statement: object) -> None:
    with pytest.raises(DBAPIError, match=GUARD):
        async with sessions.begin() as session:
            await session.execute(statement)  # type: ignore[call-overload]


async def test_update_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_chain(sessions, 3)
    await refused(
        sessions,
        update(LedgerEntry).where(LedgerEntry.process_id == PROCESS).values(justification="x"),
    )
    await refused(sessions, update(LedgerEntry).values(payload={}))
    result = await verify(sessions)
    assert (result.ok, result.entries) == (True, 3)


async def test_delete_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_chain(sessions, 3)
    await refused(
        sessions, delete(LedgerEntry).where(LedgerEntry.process_id == PROCESS, LedgerEntry.seq == 3)
    )
    await refused(sessions, delete(LedgerEntry))
    result = await verify(sessions)
    assert (result.ok, result.entries) == (True, 3)


async def test_truncate_is_refused_on_postgresql(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    if not is_postgres(sessions):
        pytest.skip("SQLite has no TRUNCATE; DELETE without WHERE is covered above")
    await write_chain(sessions, 2)
    await refused(sessions, text("TRUNCATE ledger_entries"))
    await refused(sessions, text("TRUNCATE ledger_entries CASCADE"))
    assert (await verify(sessions)).entries == 2


async def test_heads_move_only_forward_to_the_entry_appended(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await write_chain(sessions, 2)
    async with sessions.begin() as session:
        row, created = await ledger.append(session, make_entry(3), recorded_at=T0)
    assert created
    async with sessions.begin() as session:
        head = await session.get(LedgerHead, PROCESS)
    assert head is not None and (head.seq, head.hash) == (3, row.hash)
    where = LedgerHead.process_id == PROCESS
    heads = "ledger_heads only move forward"
    for statement in (
        update(LedgerHead).where(where).values(seq=2),  # wound back over a cut tail
        update(LedgerHead).where(where).values(seq=4, hash="f" * 64),  # ahead of the entries
        update(LedgerHead).where(where).values(hash="e" * 64),  # a forged hash
        delete(LedgerHead).where(where),
        insert(LedgerHead).values(process_id="other", seq=5, hash="a" * 64),
    ):
        with pytest.raises(DBAPIError, match=heads):
            async with sessions.begin() as session:
                await session.execute(statement)
    assert (await verify(sessions)).ok


async def test_a_refused_rewrite_leaves_the_transaction_unwritten(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await write_chain(sessions, 1)

    async def append_then_rewrite() -> None:
        async with sessions.begin() as session:
            await ledger.append(session, make_entry(2), recorded_at=T0 + timedelta(hours=2))
            await session.execute(update(LedgerEntry).values(actor_id="someone-else"))

    with pytest.raises(DBAPIError, match=GUARD):
        await append_then_rewrite()
    result = await verify(sessions)
    assert (result.ok, result.entries) == (True, 1)


async def test_going_around_on_purpose_keeps_the_guards(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await write_chain(sessions, 2)
    where = (LedgerEntry.process_id == PROCESS, LedgerEntry.seq == 2)
    await tamper(sessions, update(LedgerEntry).where(*where).values(justification="forged"))
    assert (await verify(sessions)).first_bad_seq == 2
    await refused(sessions, update(LedgerEntry).where(*where).values(justification="again"))


async def _alembic(url: str, action: str, revision: str) -> None:
    await asyncio.to_thread(getattr(command, action), alembic_config(url), revision)


async def test_downgrade_removes_the_guards_and_upgrade_restores_them(empty_db_url: str) -> None:
    # Only 0001 and 0002 run here, so later revisions cannot make this test fail.
    await _alembic(empty_db_url, "upgrade", "0002")
    engine = create_engine(empty_db_url)
    try:
        sessions = session_factory(engine)
        await write_chain(sessions, 2)
        edit = update(LedgerEntry).where(LedgerEntry.seq == 2).values(justification="edited")
        await refused(sessions, edit)
        await engine.dispose()
        await _alembic(empty_db_url, "downgrade", "0001")
        async with sessions.begin() as session:
            await session.execute(edit)
        assert (await verify(sessions)).first_bad_seq == 2
        await engine.dispose()
        await _alembic(empty_db_url, "upgrade", "0002")
        await refused(sessions, delete(LedgerEntry))
    finally:
        await engine.dispose()

"""Connections the PostgreSQL server ended: found by use, not by a ping before every checkout.

The engine lends pooled connections without testing them (``infra/db.py``). These tests end every
connection of the test's database from outside (``pg_terminate_backend``, as an administrator or a
server restart would) and check that a read (``store/reads.py``) and the ledger writer
(``store/ledger_writer.py``) each get their work done on a fresh connection, and that a plain
session does meet the ended connection, so that the tests could fail.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from store import reads
from store.ledger_writer import LedgerWriter
from store.models import LedgerEntry
from tests.helpers.ledger_rows import PROCESS, T0, make_entry
from tests.store.conftest import TEST_DATABASE_ENV

pytestmark = pytest.mark.skipif(
    not os.environ.get(TEST_DATABASE_ENV), reason="PostgreSQL only: its server ends connections"
)


async def end_connections(db_url: str) -> int:
    """End every connection to the test's database but the caller's; how many were ended."""
    url = make_url(db_url)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            ended = await conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": url.database},
            )
            return int(ended.scalar() or 0)
    finally:
        await admin.dispose()


async def count_entries(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(LedgerEntry))).scalar() or 0)


async def test_a_plain_session_meets_the_ended_connection(
    db_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session:
        assert await count_entries(session) == 0
    assert await end_connections(db_url) >= 1
    with pytest.raises(DBAPIError) as caught:
        async with sessions() as session:
            await count_entries(session)
    assert caught.value.connection_invalidated


async def test_a_read_is_tried_once_more_on_a_fresh_connection(
    db_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert await reads.read(sessions, count_entries) == 0
    assert await end_connections(db_url) >= 1
    assert await reads.read(sessions, count_entries) == 0


async def in_one_transaction(session: AsyncSession) -> bool:
    # now() is the start of the statement's transaction: the same for both statements only
    # inside one transaction (BEGIN ... ROLLBACK), different when each is its own.
    first = (await session.execute(text("SELECT now()"))).scalar()
    await session.execute(text("SELECT pg_sleep(0.01)"))
    second = (await session.execute(text("SELECT now()"))).scalar()
    return bool(first == second)


async def test_a_read_runs_outside_a_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert not await reads.read(sessions, in_one_transaction)
    async with reads.reading(sessions) as session:  # a page's or a GET's query
        assert not await in_one_transaction(session)
    async with sessions() as session:  # the usual session, for contrast
        assert await in_one_transaction(session)


async def test_the_writer_writes_its_batch_on_a_fresh_connection(
    db_url: str, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    writer = LedgerWriter(engine)
    [first] = await writer.append([make_entry(1)], recorded_at=T0)
    await writer.wait_idle()
    assert await end_connections(db_url) >= 1
    [second] = await writer.append([make_entry(2)], recorded_at=T0)
    assert (first.seq, second.seq) == (1, 2) and second.created
    [again] = await writer.append([make_entry(2)], recorded_at=T0)
    assert not again.created and again.seq == 2
    assert await reads.read(sessions, count_entries) == 2
    assert PROCESS in {first.process_id, second.process_id}

"""The ledger writer: group commit over Core, idempotent ids, one caller's failure its own, durable."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.ledger import GENESIS_HASH, row_hash
from infra.db import create_engine
from store import ledger, repositories
from store.ledger_writer import Appended, LedgerWriter, Tx, writer_for
from store.models import LedgerEntry
from tests.helpers.ledger_rows import PROCESS, T0, make_entry


async def entry_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        count = (await session.execute(select(func.count()).select_from(LedgerEntry))).scalar()
        return int(count or 0)


async def verified(sessions: async_sessionmaker[AsyncSession], process_id: str) -> int:
    async with sessions() as session:
        result = await ledger.verify(session, process_id)
    assert result.ok, result.problem
    return result.entries


async def test_concurrent_callers_share_one_transaction(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    writer = LedgerWriter(engine)
    processes = [f"{PROCESS}-{k}" for k in range(5)]
    # All 50 are queued before the writer's task first runs, so they make one batch.
    results = await asyncio.gather(
        *(
            writer.append([make_entry(n, process_id=p)], recorded_at=T0)
            for n in range(1, 11)
            for p in processes
        )
    )
    assert writer.batches == 1
    assert writer.appended == 50
    assert all(r[0].created for r in results)
    for p in processes:
        assert await verified(sessions, p) == 10
    # Each caller's seq is its entry's place in its chain, in the order the appends were queued.
    seqs = {r[0].entry_id: r[0].seq for r in results}
    assert seqs[make_entry(7, process_id=processes[2]).entry_id] == 7


async def test_rows_are_what_the_orm_path_writes(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    writer = LedgerWriter(engine)
    [appended] = await writer.append([make_entry(1)], recorded_at=T0)
    async with sessions() as session:
        row = await session.get(LedgerEntry, appended.entry_id)
    assert row is not None
    assert (row.seq, row.prev_hash, row.hash) == (1, GENESIS_HASH, appended.hash)
    assert row_hash(ledger.entry_to_dict(row)) == row.hash
    assert row.recorded_at == T0
    assert row.payload == {"decision": "approve", "n": 1, "note": "Disetujui — baik"}
    # The ORM path continues the same chain.
    async with sessions.begin() as session:
        second, created = await ledger.append(session, make_entry(2), recorded_at=T0)
    assert created and second.prev_hash == appended.hash
    assert await verified(sessions, PROCESS) == 2


async def test_a_repeated_id_gets_the_stored_entry(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    writer = LedgerWriter(engine)
    first = await writer.append([make_entry(1), make_entry(2)], recorded_at=T0)
    later = T0 + timedelta(minutes=5)
    # A retried activity: the same ids again, one of them twice in the same request.
    again = await writer.append([make_entry(1), make_entry(2), make_entry(2)], recorded_at=later)
    assert [a.created for a in again] == [False, False, False]
    assert [(a.seq, a.hash) for a in again] == [(a.seq, a.hash) for a in first] + [
        (first[1].seq, first[1].hash)
    ]
    # Concurrent retries of one id in one batch write it once.
    racing = await asyncio.gather(
        *(writer.append([make_entry(3)], recorded_at=later) for _ in range(5))
    )
    assert sum(r[0].created for r in racing) == 1
    assert {r[0].seq for r in racing} == {3}
    assert await entry_count(sessions) == 3
    assert await verified(sessions, PROCESS) == 3


async def test_a_failing_request_fails_alone(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    writer = LedgerWriter(engine)
    seen: list[int] = []

    async def refuse(_tx: Tx, appended: Sequence[Appended]) -> None:
        seen.append(appended[0].seq)
        raise ValueError("this caller's read model refuses")

    good = [
        writer.append([make_entry(n, process_id=f"{PROCESS}-ok")], recorded_at=T0)
        for n in range(1, 4)
    ]
    bad = writer.append([make_entry(1)], recorded_at=T0, after=refuse)
    outcomes = await asyncio.gather(*good, bad, return_exceptions=True)
    assert isinstance(outcomes[-1], ValueError)
    assert all(isinstance(o, list) and o[0].created for o in outcomes[:-1])
    assert seen == [1, 1]  # once in the batch, once alone
    assert await verified(sessions, f"{PROCESS}-ok") == 3
    assert await verified(sessions, PROCESS) == 0
    # Nothing of the refused request stayed behind: its id can be written afresh.
    [retry] = await writer.append([make_entry(1)], recorded_at=T0)
    assert retry.created and retry.seq == 1


async def test_effects_commit_with_the_entry(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    writer = LedgerWriter(engine)

    async def note(tx: Tx, appended: Sequence[Appended]) -> None:
        # A read-model row through the ORM session of the same transaction.
        session = await tx.session()
        await repositories.remember_key(
            session, appended[0].entry_id, "test", appended[0].process_id, T0
        )

    await writer.append([make_entry(1)], recorded_at=T0, after=note)
    async with sessions() as session:
        keys = (await session.execute(text("SELECT key FROM idempotency_keys"))).scalars().all()
    assert keys == [make_entry(1).entry_id]


async def test_a_cancelled_caller_does_not_stop_the_write(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    writer = LedgerWriter(engine)
    started = asyncio.Event()

    async def slow(_tx: Tx, _appended: Sequence[Appended]) -> None:
        started.set()
        await asyncio.sleep(0.05)

    caller = asyncio.create_task(writer.append([make_entry(1)], recorded_at=T0, after=slow))
    await started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    # The next append queues behind the cancelled one's batch, which still commits.
    [second] = await writer.append([make_entry(2)], recorded_at=T0)
    assert second.seq == 2
    assert await verified(sessions, PROCESS) == 2


async def test_sqlite_writes_are_fsynced_at_commit(engine: AsyncEngine) -> None:
    """The promise behind each answer: SQLite in WAL mode with synchronous=FULL on the writing
    connection (the WAL is synced at every commit); PostgreSQL's normal commit."""
    writer = LedgerWriter(engine)
    seen: dict[str, object] = {}

    async def look(tx: Tx, _appended: Sequence[Appended]) -> None:
        if tx.dialect == "sqlite":
            seen["synchronous"] = (await tx.conn.exec_driver_sql("PRAGMA synchronous")).scalar()
            seen["journal"] = (await tx.conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
        else:
            seen["synchronous"] = (
                await tx.conn.exec_driver_sql("SHOW synchronous_commit")
            ).scalar()

    await writer.append([make_entry(1)], recorded_at=T0, after=look)
    if engine.dialect.name == "sqlite":
        assert seen == {"synchronous": 2, "journal": "wal"}  # 2 is FULL
    else:
        assert seen == {"synchronous": "on"}


async def test_two_processes_writers_keep_one_chain(db_url: str) -> None:
    """Two writers on two engines (as two worker processes would have) append to the same
    chains at once: the chain heads serialise them, nothing forks."""
    engines = [create_engine(db_url), create_engine(db_url)]
    try:
        writers = [LedgerWriter(e) for e in engines]
        await asyncio.gather(
            *(
                writers[n % 2].append(
                    [make_entry(n, process_id=f"{PROCESS}-{n % 3}")], recorded_at=T0
                )
                for n in range(1, 61)
            )
        )
        sessions = async_sessionmaker(engines[0])
        assert sum([await verified(sessions, f"{PROCESS}-{k}") for k in range(3)]) == 60
    finally:
        for e in engines:
            await e.dispose()


def test_one_writer_per_database(sessions: async_sessionmaker[AsyncSession]) -> None:
    assert writer_for(sessions) is writer_for(sessions)


async def test_no_database_answers_every_caller(tmp_path: Path) -> None:
    """A writer that cannot connect fails its callers instead of leaving them waiting."""
    (tmp_path / "ledger.db").mkdir()  # a directory where the database file should be
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}")
    try:
        writer = LedgerWriter(engine)
        outcomes = await asyncio.gather(
            *(writer.append([make_entry(n)], recorded_at=T0) for n in range(1, 4)),
            return_exceptions=True,
        )
        assert all(isinstance(o, Exception) for o in outcomes), outcomes
        await writer.wait_idle()
    finally:
        await engine.dispose()

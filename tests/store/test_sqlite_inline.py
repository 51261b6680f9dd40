"""infra/sqlite_inline.py: SQLite calls that cannot wait run on the loop; the ones that can do not.

Real SQLite files, the product's engine (``infra.db.create_engine``) and a second, plain
``sqlite3`` connection in this process standing in for another process that holds the write lock.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import QueuePool

from infra.db import create_engine
from infra.settings import get_settings
from infra.sqlite_inline import InlineConnection


async def _driver(conn: AsyncConnection) -> InlineConnection:
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, InlineConnection)
    return driver


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "inline.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)")
    return path


async def test_only_the_first_write_of_a_transaction_and_its_commit_leave_the_loop(
    db_file: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{db_file}")
    try:
        async with engine.connect() as conn:
            driver = await _driver(conn)
            before = driver.thread_calls
            async with conn.begin():
                for n in range(20):
                    await conn.execute(text("INSERT INTO t (n, v) VALUES (:n, 'x')"), {"n": n})
                await conn.execute(text("UPDATE t SET v = 'y' WHERE n < 5"))
                count = (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
            assert count == 20
            # The first INSERT (it takes the write lock) and the COMMIT; nothing else.
            assert driver.thread_calls - before == 2
            before = driver.thread_calls
            rows = (await conn.execute(text("SELECT v FROM t WHERE n < 5"))).scalars().all()
            await conn.rollback()
            assert rows == ["y"] * 5
            assert driver.thread_calls == before  # reads never leave the loop
    finally:
        await engine.dispose()
    # Committed for real: another connection sees every row.
    with sqlite3.connect(db_file) as check:
        assert check.execute("SELECT count(*) FROM t WHERE v = 'y'").fetchone() == (5,)


async def test_a_write_waiting_for_another_writers_lock_does_not_stop_the_loop(
    db_file: Path,
) -> None:
    """The other writer lets go only once this loop has run ten times meanwhile. Were the waiting
    INSERT run on the loop's thread, the loop could not run, the lock would outlast the busy
    timeout, and the INSERT would fail with "database is locked"."""
    holder = sqlite3.connect(db_file, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t (n, v) VALUES (100, 'other')")
    engine = create_engine(f"sqlite+aiosqlite:///{db_file}", busy_timeout_ms=5_000)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while ticks < 10:
            await asyncio.sleep(0.01)
            ticks += 1
        holder.execute("COMMIT")

    try:
        tick = asyncio.create_task(ticker())
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (n, v) VALUES (1, 'mine')"))
        await tick
    finally:
        holder.close()
        await engine.dispose()
    assert ticks == 10
    with sqlite3.connect(db_file) as check:
        assert check.execute("SELECT n FROM t ORDER BY n").fetchall() == [(1,), (100,)]


async def test_a_write_that_outwaits_the_busy_timeout_fails_and_leaves_nothing(
    db_file: Path,
) -> None:
    holder = sqlite3.connect(db_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite+aiosqlite:///{db_file}", busy_timeout_ms=50)
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t (n, v) VALUES (1, 'x')"))
        holder.execute("ROLLBACK")
        # The same pooled connection writes again once the lock is free.
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (n, v) VALUES (2, 'x')"))
            await conn.execute(text("INSERT INTO t (n, v) VALUES (3, 'x')"))
    finally:
        holder.close()
        await engine.dispose()
    with sqlite3.connect(db_file) as check:
        assert check.execute("SELECT n FROM t ORDER BY n").fetchall() == [(2,), (3,)]


async def test_the_setting_turns_it_off(db_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERITFLOW_SQLITE_INLINE", "false")
    get_settings.cache_clear()
    try:
        engine = create_engine(f"sqlite+aiosqlite:///{db_file}")
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            assert not isinstance(raw.driver_connection, InlineConnection)
        await engine.dispose()
    finally:
        get_settings.cache_clear()


async def test_connections_the_pool_lets_go_close_cleanly(
    db_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Twenty connections at once: the pool keeps five and closes the overflow as each returns.
    Closing once asked the closed connection whether it was in a transaction, so every overflow
    close failed and the pool logged its traceback (most of the bench API's CPU)."""
    engine = create_engine(f"sqlite+aiosqlite:///{db_file}")
    held = asyncio.Event()

    async def one(n: int) -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (n, v) VALUES (:n, 'x')"), {"n": n})
            await held.wait()

    try:
        with caplog.at_level(logging.ERROR, logger="sqlalchemy.pool"):
            tasks = [asyncio.create_task(one(n)) for n in range(20)]
            await asyncio.sleep(0.2)
            held.set()
            await asyncio.gather(*tasks)
            pool = engine.pool
            assert isinstance(pool, QueuePool)
            assert pool.checkedout() == 0 and pool.overflow() <= 0
        assert [r.getMessage() for r in caplog.records] == []
    finally:
        await engine.dispose()
    with sqlite3.connect(db_file) as check:
        assert check.execute("SELECT count(*) FROM t").fetchone() == (20,)

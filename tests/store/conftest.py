"""Store fixtures: a freshly migrated database per test.

``db_url`` is a migrated, empty database of its own: a new SQLite file in ``tmp_path`` by default,
or, when ``MERITFLOW_TEST_DATABASE_URL`` names a PostgreSQL server, a new database on that server
(``mf_test_<random>``, dropped afterwards), so runs never see each other's rows, even two suites at
once.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from infra.db import create_engine, migrate, session_factory

TEST_DATABASE_ENV = "MERITFLOW_TEST_DATABASE_URL"


@asynccontextmanager
async def fresh_database(tmp_dir: Path, *, migrated: bool = True) -> AsyncIterator[str]:
    """Yield the URL of a new, empty database (migrated unless asked not to); drop it afterwards."""
    server_url = os.environ.get(TEST_DATABASE_ENV)
    if not server_url:
        url = f"sqlite+aiosqlite:///{tmp_dir / 'meritflow-test.db'}"
        if migrated:
            await migrate(url)
        yield url
        return
    server = make_url(server_url)
    name = f"mf_test_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = server.set(database=name).render_as_string(hide_password=False)
        try:
            if migrated:
                await migrate(url)
            yield url
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()


@pytest.fixture
async def db_url(tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
async def empty_db_url(tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database(tmp_path, migrated=False) as url:
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(db_url)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)

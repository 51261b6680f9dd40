"""A read on its own: one statement or a few, outside any write, on the hot path of every action.

On PostgreSQL such a read runs in autocommit: each statement is its own snapshot, so the BEGIN
and ROLLBACK around it (two round trips, and the server's work for each) buy nothing. The engine
does not test a connection before lending it (``infra/db.py``: no pre-ping, three round trips per
checkout); instead a read that finds its connection ended by the server (a restart, an
administrator's ``pg_terminate_backend``) is tried once more: SQLAlchemy has then invalidated the
pool, so the second try, and every checkout after it, gets a fresh connection. A read changes
nothing, so trying it again is safe; a write that meets an ended connection is the caller's to
retry (the API answers 503 with Retry-After, the ledger writer tries its batch once more).

On SQLite the read runs as before, in the engine's own transaction.

A query behind a page or a GET (``actions/queries``) takes its session from :func:`reading`: the
same autocommit on PostgreSQL, without the second try (a request that meets an ended connection
answers 503 with Retry-After, as any other). PostgreSQL's default isolation, READ COMMITTED,
already gives each statement of a transaction its own snapshot, so a query of several statements
sees what it saw before; an export, which needs one snapshot, keeps its REPEATABLE READ
transaction (``store/export.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T = TypeVar("T")

_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


async def read(
    sessions: async_sessionmaker[AsyncSession], fn: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """``fn(session)``, in autocommit on PostgreSQL, once more if its connection had ended."""
    try:
        return await _once(sessions, fn)
    except DBAPIError as err:
        if not err.connection_invalidated:
            raise
    return await _once(sessions, fn)


async def _once(
    sessions: async_sessionmaker[AsyncSession], fn: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    async with reading(sessions) as session:
        return await fn(session)


@asynccontextmanager
async def reading(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for reads only: in autocommit on PostgreSQL, as the engine's on SQLite."""
    async with sessions() as session:
        bind = session.bind
        if bind is not None and bind.dialect.name == "postgresql":
            await session.connection(execution_options=_AUTOCOMMIT)
        yield session

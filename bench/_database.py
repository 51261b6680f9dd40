"""The Meritflow database of one benchmark run: a SQLite file in the run's temp dir, or (with
``--postgres``) a fresh database on the PostgreSQL server, dropped at the end.

The PostgreSQL server is the one tests use (``DEFAULT_POSTGRES``, trust auth); each run creates its
own ``meritflow_bench_<hex>`` database on it, so other users of the server (the ``test`` database)
see nothing of the benchmark but its load.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@contextlib.asynccontextmanager
async def bench_database(tmp: Path, postgres: str | None) -> AsyncIterator[str]:
    """The SQLAlchemy URL of this run's database, which exists while the context is open."""
    if postgres is None:
        yield f"sqlite+aiosqlite:///{tmp / 'meritflow.db'}"
        return
    admin = make_url(postgres)
    name = f"meritflow_bench_{secrets.token_hex(4)}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

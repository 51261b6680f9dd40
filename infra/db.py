"""Database engine, sessions and migrations.

SQLite (the embedded default) is written by both the API and the worker. A deferred transaction
that reads first and upgrades to a write later can fail with SQLITE_BUSY whatever the busy timeout,
so every writing transaction in store/ starts with a write (the ledger takes its chain head with an
INSERT first), which waits on the busy timeout like BEGIN IMMEDIATE would. Reads stay deferred, so
a request that only reads never holds the write lock (WAL keeps readers and the writer apart).
PostgreSQL needs nothing special (no pre-ping either: see :func:`create_engine`).

The busy timeout bounds how long a writer waits for SQLite's write lock
(``MERITFLOW_SQLITE_BUSY_TIMEOUT_MS``, 5 s by default). After that SQLite raises ``database is
locked``, which the API answers with 503 and ``Retry-After`` (``api/outages.py``), and an activity
is retried by Temporal. Long writers (a CSV import) commit in chunks so that nobody waits that long.

Run ``python -m infra.db migrate`` to bring the configured database to the latest schema.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from infra import sqlite_inline
from infra.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "store" / "migrations"
# Migrations may wait for another process's migration; requests should not wait that long.
MIGRATION_BUSY_TIMEOUT_MS = 60_000
# Alembic installs its migration context in a module-level proxy, so two upgrades in one process
# must not overlap. Across processes the migration itself takes a database lock (see env.py).
_MIGRATE_LOCK = threading.Lock()


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _ensure_sqlite_dir(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_connect_hook(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the driver so that our own BEGIN is the only one issued.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    return on_connect


def _on_sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


def _on_sqlite_begin_immediate(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(
    url: str, *, immediate: bool = False, busy_timeout_ms: int | None = None
) -> AsyncEngine:
    """``immediate`` takes SQLite's write lock at BEGIN: for migrations, which read the schema
    version first and write after, and may run in two processes at once. ``busy_timeout_ms``
    (SQLite only) defaults to the setting, or to a minute for migrations."""
    parsed = make_url(url)
    if not _is_sqlite(parsed):
        # No pre-ping: it costs three round trips per checkout (BEGIN, an empty query,
        # ROLLBACK), on every request twice. A connection the server ended is found by the
        # statement that uses it; SQLAlchemy then invalidates the pool, reads are tried once more
        # (store/reads.py), the ledger writer its batch (store/ledger_writer.py), and any other
        # request is answered 503 with Retry-After (api/outages.py).
        return create_async_engine(parsed, pool_pre_ping=False)
    _ensure_sqlite_dir(parsed)
    if busy_timeout_ms is None:
        busy_timeout_ms = (
            MIGRATION_BUSY_TIMEOUT_MS if immediate else get_settings().sqlite_busy_timeout_ms
        )
    engine = create_async_engine(parsed, connect_args={"timeout": busy_timeout_ms / 1000})
    if get_settings().sqlite_inline:
        event.listen(engine.sync_engine, "do_connect", sqlite_inline.do_connect)
    event.listen(engine.sync_engine, "connect", _sqlite_connect_hook(busy_timeout_ms))
    begin = _on_sqlite_begin_immediate if immediate else _on_sqlite_begin
    event.listen(engine.sync_engine, "begin", begin)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; a password may contain one.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate_sync(url: str) -> None:
    """Upgrade the database at ``url`` to the latest revision (blocking; no running loop)."""
    with _MIGRATE_LOCK:
        command.upgrade(alembic_config(url), "head")


async def migrate(url: str) -> None:
    # env.py drives the async engine with asyncio.run, which needs a thread without a running loop.
    await asyncio.to_thread(migrate_sync, url)


def main(argv: list[str]) -> int:
    if argv != ["migrate"]:
        sys.stderr.write("usage: python -m infra.db migrate\n")
        return 2
    migrate_sync(get_settings().effective_database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Alembic environment: async engine from infra.db, metadata from store.models.

The URL is the one set on the Alembic config (``infra.db.migrate`` sets it) or else the MERITFLOW
settings' ``effective_database_url``.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from infra.db import create_engine
from infra.settings import get_settings
from store.schema import Base

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url


# Any fixed number; it names the lock that keeps two processes from migrating at once.
_PG_MIGRATION_LOCK = 0x6D6572697466


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # infra.db begins SQLite transactions itself (BEGIN IMMEDIATE here), which makes its DDL
        # transactional too: the whole upgrade commits or nothing does.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(_url(), immediate=True)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure)
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    asyncio.run(_run_online())

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db import alembic_config, create_engine, migrate
from store.schema import Base

ROOT = Path(__file__).resolve().parents[2]


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_migrate_again_is_a_no_op(db_url: str, engine: AsyncEngine) -> None:
    await asyncio.gather(migrate(db_url), migrate(db_url))
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"ledger_entries", "ledger_heads", "promotions", "alembic_version"} <= tables


async def test_two_processes_migrate_one_database(empty_db_url: str) -> None:
    # The API and the worker both migrate at start-up; neither may fail.
    env = {**os.environ, "MERITFLOW_DATABASE_URL": empty_db_url}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "infra.db",
            "migrate",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [await p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    engine = create_engine(empty_db_url)
    try:
        async with engine.connect() as conn:
            version = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).all()
    finally:
        await engine.dispose()
    assert version == [(head_revision(),)]


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


def test_command_line_migrate(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'cli.db'}"
    env = {**os.environ, "MERITFLOW_DATABASE_URL": url}
    for argv in (
        [sys.executable, "-m", "infra.db", "migrate"],
        [sys.executable, "-m", "alembic", "-c", "store/alembic.ini", "upgrade", "head"],
    ):
        subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True)
    assert (tmp_path / "nested" / "cli.db").exists()

"""Back up and restore Meritflow's database: ``make backup`` / ``make restore FROM=<path>``.

    python -m cli.backup backup [--to PATH] [--method auto|pg_dump|python]
    python -m cli.backup restore PATH --yes

The database is the one configured (``MERITFLOW_DATABASE_URL``, else SQLite in the data directory).

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot while
  the API and the worker keep writing; restore copies it back page by page with the same API.
- PostgreSQL: ``pg_dump --format=custom``, restored with ``pg_restore --clean --if-exists
  --no-owner --single-transaction``. Where the PostgreSQL client is not installed, a Python-level
  copy instead (said on the output): every table's rows with ``COPY ... (FORMAT binary)`` into a
  directory, restored into the migrated schema with triggers off, sequences moved past the rows.

Stop the API and the worker before a restore (the dev stack: Ctrl-C). Each backup says how many
ledger entries it holds: its recovery point. What a crash after it loses, and how to find it again:
README, "Backup and restore".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

from infra.db import migrate
from infra.settings import get_settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
MANIFEST = "manifest.json"
PAGES_PER_STEP = 1024  # the backup API copies in steps, so writers are not held up for long


class BackupError(RuntimeError):
    """What went wrong, in a sentence for the operator."""


# ---- SQLite ------------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError(f"{url} is not a SQLite file")
    return Path(url.database).expanduser().resolve()


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=PAGES_PER_STEP)
        finally:
            dst.close()
    finally:
        src.close()


def _sqlite_ledger_size(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0])


def backup_sqlite(url: URL, to: Path) -> int:
    source = _sqlite_path(url)
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    _sqlite_copy(source, to)
    return _sqlite_ledger_size(to)


def restore_sqlite(url: URL, path: Path) -> int:
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target, timeout=60)
        try:
            src.backup(dst, pages=PAGES_PER_STEP)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()
    return _sqlite_ledger_size(target)


# ---- PostgreSQL --------------------------------------------------------------------------------


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password (it goes in PGPASSWORD, not on a command line)."""
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _asyncpg_dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_ledger_size(url: URL) -> int:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM ledger_entries"))
    finally:
        await conn.close()


def pg_client_missing() -> str | None:
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    return ", ".join(missing) or None


def backup_pg_dump(url: URL, to: Path) -> None:
    uri, env = _libpq(url)
    cmd = ["pg_dump", "--format=custom", "--no-owner", f"--file={to}", f"--dbname={uri}"]
    _run(cmd, env)


def restore_pg_dump(url: URL, path: Path) -> None:
    uri, env = _libpq(url)
    cmd = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
    _run([*cmd, f"--dbname={uri}", str(path)], env)


def _run(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{cmd[0]} failed (exit {result.returncode}): {result.stderr.strip()}")


async def _tables(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    return [r["tablename"] for r in rows]


async def backup_python(url: URL, to: Path) -> None:
    to.mkdir(parents=True)
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            tables = await _tables(conn)
            for table in tables:
                await conn.copy_from_table(table, output=str(to / f"{table}.bin"), format="binary")
    finally:
        await conn.close()
    (to / MANIFEST).write_text(json.dumps({"tables": tables}), encoding="utf-8")


async def restore_python(url: URL, path: Path) -> None:
    tables = json.loads((path / MANIFEST).read_text(encoding="utf-8"))["tables"]
    await migrate(url.render_as_string(hide_password=False))  # the schema, from the migrations
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        async with conn.transaction():
            # Triggers off (the ledger's guards, foreign keys) while rows go back as they were.
            await conn.execute("SET LOCAL session_replication_role = replica")
            names = ", ".join(f'"{t}"' for t in tables)
            await conn.execute(f"TRUNCATE {names}")
            for table in tables:
                await conn.copy_to_table(table, source=str(path / f"{table}.bin"), format="binary")
            await _move_sequences(conn)
    finally:
        await conn.close()


async def _move_sequences(conn: asyncpg.Connection) -> None:
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND (column_default LIKE 'nextval%' OR is_identity = 'YES')"
    )
    for r in rows:
        table, column = r["table_name"], r["column_name"]
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
            f'COALESCE((SELECT max("{column}") FROM "{table}"), 0) + 1, false)'
        )


# ---- the commands ------------------------------------------------------------------------------


def default_target(data_dir: Path, method: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = {"sqlite": ".sqlite3", "pg_dump": ".pgdump", "python": ".pgcopy"}[method]
    return data_dir / "backups" / f"meritflow-{stamp}{suffix}"


def choose_method(url: URL, wanted: str) -> str:
    if url.get_backend_name() == "sqlite":
        return "sqlite"
    if wanted != "auto":
        return wanted
    missing = pg_client_missing()
    if missing:
        print(
            f"note: the PostgreSQL client ({missing}) is not installed; using a Python-level copy"
        )
        return "python"
    return "pg_dump"


def backup(url: URL, to: Path | None, data_dir: Path, wanted: str = "auto") -> Path:
    method = choose_method(url, wanted)
    target = to or default_target(data_dir, method)
    if target.exists():
        raise BackupError(f"{target} exists already; choose another name")
    target.parent.mkdir(parents=True, exist_ok=True)
    if method == "sqlite":
        entries = backup_sqlite(url, target)
    else:
        entries = asyncio.run(_pg_backup(url, target, method))
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    print(f"backup: {target} ({method}, {entries} ledger entries, taken at {stamp})")
    return target


async def _pg_backup(url: URL, target: Path, method: str) -> int:
    entries = await _pg_ledger_size(url)  # read before: the backup holds at least these
    if method == "pg_dump":
        await asyncio.to_thread(backup_pg_dump, url, target)
    else:
        await backup_python(url, target)
    return entries


def kind_of(path: Path) -> str:
    if path.is_dir():
        if not (path / MANIFEST).exists():
            raise BackupError(f"{path} is a directory without {MANIFEST}: not a backup")
        return "python"
    head = path.read_bytes()[:16] if path.is_file() else b""
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "pg_dump"
    raise BackupError(f"{path} is not a backup this command wrote")


def restore(url: URL, path: Path) -> None:
    kind = kind_of(path)
    is_sqlite = url.get_backend_name() == "sqlite"
    if (kind == "sqlite") != is_sqlite:
        raise BackupError(f"{path} is a {kind} backup; the configured database is not")
    if kind == "sqlite":
        entries = restore_sqlite(url, path)
    else:
        entries = asyncio.run(_pg_restore(url, path, kind))
    shown = url.render_as_string(hide_password=True)
    print(f"restored: {shown} from {path} ({entries} ledger entries)")


async def _pg_restore(url: URL, path: Path, kind: str) -> int:
    if kind == "pg_dump":
        if shutil.which("pg_restore") is None:
            raise BackupError("pg_restore is not installed; install the PostgreSQL client")
        await asyncio.to_thread(restore_pg_dump, url, path)
    else:
        await restore_python(url, path)
    return await _pg_ledger_size(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli.backup", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("backup", help="copy the database to a file (or directory)")
    b.add_argument("--to", type=Path, help="where (default: <data_dir>/backups/meritflow-<time>)")
    b.add_argument("--method", choices=("auto", "pg_dump", "python"), default="auto")
    r = sub.add_parser("restore", help="replace the database by a backup (stop the stack first)")
    r.add_argument("path", type=Path)
    r.add_argument("--yes", action="store_true", help="yes, replace the configured database")
    args = parser.parse_args(argv)
    settings = get_settings()
    url = make_url(settings.effective_database_url)
    try:
        if args.command == "backup":
            backup(url, args.to, settings.data_dir, args.method)
        else:
            if not args.yes:
                print("error: restore replaces the configured database; add --yes", file=sys.stderr)
                return 2
            restore(url, args.path)
    except (BackupError, OSError, sqlite3.Error, asyncpg.PostgresError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Backup and restore drill: back up a running stack, destroy its database, restore, and check.

Real components as processes (Temporal dev server, worker, API) on a database of the test's own.
Promotions are walked to their decrees and a checkpoint is signed; ``python -m cli.backup backup``
runs while the stack serves; the API and the worker are stopped and the database destroyed (the
SQLite file deleted, or the PostgreSQL database dropped and created empty); ``python -m cli.backup
restore`` brings it back. Then the offline verifier (``cli.verify``) passes on an export of the
restored ledger against the checkpoints fetched before the disaster, and reconciliation against
Temporal (``cli.reconcile``) finds nothing for every process. On PostgreSQL both the ``pg_dump``
backup and the Python-level copy (for machines without the client) are drilled.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from infra.settings import ROOT, Settings
from tests.conftest import PERIOD
from tests.helpers.live_stack import LiveStack, live_stack
from tests.helpers.walkers import Client, prepare_stack, walk_promotion
from tests.store.conftest import fresh_database

PROMOTIONS = 2
pytestmark = pytest.mark.timeout(600)


async def _cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=300)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def _destroy(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'DROP DATABASE "{parsed.database}" WITH (FORCE)')
            await conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.dispose()


async def _export(c: Client, path: Path) -> str:
    r = await c.http.get("/v1/audit/export", headers=c.auth("auditor", "auditor-1", None))
    assert r.status_code == 200, r.text
    path.write_text(r.text, encoding="utf-8")
    return r.text


async def _drill(url: str, tmp: Path, settings: Settings, method: str) -> None:
    extra = {"MERITFLOW_DATA_DIR": str(tmp / "data")}
    async with live_stack(url, tmp, extra) as stack:
        env = {**stack.services["api"].env}
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=90.0) as http:
            c = Client(http, settings)
            nips = await prepare_stack(c)
            pids = [await walk_promotion(c, n, PERIOD.isoformat()) for n in nips[:PROMOTIONS]]
            auditor = c.auth("auditor", "auditor-1", None)
            r = await http.post("/v1/audit/checkpoints", headers=auditor)
            assert r.status_code == 201, r.text
            items = (await c.get("/v1/audit/checkpoints")).json()["items"]
            (tmp / "checkpoints.json").write_text(json.dumps(items), encoding="utf-8")
            key = (await c.get("/v1/audit/public-key")).json()["public_key"]
            before = await _export(c, tmp / "before.jsonl")

            target = tmp / "backup"
            code, out = await _cli(
                env, "cli.backup", "backup", "--to", str(target), "--method", method
            )
            assert code == 0, out
            print(out.strip())  # noqa: T201 - the recovery point, for the report

            await _outage(stack, url)
            code, out = await _cli(env, "cli.backup", "restore", str(target), "--yes")
            assert code == 0, out
            print(out.strip())  # noqa: T201
            await stack.restart("worker")
            await stack.restart("api")

            after = await _export(c, tmp / "after.jsonl")
            assert after == before  # every entry back, none added, none changed
            code, out = await _cli(
                env,
                "cli.verify",
                "--export",
                str(tmp / "after.jsonl"),
                "--checkpoints",
                str(tmp / "checkpoints.json"),
                "--public-key",
                key,
            )
            assert code == 0, out
            print(f"verifier: {out.strip()}")  # noqa: T201
            processes = {
                e["process_id"]
                for e in (json.loads(line) for line in after.splitlines() if line.strip())
            }
            assert set(pids) <= processes
            walked = sorted(p for p in processes if p.startswith(("promotion-", "review-")))
            assert len(walked) >= PROMOTIONS  # each promotion (its technical review runs inside it)
            for pid in walked:
                code, out = await _cli(env, "cli.reconcile", pid)
                assert code == 0, out
            print(f"reconciled {len(walked)} processes: no difference")  # noqa: T201
            await _writes_go_on(c, pids[0])


async def _writes_go_on(c: Client, pid: str) -> None:
    """The restored database takes new entries where the chain left off (sequences, heads)."""
    body = {"decision": "approve", "justification": "after the restore"}
    r = await c.send("POST", f"/v1/promotions/{pid}/decisions", body, "agency_hr", "hr-1")
    assert r.status_code == 409, r.text  # the promotion is complete: a refusal, recorded
    verdict = (await c.get(f"/v1/processes/{pid}/ledger/verify")).json()
    assert verdict["ok"], verdict


async def _outage(stack: LiveStack, url: str) -> None:
    """The disaster: the API and the worker stop, the database is gone."""
    stack.services["api"].stop()
    stack.services["worker"].stop()
    await _destroy(url)


@pytest.mark.parametrize("method", ["auto", "python"])
async def test_backup_restore_drill(tmp_path: Path, settings: Settings, method: str) -> None:
    if method == "python" and not os.environ.get("MERITFLOW_TEST_DATABASE_URL"):
        pytest.skip("the Python-level copy is PostgreSQL's fallback; SQLite has its backup API")
    if method == "auto" and os.environ.get("MERITFLOW_TEST_DATABASE_URL"):
        assert shutil.which("pg_dump"), "pg_dump is not installed: the drill uses it"
    async with fresh_database(tmp_path) as url:
        await _drill(url, tmp_path, settings, method)

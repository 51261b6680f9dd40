"""A busy or absent database answers 503 with Retry-After and a sentence, never 500.

- SQLite's write lock held by someone else for longer than the busy timeout: the write waits that
  long, then answers 503 ``database_unavailable``; sent again once the lock is gone, it succeeds.
- A 10,001-row CSV import commits in chunks, so single writes sent while it runs answer 2xx (or,
  on a machine too busy to keep up, 503 with Retry-After), never 500.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from infra.settings import Settings
from infra.tokens import mint_token
from tests.conftest import employee, new_nip

AGENCY = "KEMENPANRB"
IMPORT_ROWS = 10_001


def _auth(settings: Settings, role: str = "hr_system") -> dict[str, str]:
    token = mint_token(settings, role=role, sub="simpeg", agency=AGENCY)
    return {"Authorization": f"Bearer {token}"}


@pytest_asyncio.fixture
async def http(
    dev_env: WorkflowEnvironment, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    # A short busy timeout, so that the held lock below is felt at once.
    settings = settings.model_copy(update={"sqlite_busy_timeout_ms": 300})
    app = create_app(settings, client=dev_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as c:
            yield c


def _sqlite_path(url: str) -> str | None:
    parsed = make_url(url)
    return parsed.database if parsed.get_backend_name() == "sqlite" else None


def _assert_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) > 0
    body = r.json()
    assert body["error"] == "database_unavailable", body
    assert "again" in body["detail"], body


async def test_locked_sqlite_answers_503_then_the_same_request_succeeds(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    path = _sqlite_path(settings.database_url)
    if path is None:
        pytest.skip("SQLite's write lock; PostgreSQL has row locks")
    headers = {**_auth(settings), "X-Request-Id": uuid.uuid4().hex}
    record = employee()
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's long write
        r = await http.post("/v1/employees", json=record, headers=headers)
        _assert_unavailable(r)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    r = await http.post("/v1/employees", json=record, headers=headers)
    assert r.status_code == 201, r.text
    r = await http.get(f"/v1/employees/{record['nip']}", headers=_auth(settings))
    assert r.status_code == 200, r.text


async def test_single_writes_during_a_large_import_never_answer_500(
    dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    # The default busy timeout (5 s): what an operator runs.
    app = create_app(settings, client=dev_env.client)
    header = "nip,name,agency,grade,rank_since,education\n"
    rows = "".join(
        f"{new_nip()},Pegawai {i},{AGENCY},III/a,2020-01-01,S1\n" for i in range(IMPORT_ROWS)
    )
    csv_headers = {**_auth(settings), "content-type": "text/csv"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://meritflow.test", timeout=300
        ) as http:
            done = asyncio.Event()

            async def import_file() -> httpx.Response:
                try:
                    return await http.post(
                        "/v1/employees/import", content=header + rows, headers=csv_headers
                    )
                finally:
                    done.set()

            async def single_writes() -> list[httpx.Response]:
                answers = []
                while not done.is_set():
                    r = await http.post("/v1/employees", json=employee(), headers=_auth(settings))
                    answers.append(r)
                    await asyncio.sleep(0.05)
                return answers

            imported, answers = await asyncio.gather(import_file(), single_writes())
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"imported": IMPORT_ROWS}
    statuses = Counter(r.status_code for r in answers)
    print(f"single writes during a {IMPORT_ROWS}-row import: {dict(statuses)}")  # noqa: T201
    assert answers, "the import finished before any single write was sent"
    for r in answers:
        if r.status_code == 503:
            _assert_unavailable(r)
        else:
            assert r.status_code == 201, r.text

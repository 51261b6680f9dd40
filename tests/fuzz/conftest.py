"""The stack the fuzzer drives, one per module (every role fuzzes the same one): the app with its
lifespan, a real worker on a task queue of its own, the Temporal dev server and the database of
tests/conftest.py. An exception the app does not handle is answered 500
(``raise_app_exceptions=False``), as a server would, so the fuzzer counts it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from server import create_app
from tests.helpers.promotion_api import Api, register_bkn
from worker import build_worker


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], migrated_url: str
) -> AsyncIterator[Api]:
    settings = Settings(
        database_url=migrated_url, task_queue=f"tq-fuzz-{uuid.uuid4().hex[:12]}", env="test"
    )
    app = create_app(settings, client=dev_env.client)
    async with build_worker(dev_env.client, sessions, settings), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as http:
            api = Api(http, settings)
            await register_bkn(api)
            yield api

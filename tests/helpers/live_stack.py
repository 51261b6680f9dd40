"""The real stack as separate processes, for tests that kill and restart its parts.

A file-backed Temporal dev server, the worker and the API (uvicorn), each a child process of its
own (``infra/processes.py``), on free ports, against the test run's database. ``kill`` sends
SIGKILL to one of them; ``restart`` starts it again with the same arguments (the dev server on the
same port and state file).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from infra.processes import Service, Services
from infra.settings import ROOT
from infra.temporal_bin import find_temporal_cli
from tests.conftest import free_port

READY_S = 90.0


@dataclass
class LiveStack:
    services: Services
    api_url: str
    temporal_address: str
    task_queue: str
    client: Client

    def kill(self, name: str) -> None:
        self.services[name].kill()

    async def restart(self, name: str) -> None:
        service = self.services[name]
        service.kill()
        service.start()
        if name == "temporal":
            await _temporal_ready(self.temporal_address)
        elif name == "api":
            await _http_ready(self.api_url)

    def logs(self) -> str:
        return "\n".join(f"--- {s.name} ---\n{s.tail()}" for s in self.services.items)


def _env(database_url: str, temporal: str, task_queue: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERITFLOW_")}
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "MERITFLOW_ENV": "test",
            "MERITFLOW_DATABASE_URL": database_url,
            "MERITFLOW_TEMPORAL_ADDRESS": temporal,
            "MERITFLOW_TASK_QUEUE": task_queue,
            "MERITFLOW_API_HOST": "127.0.0.1",
            "MERITFLOW_API_PORT": str(port),
        }
    )
    return env


async def _temporal_ready(address: str) -> Client:
    deadline = asyncio.get_running_loop().time() + READY_S
    while True:
        try:
            client = await Client.connect(address, data_converter=pydantic_data_converter)
            await client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace="default")
            )
            return client
        except Exception:  # not up yet
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _http_ready(url: str) -> None:
    deadline = asyncio.get_running_loop().time() + READY_S
    async with httpx.AsyncClient(base_url=url) as http:
        while True:
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"the API at {url} never became healthy")
            await asyncio.sleep(0.2)


@asynccontextmanager
async def live_stack(
    database_url: str, tmp: Path, extra_env: dict[str, str] | None = None
) -> AsyncIterator[LiveStack]:
    tport, aport = free_port(), free_port()
    temporal = f"127.0.0.1:{tport}"
    queue = f"live-{uuid.uuid4().hex[:10]}"
    env = {**_env(database_url, temporal, queue, aport), **(extra_env or {})}
    logs = tmp / "logs"
    services = Services()
    services.add(
        Service(
            "temporal",
            [
                find_temporal_cli(),
                "server",
                "start-dev",
                "--headless",
                "--ip",
                "127.0.0.1",
                "--port",
                str(tport),
                "--http-port",
                str(free_port()),
                "--metrics-port",
                str(free_port()),
                "--db-filename",
                str(tmp / "temporal.db"),
                "--log-level",
                "error",
            ],  # fmt: skip
            env,
            logs,
        )
    )
    services.add(Service("worker", [sys.executable, str(ROOT / "worker.py")], env, logs))
    api_argv = ["-m", "uvicorn", "server:app", "--host", "127.0.0.1", "--port", str(aport)]
    services.add(Service("api", [sys.executable, *api_argv], env, logs))
    try:
        services["temporal"].start()
        client = await _temporal_ready(temporal)
        services["worker"].start()
        services["api"].start()
        url = f"http://127.0.0.1:{aport}"
        await _http_ready(url)
        yield LiveStack(services, url, temporal, queue, client)
    finally:
        services.stop_all()

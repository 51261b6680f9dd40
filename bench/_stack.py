"""The processes one benchmark run starts, and the guarantee that it stops them all.

Each child leads its own session (so a Ctrl-C meant for the benchmark reaches only the benchmark,
which then stops the children in order) and writes to ``<log_dir>/<name>.log``. ``stop()`` sends
SIGTERM to every process group in reverse order of start, then SIGKILL after a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from infra.settings import ROOT

LOOPBACK = "127.0.0.1"
STOP_GRACE_S = 10.0
READY_TIMEOUT_S = 90.0
POLL_S = 0.2
TAIL_LINES = 20


class BenchError(RuntimeError):
    """The benchmark could not set up or run; the message says what failed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class Stack:
    log_dir: Path
    env: dict[str, str]
    children: list[Child] = field(default_factory=list)

    def spawn(self, name: str, argv: list[str]) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        child = Child(name, proc, log_path)
        self.children.append(child)
        return child

    def check_alive(self) -> None:
        for child in self.children:
            code = child.proc.poll()
            if code is not None:
                raise BenchError(f"{child.name} exited with code {code}:\n{tail(child.log_path)}")

    def stop(self) -> None:
        while self.children:
            stop_child(self.children.pop())

    def tails(self) -> str:
        return "\n".join(
            f"--- {c.name} ({c.log_path}) ---\n{tail(c.log_path)}" for c in self.children
        )


def stop_child(child: Child, grace_s: float = STOP_GRACE_S) -> None:
    if child.proc.poll() is None:
        _signal_group(child.proc, signal.SIGTERM)
        try:
            child.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            _signal_group(child.proc, signal.SIGKILL)
            child.proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # start_new_session made the child a session leader: its pid is its process group id.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return "".join(deque(fh, maxlen=lines)).rstrip()
    except OSError as exc:
        return f"(no log: {exc})"


def temporal_argv(cli: str, port: int, data_dir: Path) -> list[str]:
    return [
        cli,
        "server",
        "start-dev",
        "--headless",
        "--ip",
        LOOPBACK,
        "--port",
        str(port),
        "--http-port",
        str(free_port()),
        "--metrics-port",
        str(free_port()),
        "--db-filename",
        str(data_dir / "temporal.db"),
        "--log-level",
        "error",
    ]


async def connect_when_ready(stack: Stack, address: str, namespace: str = "default") -> Client:
    """Connect once the dev server answers and its namespace exists."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    last: Exception | None = None
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            client = await Client.connect(
                address, namespace=namespace, data_converter=pydantic_data_converter
            )
            await client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=namespace)
            )
            return client
        except Exception as exc:  # not up yet: any failure means "try again" until the deadline
            last = exc
            await asyncio.sleep(POLL_S)
    raise BenchError(f"Temporal at {address} not ready after {READY_TIMEOUT_S:.0f}s: {last}")


async def wait_http_ok(stack: Stack, http: httpx.AsyncClient, path: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            r = await http.get(path)
            if r.status_code == 200:
                return
            last = f"{r.status_code} {r.text[:300]}"
        except httpx.TransportError as exc:
            last = repr(exc)
        await asyncio.sleep(POLL_S)
    raise BenchError(f"GET {path} not healthy after {READY_TIMEOUT_S:.0f}s: {last}")

"""The processes one benchmark run starts, and the guarantee that it stops them all.

Each child leads its own session (so a Ctrl-C meant for the benchmark reaches only the benchmark,
which then stops the children in order) and writes to ``<log_dir>/<name>.log``. ``stop()`` sends
SIGTERM to every process group in reverse order of start, then SIGKILL after a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from infra.settings import ROOT, Settings
from infra.temporal_bin import find_temporal_cli

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

    def cpu_seconds(self) -> dict[str, float | None]:
        """CPU time (user + system, all threads) each child has used so far; None off Linux."""
        return {c.name: process_cpu_seconds(c.proc.pid) for c in self.children}

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


def process_cpu_seconds(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # After "pid (comm)": state is field 3 of proc(5), utime and stime are fields 14 and 15.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> dict[str, float]:
    """CPU time the whole machine spent busy and waiting on I/O, from /proc/stat; empty off Linux."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return {}
    # cpu user nice system idle iowait irq softirq steal ...
    ticks = [int(x) for x in first[1:9]]
    hz = os.sysconf("SC_CLK_TCK")
    return {
        "machine busy": (sum(ticks) - ticks[3] - ticks[4]) / hz,
        "machine iowait": ticks[4] / hz,
    }


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return "".join(deque(fh, maxlen=lines)).rstrip()
    except OSError as exc:
        return f"(no log: {exc})"


def temporal_argv(cli: str, port: int, db_file: Path | None) -> list[str]:
    """``temporal server start-dev`` on loopback only; state in ``db_file``, or in memory if None."""
    argv = [
        cli, "server", "start-dev", "--headless", "--ip", LOOPBACK, "--port", str(port),
        "--http-port", str(free_port()), "--metrics-port", str(free_port()), "--log-level", "error",
    ]  # fmt: skip
    return argv + (["--db-filename", str(db_file)] if db_file else [])


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


def child_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    # The children take their settings from here alone, not from whatever MERITFLOW_* is exported.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERITFLOW_")}
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "MERITFLOW_DATA_DIR": str(data_dir),
            "MERITFLOW_DATABASE_URL": settings.database_url,
            "MERITFLOW_TEMPORAL_ADDRESS": settings.temporal_address,
            "MERITFLOW_TEMPORAL_NAMESPACE": settings.temporal_namespace,
            "MERITFLOW_TASK_QUEUE": settings.task_queue,
            "MERITFLOW_API_HOST": settings.api_host,
            "MERITFLOW_API_PORT": str(settings.api_port),
            "MERITFLOW_JWT_SECRET": settings.jwt_secret,
            "MERITFLOW_JWT_ISSUER": settings.jwt_issuer,
            "MERITFLOW_JWT_AUDIENCE": settings.jwt_audience,
            "MERITFLOW_JWT_JWKS_URL": "",
            # MERITFLOW_SQLITE_INLINE=false in the bench's environment measures without it.
            "MERITFLOW_SQLITE_INLINE": str(settings.sqlite_inline).lower(),
        }
    )
    return env


async def start_processes(
    stack: Stack, settings: Settings, tmp: Path, bare_queue: str, temporal_db: str
) -> Client:
    """The dev server, then (once it answers) the two workers and the API, each as ``make run``
    starts it; the workers would fail to connect to a server still starting on a loaded machine."""
    py = sys.executable
    temporal = settings.temporal_address
    db_file = tmp / "temporal.db" if temporal_db == "file" else None
    port = int(temporal.rsplit(":", 1)[1])
    stack.spawn("temporal", temporal_argv(find_temporal_cli(), port, db_file))
    client = await connect_when_ready(stack, temporal)
    stack.spawn("meritflow-worker", [py, str(ROOT / "worker.py")])
    bare = [py, "-m", "bench.bare", "--address", temporal, "--task-queue", bare_queue]
    stack.spawn("bare-worker", bare)
    api = ["-m", "uvicorn", "server:app", "--host", LOOPBACK, "--port", str(settings.api_port)]
    stack.spawn("api", [py, *api])
    return client


async def start_bare_worker(stack: Stack, temporal: str, bare_queue: str) -> Client:
    """Against a deployment's Temporal server: only the bare worker is ours."""
    client = await connect_when_ready(stack, temporal)
    bare = [sys.executable, "-m", "bench.bare", "--address", temporal, "--task-queue", bare_queue]
    stack.spawn("bare-worker", bare)
    return client


def run_cli(
    run: Callable[[], Coroutine[Any, Any, dict[str, Any]]],
    render: Callable[[dict[str, Any]], str],
    output: Path,
    *,
    timed: bool = False,
    require_checks: bool = False,
) -> int:
    """Every benchmark's entry point: run, print the table, write the JSON, give the exit code.

    SIGTERM unwinds like Ctrl-C, through the ``finally`` blocks that stop every child process.
    ``timed`` adds the whole run's wall time; ``require_checks`` fails the exit code when any of
    ``result["checks"]`` is false.
    """

    async def main() -> dict[str, Any]:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await run()

    started = time.perf_counter()
    try:
        result = asyncio.run(main())
    except BenchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.stderr.write("interrupted; everything started was stopped\n")
        return 130
    if timed:
        result["wall_s_total"] = round(time.perf_counter() - started, 1)
    print(render(result))
    if timed:
        print(f"whole run: {result['wall_s_total']} s")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON: {output}")
    if require_checks and not all(result["checks"].values()):
        return 1
    return 0

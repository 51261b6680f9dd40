"""The development stack behind ``make run``: ``python -m cli.devstack``.

Migrates the database, then starts the Temporal dev server (state in ``<data_dir>/temporal.db``,
so a second run finds the workflows of the first), the worker and the API, each in its own session
so that Ctrl-C reaches only this supervisor, which then stops them in reverse order.

Each child appends to ``<data_dir>/logs/<name>.log`` (rotated past 10 MB, never truncated: the
traceback of a run that died is still there after the restart). If a child dies while the stack
runs, the supervisor says so (on its output and in ``logs/devstack.log``, with the child's last
lines) and starts that child again after a backoff (1 s, 2 s, 4 s ... 30 s; back to 1 s once it
has run for a minute); the others keep running. Only a failure while starting stops the stack.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from sqlalchemy.engine import make_url
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from infra.processes import Backoff, Service, rotate, tail
from infra.settings import ROOT, Settings, get_settings
from infra.temporal_bin import TemporalBinaryNotFound, find_temporal_cli

STARTUP_TIMEOUT_S = 60.0
MIGRATE_TIMEOUT_S = 120.0
STOP_GRACE_S = 10.0
POLL_INTERVAL_S = 0.25
PROBE_TIMEOUT_S = 3.0
TAIL_LINES = 25
TOKEN_EXAMPLE = "make token ROLE=agency_hr SUB=199001012015011001 AGENCY=KEMENPANRB"

# A child of the stack: a restartable process (infra/processes.py).
Child = Service


class StackError(RuntimeError):
    """The stack cannot start or a child died while starting; the message says which and why."""


class Shutdown(BaseException):
    """Raised by our signal handlers (INT, TERM, HUP); unwinds like KeyboardInterrupt."""


@dataclass
class Stack:
    settings: Settings
    log_dir: Path
    children: list[Child] = field(default_factory=list)
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    _backoff: dict[str, Backoff] = field(default_factory=dict)
    _restart_at: dict[str, float] = field(default_factory=dict)

    def spawn(self, name: str, argv: list[str]) -> Child:
        child = Service(name, argv, child_env(), self.log_dir)
        child.start()
        self.children.append(child)
        return child

    def check_alive(self) -> None:
        """While starting: a child that died stops the stack, with its last lines."""
        for child in self.children:
            code = child.exit_code()
            if code is not None:
                raise StackError(
                    f"{child.name} exited with code {code}; last lines of {child.log_path}:\n"
                    + (tail(child.log_path, TAIL_LINES) or "(no output)")
                )

    def tend(self, now: float | None = None) -> None:
        """One round of supervision: a child found dead is announced and scheduled for a restart
        after its backoff; a child whose time has come is started again."""
        now = time.monotonic() if now is None else now
        for child in self.children:
            code = child.exit_code()
            if code is None:
                continue
            due = self._restart_at.get(child.name)
            if due is None:
                policy = self._backoff.setdefault(
                    child.name, Backoff(self.backoff_initial_s, self.backoff_max_s)
                )
                delay = policy.delay(now - child.started_at)
                self._restart_at[child.name] = now + delay
                self.announce(
                    f"{child.name} (pid {child.pid}) exited with code {code} after "
                    f"{now - child.started_at:.1f} s; restarting it in {delay:.0f} s "
                    f"(restart {child.starts}); the rest of the stack keeps running. Last lines of "
                    f"{child.log_path}:\n{tail(child.log_path, TAIL_LINES)}"
                )
            elif now >= due:
                del self._restart_at[child.name]
                child.start(reason=f"restarted by the supervisor after exit code {code}")
                self.announce(f"{child.name} restarted (pid {child.pid}, start {child.starts})")

    def announce(self, message: str) -> None:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        print(f"• {message}", flush=True)
        with (self.log_dir / "devstack.log").open("a", encoding="utf-8") as log:
            log.write(f"{stamp} {message}\n")

    def stop(self) -> None:
        for child in reversed(self.children):
            stop_child(child)
        self.children.clear()


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def stop_child(child: Child, grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM the child's process group, then SIGKILL it if it is still there after ``grace_s``."""
    child.stop(grace_s)


def split_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise StackError(f"temporal_address must look like host:port, got {address!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def check_ports_free(settings: Settings) -> None:
    t_host, t_port = split_address(settings.temporal_address)
    wanted = {
        "API": (settings.api_host, settings.api_port),
        "Temporal": (t_host, t_port),
        "Temporal Web UI": (t_host, settings.temporal_ui_port),
    }
    busy = [
        f"{what} port {port} on {host}"
        for what, (host, port) in wanted.items()
        if port_in_use(host, port)
    ]
    if busy:
        raise StackError(
            "already in use by another process: "
            + ", ".join(busy)
            + ". Stop it (find it with `lsof -i :PORT` or `ss -ltnp`), or choose other ports with "
            "MERITFLOW_API_PORT / MERITFLOW_TEMPORAL_ADDRESS / MERITFLOW_TEMPORAL_UI_PORT."
        )


def run_migrations(log_dir: Path) -> None:
    log_path = log_dir / "migrate.log"
    rotate(log_path)
    with log_path.open("ab") as log:
        result = subprocess.run(
            [sys.executable, "-m", "infra.db", "migrate"],
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=MIGRATE_TIMEOUT_S,
            check=False,
        )
    if result.returncode != 0:
        raise StackError(
            f"database migration failed (exit {result.returncode}); last lines of {log_path}:\n"
            + tail(log_path, TAIL_LINES)
        )


def temporal_argv(settings: Settings, data_dir: Path) -> list[str]:
    host, port = split_address(settings.temporal_address)
    return [
        find_temporal_cli(),
        "server",
        "start-dev",
        "--db-filename",
        str(data_dir / "temporal.db"),
        "--ip",
        host,
        "--port",
        str(port),
        "--ui-port",
        str(settings.temporal_ui_port),
        "--namespace",
        settings.temporal_namespace,
        "--log-level",
        "warn",
    ]


def worker_argv() -> list[str]:
    worker = ROOT / "worker.py"
    if not worker.is_file():
        raise StackError(f"{worker} is missing")
    return [sys.executable, str(worker)]


def api_argv(settings: Settings) -> list[str]:
    host, port = settings.api_host, str(settings.api_port)
    return [sys.executable, "-m", "uvicorn", "server:app", "--host", host, "--port", port]


def wait_until(stack: Stack, child: Child, ready: Callable[[], bool], timeout_s: float) -> None:
    """Poll ``ready`` until it holds; fail early if any child died, or after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        stack.check_alive()
        if time.monotonic() > deadline:
            raise StackError(
                f"{child.name} was not ready after {timeout_s:.0f} s; last lines of "
                f"{child.log_path}:\n{tail(child.log_path, TAIL_LINES)}"
            )
        time.sleep(POLL_INTERVAL_S)


def _probe_host(host: str) -> str:
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((_probe_host(host), port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


async def _temporal_serving(address: str, namespace: str) -> None:
    client = await Client.connect(address, namespace=namespace)
    request = DescribeNamespaceRequest(namespace=namespace)
    await client.workflow_service.describe_namespace(request)


def temporal_ready(settings: Settings) -> bool:
    host, port = split_address(settings.temporal_address)
    if not tcp_open(host, port):
        return False
    address = f"{_probe_host(host)}:{port}"
    coro = _temporal_serving(address, settings.temporal_namespace)
    try:
        asyncio.run(asyncio.wait_for(coro, PROBE_TIMEOUT_S))
    except Exception:  # any failure here just means "not yet"
        return False
    return True


def api_ready(settings: Settings) -> bool:
    url = f"http://{_url_host(settings.api_host)}:{settings.api_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_S) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _url_host(host: str) -> str:
    probe = _probe_host(host)
    return f"[{probe}]" if ":" in probe else probe


def resolve_data_dir(settings: Settings) -> Path:
    # Children run with cwd=ROOT, so a relative data_dir means the same place for all of them.
    data_dir = settings.data_dir if settings.data_dir.is_absolute() else ROOT / settings.data_dir
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    return data_dir


def start(stack: Stack, data_dir: Path) -> None:
    settings = stack.settings
    check_ports_free(settings)
    print("• migrating the database …", flush=True)
    run_migrations(stack.log_dir)
    print(f"• starting the Temporal dev server on {settings.temporal_address} …", flush=True)
    temporal = stack.spawn("temporal", temporal_argv(settings, data_dir))
    wait_until(stack, temporal, lambda: temporal_ready(settings), STARTUP_TIMEOUT_S)
    print("• starting the worker and the API …", flush=True)
    stack.spawn("worker", worker_argv())
    api = stack.spawn("api", api_argv(settings))
    wait_until(stack, api, lambda: api_ready(settings), STARTUP_TIMEOUT_S)


def banner(settings: Settings, data_dir: Path) -> str:
    api = f"http://{_url_host(settings.api_host)}:{settings.api_port}"
    t_host, _ = split_address(settings.temporal_address)
    ui = f"http://{_url_host(t_host)}:{settings.temporal_ui_port}"
    database = make_url(settings.effective_database_url).render_as_string(hide_password=True)
    logs = data_dir / "logs"
    return f"""
Meritflow is running ({settings.env}). Ctrl-C stops everything; a child that dies is restarted.

  API               {api}
  API docs          {api}/docs
  Temporal Web UI   {ui}   (namespace {settings.temporal_namespace})
  Temporal          {settings.temporal_address}   (state in {data_dir / "temporal.db"})
  Task queues       {settings.task_queue}, {settings.period_queue} (promotion periods)
  Database          {database}
  Logs              {logs}/{{migrate,temporal,worker,api,devstack}}.log (appended, rotated)

A development token (HS256, for the Authorization: Bearer header):
  {TOKEN_EXAMPLE}
An end-to-end walk through a promotion, against this stack:
  make demo
"""


def supervise(stack: Stack) -> None:
    while True:
        stack.tend()
        time.sleep(0.5)


def _raise_shutdown(signum: int, _frame: FrameType | None) -> None:
    raise Shutdown(signal.Signals(signum).name)


def _ignore_signals() -> None:
    # A second Ctrl-C must not abandon half-stopped children.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)


def main() -> int:
    # SIGINT too, explicitly: a shell that starts us in the background sets it to SIG_IGN.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_shutdown)
    settings = get_settings()
    data_dir = resolve_data_dir(settings)
    stack = Stack(settings, data_dir / "logs")
    code = 0
    try:
        start(stack, data_dir)
        print(banner(settings, data_dir), flush=True)
        supervise(stack)
    except Shutdown:
        print("\n• stopping …", flush=True)
    except (StackError, TemporalBinaryNotFound) as exc:
        print(f"\nerror: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        _ignore_signals()
        stack.stop()
    print("• stopped.", flush=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())

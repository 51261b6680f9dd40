"""The `make run` supervisor: port checks, child shutdown, and the real Temporal dev server."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from cli import devstack
from infra.settings import ROOT, Settings
from infra.temporal_bin import find_temporal_cli, find_test_server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn(stack: devstack.Stack, name: str, code: str) -> devstack.Child:
    return stack.spawn(name, [sys.executable, "-c", code])


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        temporal_address=f"127.0.0.1:{_free_port()}",
        temporal_ui_port=_free_port(),
        api_port=_free_port(),
    )


def test_binaries_are_found_in_the_venv() -> None:
    for path in (find_temporal_cli(), find_test_server()):
        assert Path(path).is_file()


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:7233", ("127.0.0.1", 7233)),
        ("[::1]:7000", ("::1", 7000)),
        (":7233", ("127.0.0.1", 7233)),
    ],
)
def test_split_address(address: str, expected: tuple[str, int]) -> None:
    assert devstack.split_address(address) == expected


def test_split_address_rejects_garbage() -> None:
    with pytest.raises(devstack.StackError, match="host:port"):
        devstack.split_address("localhost")


def test_busy_port_is_refused_with_its_name(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", settings.api_port))
        holder.listen()
        assert devstack.port_in_use("127.0.0.1", settings.api_port)
        with pytest.raises(devstack.StackError, match=f"API port {settings.api_port}"):
            devstack.check_ports_free(settings)
    devstack.check_ports_free(settings)


def test_dead_child_is_reported_with_its_last_lines(tmp_path: Path) -> None:
    stack = devstack.Stack(_settings(tmp_path), tmp_path)
    child = _spawn(stack, "worker", "print('boom: no such workflow'); raise SystemExit(3)")
    child.proc.wait(timeout=10)
    with pytest.raises(devstack.StackError, match=r"(?s)worker exited with code 3.*boom"):
        stack.check_alive()
    stack.stop()


def test_stop_goes_in_reverse_start_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stack = devstack.Stack(_settings(tmp_path), tmp_path)
    for name in ("temporal", "worker", "api"):
        _spawn(stack, name, "import time; time.sleep(60)")
    stopped: list[str] = []
    real_stop = devstack.stop_child

    def recording_stop(child: devstack.Child, grace_s: float = 5) -> None:
        stopped.append(child.name)
        real_stop(child, grace_s)

    monkeypatch.setattr(devstack, "stop_child", recording_stop)
    stack.stop()
    assert stopped == ["api", "worker", "temporal"]
    assert stack.children == []


def test_stop_sends_sigterm_then_sigkill(tmp_path: Path) -> None:
    stack = devstack.Stack(_settings(tmp_path), tmp_path)
    polite = _spawn(stack, "polite", "import time; time.sleep(60)")
    stubborn = _spawn(
        stack,
        "stubborn",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)",
    )
    deadline = time.monotonic() + 10
    while "ready" not in stubborn.log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    devstack.stop_child(stubborn, grace_s=0.5)
    assert stubborn.proc.returncode == -signal.SIGKILL
    devstack.stop_child(polite, grace_s=5)
    assert polite.proc.returncode == -signal.SIGTERM


def _start_temporal(stack: devstack.Stack, data_dir: Path) -> devstack.Child:
    settings = stack.settings
    temporal = stack.spawn("temporal", devstack.temporal_argv(settings, data_dir))
    devstack.wait_until(stack, temporal, lambda: devstack.temporal_ready(settings), 60)
    return temporal


async def _start_workflow(settings: Settings, workflow_id: str) -> None:
    client = await Client.connect(settings.temporal_address)
    await client.start_workflow("NoSuchWorkflow", id=workflow_id, task_queue="devstack-test")


async def _workflow_status(settings: Settings, workflow_id: str) -> WorkflowExecutionStatus | None:
    client = await Client.connect(settings.temporal_address)
    return (await client.get_workflow_handle(workflow_id).describe()).status


def test_temporal_dev_server_keeps_workflows_across_restarts(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    stack = devstack.Stack(settings, tmp_path)
    try:
        _start_temporal(stack, tmp_path)
        asyncio.run(_start_workflow(settings, "devstack-persisted"))
        stack.stop()
        host, port = devstack.split_address(settings.temporal_address)
        assert not devstack.tcp_open(host, port)
        _start_temporal(stack, tmp_path)
        status = asyncio.run(_workflow_status(settings, "devstack-persisted"))
        assert status == WorkflowExecutionStatus.RUNNING
    finally:
        stack.stop()


def test_missing_worker_file_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(devstack, "ROOT", tmp_path)
    with pytest.raises(devstack.StackError, match="worker.py is missing"):
        devstack.worker_argv()


def test_entry_point_refuses_busy_port_and_exits_non_zero(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    env = {
        "MERITFLOW_DATA_DIR": str(tmp_path),
        "MERITFLOW_API_PORT": str(settings.api_port),
        "MERITFLOW_TEMPORAL_ADDRESS": settings.temporal_address,
        "MERITFLOW_TEMPORAL_UI_PORT": str(settings.temporal_ui_port),
    }
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", settings.api_port))
        holder.listen()
        result = subprocess.run(
            [sys.executable, "-m", "cli.devstack"],
            cwd=ROOT,
            env={**devstack.child_env(), **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert "already in use" in result.stderr
    assert not (tmp_path / "logs" / "temporal.log").exists()

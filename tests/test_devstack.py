"""The `make run` supervisor: port checks, child shutdown and restarts, logs that survive them, and
the real Temporal dev server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from cli import devstack
from infra.processes import Backoff, rotate
from infra.settings import ROOT, Settings
from infra.temporal_bin import find_temporal_cli, find_test_server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn(stack: devstack.Stack, name: str, code: str) -> devstack.Child:
    return stack.spawn(name, [sys.executable, "-c", code])


def _wait_exit(child: devstack.Child) -> None:
    assert child.proc is not None
    child.proc.wait(timeout=30)


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        temporal_address=f"127.0.0.1:{_free_port()}",
        temporal_ui_port=_free_port(),
        api_port=_free_port(),
    )


def test_the_banner_names_both_task_queues(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    said = devstack.banner(settings, tmp_path)
    assert f"{settings.task_queue}, {settings.period_queue} (promotion periods)" in said
    assert settings.period_queue == "meritflow-periods"


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
    _wait_exit(child)
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
    assert stubborn.proc is not None and stubborn.proc.returncode == -signal.SIGKILL
    devstack.stop_child(polite, grace_s=5)
    assert polite.proc is not None and polite.proc.returncode == -signal.SIGTERM


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


def test_a_dead_child_is_restarted_alone_and_its_log_kept(tmp_path: Path) -> None:
    stack = devstack.Stack(_settings(tmp_path), tmp_path, backoff_initial_s=0.0)
    try:
        api = _spawn(stack, "api", "import time; time.sleep(120)")
        worker = _spawn(stack, "worker", "print('worker run', flush=True); raise SystemExit(3)")
        api_pid = api.pid
        _wait_exit(worker)
        stack.tend()  # found dead: announced, restart scheduled (backoff 0 s)
        assert worker.starts == 1
        stack.tend()  # due: started again
        assert worker.starts == 2
        _wait_exit(worker)
        assert api.alive() and api.pid == api_pid  # the rest of the stack kept running
        log = worker.log_path.read_text()
        assert log.count("worker run") == 2, log  # appended, not truncated
        assert "start 2" in log and "after exit code 3" in log, log
        said = (tmp_path / "devstack.log").read_text()
        assert "worker" in said and "exited with code 3" in said and "restarted" in said, said
    finally:
        stack.stop()


def test_restarts_back_off_and_start_over_after_a_healthy_run() -> None:
    policy = Backoff(initial_s=1.0, max_s=30.0, healthy_after_s=60.0)
    assert [policy.delay(ran_for_s=0.5) for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert policy.delay(ran_for_s=3600.0) == 1  # it ran for an hour: a fresh start


def test_the_restart_waits_for_its_backoff(tmp_path: Path) -> None:
    stack = devstack.Stack(_settings(tmp_path), tmp_path, backoff_initial_s=3600.0)
    try:
        worker = _spawn(stack, "worker", "raise SystemExit(1)")
        _wait_exit(worker)
        stack.tend()
        stack.tend()
        assert worker.starts == 1  # an hour to go
        stack.tend(now=time.monotonic() + 3601)
        assert worker.starts == 2
    finally:
        stack.stop()


def test_logs_rotate_instead_of_being_emptied(tmp_path: Path) -> None:
    log = tmp_path / "api.log"
    log.write_text("the traceback of run 1\n" * 100)
    assert rotate(log, max_bytes=1000, keep=2)
    assert not log.exists()
    assert "run 1" in (tmp_path / "api.log.1").read_text()
    log.write_text("run 2\n" * 500)
    assert rotate(log, max_bytes=1000, keep=2)
    assert "run 1" in (tmp_path / "api.log.2").read_text()
    assert "run 2" in (tmp_path / "api.log.1").read_text()
    assert not rotate(log, max_bytes=1000)  # nothing there to rotate


def _children_of(pid: int) -> dict[int, str]:
    """Processes whose parent is ``pid``, with their command lines (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found[int(entry.name)] = cmdline
    return found


def _wait_for_line(lines: list[str], proc: subprocess.Popen[str], needle: str) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if needle in line:
            return
    raise AssertionError(f"{needle!r} never said; the supervisor said:\n{''.join(lines)}")


@pytest.mark.timeout(240)
def test_make_run_restarts_a_killed_worker_and_keeps_the_rest(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    env = {
        **devstack.child_env(),
        "MERITFLOW_DATA_DIR": str(tmp_path),
        "MERITFLOW_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'meritflow.db'}",
        "MERITFLOW_API_PORT": str(settings.api_port),
        "MERITFLOW_TEMPORAL_ADDRESS": settings.temporal_address,
        "MERITFLOW_TEMPORAL_UI_PORT": str(settings.temporal_ui_port),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.devstack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        _wait_for_line(lines, proc, "Meritflow is running")
        children = _children_of(proc.pid)
        (worker,) = [pid for pid, cmd in children.items() if "worker.py" in cmd]
        (api,) = [pid for pid, cmd in children.items() if "uvicorn" in cmd]
        os.killpg(worker, signal.SIGKILL)
        _wait_for_line(lines, proc, "worker restarted")
        assert proc.poll() is None, "".join(lines)  # the supervisor did not stop the stack
        assert api in _children_of(proc.pid)  # the API kept running, the same process
        assert devstack.api_ready(settings)
        log = (tmp_path / "logs" / "worker.log").read_text()
        assert "worker start 1" in log and "worker start 2" in log, log
        said = (tmp_path / "logs" / "devstack.log").read_text()
        assert "exited with code -9" in said, said
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert proc.returncode == 0

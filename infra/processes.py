"""Child processes that can be started, killed and started again: the dev stack, benchmarks and the
fault tests all run the real components this way.

Each child leads its own session (a Ctrl-C meant for the parent reaches only the parent, which then
stops the children in order) and appends to ``<log_dir>/<name>.log``: a restart adds to the log
instead of emptying it, so the traceback of the run that died is still there. A log over
``LOG_MAX_BYTES`` is rotated when its child starts (``api.log`` -> ``api.log.1`` -> ... up to
``LOG_KEEP`` old files), never truncated.

:class:`Backoff` is the restart policy of a supervisor (``cli/devstack.py``): the first restart at
once-ish, each quick crash after that waits twice as long, up to a cap; a child that ran for a while
before dying starts the count again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from infra.settings import ROOT

STOP_GRACE_S = 10.0
TAIL_LINES = 25
LOG_MAX_BYTES = 10 * 1024 * 1024
LOG_KEEP = 5


@dataclass
class Backoff:
    """Delay before restarting a child that died, by how long it had run."""

    initial_s: float = 1.0
    max_s: float = 30.0
    healthy_after_s: float = 60.0
    failures: int = 0

    def delay(self, ran_for_s: float) -> float:
        if ran_for_s >= self.healthy_after_s:
            self.failures = 0
        delay = min(self.max_s, self.initial_s * 2.0**self.failures)
        self.failures += 1
        return delay


def rotate(path: Path, *, max_bytes: int = LOG_MAX_BYTES, keep: int = LOG_KEEP) -> bool:
    """Move ``path`` to ``path.1`` (and older ones one further, the oldest dropped) when it is over
    ``max_bytes``; whether it did."""
    try:
        if path.stat().st_size <= max_bytes:
            return False
    except FileNotFoundError:
        return False
    for n in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{n + 1}"))
    path.replace(path.with_name(f"{path.name}.1"))
    return True


@dataclass
class Service:
    """One child process by name; ``start`` again after it died or was killed."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_dir: Path
    cwd: Path = ROOT
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    started_at: float = 0.0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self, reason: str = "") -> None:
        """Start it (again); ``reason`` goes into the log's start line (why it was restarted)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        rotate(self.log_path)
        self.starts += 1
        self.started_at = time.monotonic()
        with self.log_path.open("ab") as log:
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            why = f" ({reason})" if reason else ""
            log.write(f"\n=== {self.name} start {self.starts} at {stamp}{why} ===\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def exit_code(self) -> int | None:
        """None while it runs (or before it started)."""
        return self.proc.poll() if self.proc is not None else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send ``sig`` to its whole process group and, for SIGKILL, wait for it to be gone."""
        if self.proc is None or self.proc.poll() is not None:
            return
        _signal_group(self.proc, sig)
        if sig is signal.SIGKILL:
            self.proc.wait()

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM, then SIGKILL after ``grace_s``."""
        if self.proc is None or self.proc.poll() is not None:
            return
        _signal_group(self.proc, signal.SIGTERM)
        try:
            self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = TAIL_LINES) -> str:
        return tail(self.log_path, lines)


@dataclass
class Services:
    """Children in start order; stopped in reverse order."""

    items: list[Service] = field(default_factory=list)

    def add(self, service: Service) -> Service:
        self.items.append(service)
        return service

    def __getitem__(self, name: str) -> Service:
        return next(s for s in self.items if s.name == name)

    def dead(self) -> list[Service]:
        return [s for s in self.items if s.proc is not None and not s.alive()]

    def stop_all(self) -> None:
        for service in reversed(self.items):
            service.stop()


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

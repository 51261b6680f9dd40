"""Memory of a benchmark's worker processes from /proc: peak (VmHWM) and its course (VmRSS)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bench._stack import Stack

RSS_SAMPLE_S = 1.0


def memory(stack: Stack) -> dict[str, float | None]:
    """Peak resident set (VmHWM, MiB) of each worker subprocess so far."""
    out: dict[str, float | None] = {}
    for child in stack.children:
        if child.name.endswith("worker"):
            out[child.name] = vm_mib(child.proc.pid)
    return out


def vm_mib(pid: int, field: str = "VmHWM") -> float | None:
    """A ``/proc/<pid>/status`` memory field in MiB (VmHWM: peak resident set; VmRSS: now)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class RssSampler:
    """VmRSS of the Meritflow worker every second while the period runs: its course, not its peak
    (the peak is VmHWM, which the kernel keeps exactly)."""

    def __init__(self, stack: Stack) -> None:
        self._pids = [c.proc.pid for c in stack.children if c.name == "meritflow-worker"]
        self.samples: list[tuple[float, float]] = []
        self._t0 = time.perf_counter()

    async def run(self) -> None:
        while True:
            for pid in self._pids:
                rss = vm_mib(pid, "VmRSS")
                if rss is not None:
                    self.samples.append((time.perf_counter() - self._t0, rss))
            await asyncio.sleep(RSS_SAMPLE_S)

    def summary(self) -> dict[str, Any]:
        if not self.samples:
            return {}
        values = [v for _, v in self.samples]
        step = max(len(self.samples) // 10, 1)
        return {
            "count": len(values),
            "first": values[0],
            "max": max(values),
            "last": values[-1],
            "course": [[round(t), v] for t, v in self.samples[::step]],
        }

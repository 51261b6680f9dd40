"""Measured phases, their summary numbers, and the plain-text table printed at the end."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from infra.temporal_bin import find_temporal_cli

ERROR_SAMPLES = 5
W = 48  # width of the first column
PHASES = (
    ("meritflow", "Meritflow approvals (HTTP API)"),
    ("bare", "bare Temporal updates"),
    ("reads", "GET /v1/promotions/{id}"),
)


@dataclass
class Phase:
    """One timed phase: the latency of every successful operation, every failure by kind, and the
    CPU seconds each process used meanwhile."""

    name: str
    latencies_s: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: dict[str, float] = field(default_factory=dict)
    # Latencies of the requests and waits an operation is made of, and counts of extra requests.
    parts: dict[str, list[float]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def fail(self, kind: str, sample: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < ERROR_SAMPLES:
            self.samples.append(sample)

    def absorb(self, part: Phase) -> None:
        """Add a slice timed apart (one turn of several) to this phase: its operations, failures,
        wall time and CPU seconds count as if timed in one go."""
        self.latencies_s += part.latencies_s
        self.errors.update(part.errors)
        self.samples += part.samples[: max(ERROR_SAMPLES - len(self.samples), 0)]
        self.wall_s += part.wall_s
        for name, seconds in part.cpu_s.items():
            self.cpu_s[name] = self.cpu_s.get(name, 0.0) + seconds
        for name, xs in part.parts.items():
            self.parts.setdefault(name, []).extend(xs)
        self.counts.update(part.counts)

    @property
    def ok(self) -> int:
        return len(self.latencies_s)

    @property
    def per_s(self) -> float:
        return self.ok / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "operations_ok": self.ok,
            "operations_failed": sum(self.errors.values()),
            "wall_s": round(self.wall_s, 3),
            "per_s": round(self.per_s, 2),
            "p50_ms": _ms(percentile(self.latencies_s, 0.50)),
            "p95_ms": _ms(percentile(self.latencies_s, 0.95)),
            "p99_ms": _ms(percentile(self.latencies_s, 0.99)),
            "mean_ms": _ms(sum(self.latencies_s) / self.ok if self.ok else None),
            "max_ms": _ms(max(self.latencies_s, default=None)),
            "parts": {
                name: {
                    "count": len(xs),
                    "p50_ms": _ms(percentile(xs, 0.50)),
                    "p99_ms": _ms(percentile(xs, 0.99)),
                }
                for name, xs in self.parts.items()
            },
            "counts": dict(self.counts),
            "cpu_s": {k: round(v, 2) for k, v in self.cpu_s.items()},
            "errors": dict(self.errors),
            "error_samples": list(self.samples),
        }


def percentile(values: list[float], q: float) -> float | None:
    """Nearest rank: the smallest value with at least a share ``q`` of all values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def _cell(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _cpu_line(s: dict[str, Any], nproc: int) -> str:
    cpu = dict(s["cpu_s"])
    machine, iowait = cpu.pop("machine busy", None), cpu.pop("machine iowait", None)
    ours = sum(cpu.values())
    line = ", ".join(f"{name} {sec:.1f}" for name, sec in cpu.items())
    line += f" = {ours:.1f}"
    if machine is not None:
        line += f"; machine busy {machine:.1f} (other processes {max(machine - ours, 0):.1f})"
    if iowait is not None:
        line += f", iowait {iowait:.1f}"
    return f"{line}; capacity {s['wall_s'] * nproc:.1f}"


def render(result: dict[str, Any]) -> str:
    m, p = result["machine"], result["parameters"]
    lines = [
        "Meritflow: promotion approvals through the HTTP API vs bare Temporal updates",
        f"machine     : {m['nproc']} CPUs (nproc), {m['platform']}, Python {m['python']}, "
        f"load average {m['loadavg_1m_at_start']} at start",
        f"software    : temporalio {m['temporalio']}, {m['temporal_cli']}, uvicorn {m['uvicorn']}",
        f"parameters  : N={p['promotions']} promotions x {p['steps']} approvals = "
        f"{p['decisions']}, concurrency {p['concurrency']}, {p['reads']} reads, "
        f"Temporal state in {p['temporal_db']}, database {p.get('database')}, "
        f"{'deployment ' + str(p['deployment']) + ', ' if p.get('deployment') else ''}"
        f"BKN step as {p['bkn_step']}, "
        f"poll {p['poll_ms']} ms, settle {p['settle_ms']} ms, "
        f"request timeout {p['request_timeout_s']:.0f} s",
        f"measured    : {result['method']}",
        "",
        f"{'phase':<{W}}{'ok':>6}{'failed':>8}{'wall s':>9}{'ops/s':>9}{'p50 ms':>9}"
        f"{'p95 ms':>9}{'p99 ms':>9}",
    ]
    scaled = [(f"meritflow {k} workers + APIs", v) for k, v in result.get("scale", {}).items()]
    for label, s in [(label, result[key]) for key, label in PHASES] + scaled:
        lines.append(
            f"{label:<{W}}{s['operations_ok']:>6}{s['operations_failed']:>8}{s['wall_s']:>9.2f}"
            f"{s['per_s']:>9.1f}{_cell(s['p50_ms'], '.1f'):>9}{_cell(s.get('p95_ms'), '.1f'):>9}"
            f"{_cell(s['p99_ms'], '.1f'):>9}"
        )
        for name, part in s["parts"].items():
            lines.append(
                f"  {name:<{W - 2}}{part['count']:>6}{'':>35}"
                f"{_cell(part['p50_ms'], '.1f'):>9}{_cell(part['p99_ms'], '.1f'):>9}"
            )
        lines += [f"  ({name}: {count})" for name, count in s["counts"].items()]
    ratio = result["ratio_meritflow_over_bare"]
    faster = f"  (bare Temporal: {1 / ratio:.1f}x the approvals/s)" if ratio else ""
    lines += ["", f"ratio Meritflow / bare (approvals/s): {_cell(ratio, '.3f')}{faster}"]
    cpu = result.get("cpu_ms_per_approval") or {}
    lines.append(
        f"CPU per approval: Meritflow {_cell(cpu.get('meritflow'), '.1f')} ms "
        f"({' + '.join(cpu.get('meritflow_processes', []))}), bare "
        f"{_cell(cpu.get('bare'), '.1f')} ms ({' + '.join(cpu.get('bare_processes', []))})"
    )
    for side, h in (result.get("health") or {}).items():
        lines.append(
            f"Temporal server, {side}: {h['workflows']} workflows ({h['absent']} absent), "
            f"{h['workflow_task_timeouts']} workflow task timeouts "
            f"({h.get('of_which_sticky_schedule_to_start', 0)} sticky schedule-to-start), "
            f"{h['workflow_task_failures']} failures, {h['stuck']} stuck {h['stuck_ids']}"
        )
    for key, s in result.get("scale", {}).items():
        h = s["health"]
        lines.append(
            f"{key}: {s['completed']} completed, {s['cpu_ms_per_approval']} ms CPU per approval, "
            f"requests per API {s['requests_per_api']}, {h['workflow_task_timeouts']} workflow "
            f"task timeouts, {h['stuck']} stuck"
        )
    checks = result["checks"]
    lines.append(
        f"completed after the run: {checks['meritflow_completed']}/{p['promotions']} promotions, "
        f"{checks['bare_completed']}/{p['promotions']} bare workflows"
    )
    lines += ["", f"CPU seconds during each phase (capacity = wall s x {m['nproc']} CPUs):"]
    for key, label in PHASES:
        lines.append(f"  {label}: {_cpu_line(result[key], m['nproc'] or 1)}")
    lines += [f"warm-up error: {e}" for e in result.get("warm_up_errors", [])]
    for key, _ in PHASES:
        for kind, count in result[key]["errors"].items():
            lines.append(f"{key} error x{count}: {kind}")
        lines += [f"  e.g. {sample}" for sample in result[key]["error_samples"]]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    try:
        cli = subprocess.run(
            [find_temporal_cli(), "--version"], capture_output=True, text=True, timeout=30
        )
        temporal_cli = cli.stdout.strip() or "temporal CLI (version unknown)"
    except (OSError, subprocess.SubprocessError):
        temporal_cli = "temporal CLI (version unknown)"
    return {
        "nproc": os.cpu_count(),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "temporalio": version("temporalio"),
        "uvicorn": version("uvicorn"),
        "temporal_cli": temporal_cli,
    }

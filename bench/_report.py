"""Measured phases, their summary numbers, and the plain-text table printed at the end."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

ERROR_SAMPLES = 5


@dataclass
class Phase:
    """One timed phase: the latency of every successful operation, every failure by kind."""

    name: str
    latencies_s: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def fail(self, kind: str, sample: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < ERROR_SAMPLES:
            self.samples.append(sample)

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
            "p99_ms": _ms(percentile(self.latencies_s, 0.99)),
            "mean_ms": _ms(sum(self.latencies_s) / self.ok if self.ok else None),
            "max_ms": _ms(max(self.latencies_s, default=None)),
            "errors": dict(self.errors),
            "error_samples": list(self.samples),
        }


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with a share ``q`` of all values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def _cell(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def render(result: dict[str, Any]) -> str:
    m, p = result["machine"], result["parameters"]
    lines = [
        "Meritflow — promotion approval decisions vs bare Temporal updates",
        f"machine     : {m['nproc']} CPUs (nproc), {m['platform']}, Python {m['python']}",
        f"software    : temporalio {m['temporalio']}, {m['temporal_cli']}, uvicorn {m['uvicorn']}",
        f"parameters  : N={p['promotions']} promotions x {p['steps']} approvals = "
        f"{p['decisions']} decisions, concurrency {p['concurrency']}, {p['reads']} reads",
        f"measured    : {result['method']}",
        "",
        f"{'phase':<34}{'ok':>7}{'failed':>8}{'wall s':>9}{'ops/s':>9}{'p50 ms':>9}{'p99 ms':>9}",
    ]
    for key, label in (
        ("meritflow", "Meritflow decisions (HTTP API)"),
        ("bare", "bare Temporal updates"),
        ("reads", "GET /v1/promotions/{id}"),
    ):
        s = result[key]
        lines.append(
            f"{label:<34}{s['operations_ok']:>7}{s['operations_failed']:>8}{s['wall_s']:>9.2f}"
            f"{s['per_s']:>9.1f}{_cell(s['p50_ms'], '.1f'):>9}{_cell(s['p99_ms'], '.1f'):>9}"
        )
    ratio = result["ratio_meritflow_over_bare"]
    lines += [
        "",
        f"ratio Meritflow / bare (decisions/s): {_cell(ratio, '.3f')}"
        + (f"  (bare Temporal is {1 / ratio:.1f}x faster)" if ratio else ""),
    ]
    checks = result["checks"]
    lines.append(
        f"completed after the run: {checks['meritflow_completed']}/{p['promotions']} promotions, "
        f"{checks['bare_completed']}/{p['promotions']} bare workflows"
    )
    for key in ("meritflow", "bare", "reads"):
        for kind, count in result[key]["errors"].items():
            lines.append(f"  {key} error x{count}: {kind}")
        for sample in result[key]["error_samples"]:
            lines.append(f"    e.g. {sample}")
    return "\n".join(lines)

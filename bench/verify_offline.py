"""The offline verifier on a large export: previous sequential checks, sequential, and parallel.

Generates an export of ``--entries`` lines (default 1,000,000) and its signed checkpoints in a
temporary directory (bench/_verify_data.py), then times ``python -m cli.verify`` on it three ways,
each in a process of its own:

- ``previous``: one process, the plain checks (``integrity.verify_entries.check_entries``: json per
  line, the hashes through the standard library's encoder, the roots leaf by leaf), which is what
  the verifier ran before its fast line checks and still runs for CSV;
- ``sequential``: ``--workers 1`` (the fast line checks, in one process);
- ``parallel``: ``--workers N`` (default: one per CPU).

    python -m bench.verify_offline [--entries 1000000] [--workers 2]

Prints JSON: entries/s on the wall clock, CPU seconds (children included), the load average
before and after each run, and whether every run printed the same verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._verify_data import write_export

ROOT = Path(__file__).resolve().parent.parent


def _previous(argv: list[str]) -> int:
    """cli.verify through the plain checks, as it reads a CSV export (for the comparison only)."""
    from cli import verify

    verify._is_jsonl = lambda path: False  # noqa: ARG005
    return verify.main([*argv, "--workers", "1"])


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def timed(args: list[str], entries: int) -> dict[str, Any]:
    before, load_before = resource.getrusage(resource.RUSAGE_CHILDREN), _load()
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "exit": proc.returncode,
        "verdict": (proc.stdout or proc.stderr).strip()[:300],
        "wall_s": round(wall, 2),
        "entries_per_s": round(entries / wall),
        "cpu_s": round(cpu, 2),
        "entries_per_cpu_s": round(entries / cpu) if cpu else None,
        "load_before": load_before,
        "load_after": _load(),
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["--run-previous"]:
        return _previous(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-previous", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        export, checkpoints, key = write_export(Path(tmp), args.entries)
        common = ["--export", str(export), "--checkpoints", str(checkpoints), "--public-key", key]
        result: dict[str, Any] = {
            "entries": args.entries,
            "export_bytes": export.stat().st_size,
            "generated_s": round(time.perf_counter() - start, 1),
            "cpus": os.cpu_count(),
        }
        if not args.skip_previous:
            result["previous"] = timed(
                ["bench.verify_offline", "--run-previous", *common], args.entries
            )
        result["sequential"] = timed(["cli.verify", *common, "--workers", "1"], args.entries)
        result["parallel"] = timed(
            ["cli.verify", *common, "--workers", str(args.workers)], args.entries
        )
        result["workers"] = args.workers
    verdicts = {r["verdict"] for k, r in result.items() if isinstance(r, dict)}
    result["same_verdict"] = len(verdicts) == 1
    print(json.dumps(result, indent=2))  # noqa: T201 - the bench's output
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

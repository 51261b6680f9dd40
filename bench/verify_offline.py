"""The offline verifier on a large export: previous sequential checks, sequential, and parallel.

Generates an export of ``--entries`` lines (default 1,000,000) and its signed checkpoints in a
temporary directory (bench/_verify_data.py), in two file orders: "leaf order" (lines in Merkle leaf
order, as generated) and "process order" (the same lines by process, then seq: the server's export
order, where the leaves are out of file order). Then it times ``python -m cli.verify`` on each order
(``--order``) three ways, each in a process of its own, ``--repeat`` times by turns:

- ``previous``: one process, the plain checks (``integrity.verify_entries.check_entries``: json per
  line, the hashes through the standard library's encoder, the roots leaf by leaf), which is what
  the verifier ran before its fast line checks and still runs for CSV;
- ``sequential``: ``--workers 1`` (the fast line checks, in one process);
- ``parallel``: ``--workers N`` (default: one per CPU).

    python -m bench.verify_offline [--entries 1000000] [--workers 2] [--order leaf|process|both]
        [--repeat 1] [--skip-previous]

Prints JSON: per order and way, each run's entries/s on the wall clock, CPU seconds (children
included) and the load average before and after it, the median run's entries/s; and whether every
run printed the same verdict. ``previous`` is timed on the leaf order only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._verify_data import by_process, write_export

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


def _ways(common: list[str], workers: int, previous: bool) -> dict[str, list[str]]:
    ways = {"previous": ["bench.verify_offline", "--run-previous", *common]} if previous else {}
    ways["sequential"] = ["cli.verify", *common, "--workers", "1"]
    ways["parallel"] = ["cli.verify", *common, "--workers", str(workers)]
    return ways


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"median_entries_per_s": round(statistics.median(r["entries_per_s"] for r in runs))}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--run-previous"]:
        return _previous(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--order", choices=["leaf", "process", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-previous", action="store_true")
    args = parser.parse_args(argv)
    orders = ["leaf", "process"] if args.order == "both" else [args.order]
    result: dict[str, Any] = {"entries": args.entries, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        export, checkpoints, key = write_export(Path(tmp), args.entries)
        files = {"leaf": export}
        if "process" in orders:
            files["process"] = by_process(export, Path(tmp) / "by-process.jsonl")
        result["export_bytes"] = export.stat().st_size
        result["generated_s"] = round(time.perf_counter() - start, 1)
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {order: {} for order in orders}
        for _ in range(args.repeat):
            for order in orders:
                common = ["--export", str(files[order]), "--checkpoints", str(checkpoints)]
                common += ["--public-key", key]
                previous = order == "leaf" and not args.skip_previous
                for way, command in _ways(common, args.workers, previous).items():
                    runs[order].setdefault(way, []).append(timed(command, args.entries))
    for order, ways in runs.items():
        result[f"{order} order"] = {way: {**_summary(r), "runs": r} for way, r in ways.items()}
    result["workers"] = args.workers
    verdicts = {r["verdict"] for ways in runs.values() for rs in ways.values() for r in rs}
    result["same_verdict"] = len(verdicts) == 1
    print(json.dumps(result, indent=2))  # noqa: T201 - the bench's output
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""``make bench``: every benchmark in one run, then one table of issue 15's targets.

    python -m bench.suite [--postgres [URL]] [--only decisions,ledger,period,console,...]
    python -m bench.suite --deployment http://host:8000 [--deployment ...] --temporal host:7233

Each benchmark runs as its own process (``python -m bench.<name>``, its table printed as it
comes) and writes its JSON to ``data/bench/``; this process reads them and prints the summary,
with the load average at the start and the end (the machine may be shared: say so beside every
number). The comparisons are each made on one Temporal server in one run: the approvals against
bare Temporal updates (bench/promotion_decisions.py, also 1 + 1 against 2 + 2 processes with
``--postgres``), the period of ``--employees`` against bare client starts
(bench/promotion_period.py). Ledger appends/s at the durable setting come from
``bench/ledger_appends.py`` when that module exists (another branch writes it); until then the
summary says it was not measured.

``--postgres`` runs the benchmarks that have a Meritflow database of their own on a fresh
database of the PostgreSQL server instead of SQLite. ``--deployment BASE_URL --temporal
HOST:PORT`` drives a running deployment for the approvals (repeat ``--deployment`` for several
API processes); the period needs the database and is skipped there.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._suite_report import render_summary, summary
from infra.settings import ROOT

DATA = ROOT / "data" / "bench"
STEPS = ("decisions", "ledger", "period", "console", "selection", "audit", "talent")
MODULES = {
    "decisions": "bench.promotion_decisions",
    "ledger": "bench.ledger_appends",
    "period": "bench.promotion_period",
    "console": "bench.console_pages",
    "selection": "bench.selection_scale",
    "audit": "bench.audit_ledger",
    "talent": "bench.talent_scale",
}
# Bare client starts of the period comparison: a rate, measured over fewer starts to save time.
BARE_STARTS = 2000


def _argv(step: str, args: argparse.Namespace, output: Path) -> list[str] | None:
    """The command of one step, or None when it cannot run in this mode."""
    py = [sys.executable, "-m", MODULES[step]]
    pg = ["--postgres", args.postgres] if args.postgres else []
    if step == "decisions":
        if args.deployment:
            deploy = [x for url in args.deployment for x in ("--deployment", url)]
            secret = ["--jwt-secret", args.jwt_secret] if args.jwt_secret else []
            return [*py, *deploy, "--temporal", args.temporal, *secret, "--output", str(output)]
        return [*py, *pg, "--output", str(output)]
    if step == "ledger":
        if not (ROOT / "bench" / "ledger_appends.py").exists():
            return None
        return [*py, *_ledger_flags(args), "--output", str(output)]
    if step == "period":
        if args.deployment:
            return None
        bare = str(min(args.employees, BARE_STARTS))
        return [
            *py,
            *pg,
            "--employees",
            str(args.employees),
            "--bare",
            bare,
            "--output",
            str(output),
        ]
    if step == "console":
        return [*py, "--output", str(output)]
    return py  # the others keep their own defaults and outputs


def _ledger_flags(args: argparse.Namespace) -> list[str]:
    """The hook for bench/ledger_appends.py: 20 writers at the durable setting (its defaults);
    ``--postgres`` is passed on only if the module says it takes it."""
    source = (ROOT / "bench" / "ledger_appends.py").read_text(encoding="utf-8")
    return ["--postgres", args.postgres] if args.postgres and "--postgres" in source else []


def _suffix(args: argparse.Namespace) -> str:
    return "-deployment" if args.deployment else ("-postgres" if args.postgres else "")


def _output(step: str, args: argparse.Namespace) -> Path:
    suffix = _suffix(args)
    names = {"decisions": "promotion_decisions", "ledger": "ledger_appends",
             "period": "promotion_period", "console": "console_pages"}  # fmt: skip
    return DATA / f"{names.get(step, step)}{suffix}.json"


def run(args: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    load_start = [round(x, 2) for x in os.getloadavg()]
    results: dict[str, Any] = {}
    failed: list[str] = []
    for step in args.only:
        output = _output(step, args)
        argv = _argv(step, args, output)
        if argv is None:
            sys.stderr.write(f"\n=== {step}: not run in this mode (see bench/suite.py)\n")
            results[step] = None
            continue
        sys.stderr.write(f"\n=== {step}: {' '.join(argv[1:])}  (load {os.getloadavg()[0]:.2f})\n")
        sys.stderr.flush()
        t0 = time.perf_counter()
        code = subprocess.run(argv, cwd=ROOT, check=False).returncode
        wall = round(time.perf_counter() - t0, 1)
        if code != 0:
            failed.append(f"{step} (exit {code})")
        results[step] = _read(output) if step in ("decisions", "ledger", "period") else None
        sys.stderr.write(f"=== {step}: {wall} s, exit {code}\n")
    load_end = [round(x, 2) for x in os.getloadavg()]
    out = summary(results, args, started, load_start, load_end, failed)
    print(render_summary(out))
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"suite{_suffix(args)}.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON: {path}")
    return 1 if failed else 0


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.suite", description=__doc__)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        default=None,
        metavar="URL",
        help="Meritflow's databases on this PostgreSQL server instead of SQLite",
    )
    parser.add_argument("--deployment", action="append", default=[], metavar="BASE_URL")
    parser.add_argument("--temporal", metavar="HOST:PORT", help="the deployment's Temporal")
    parser.add_argument("--jwt-secret", help="the deployment's token secret (or env)")
    parser.add_argument("--employees", type=int, default=10_000, help="the period's size")
    parser.add_argument(
        "--only", default=",".join(STEPS), help=f"steps, comma-separated, of {','.join(STEPS)}"
    )
    args = parser.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.only if s not in STEPS]
    if unknown:
        parser.error(f"unknown steps {unknown}; known: {', '.join(STEPS)}")
    if args.deployment and not args.temporal:
        parser.error("--deployment needs --temporal HOST:PORT")
    return args


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

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
``bench/ledger_appends.py``.

``--postgres`` runs ``--postgres-steps`` (default: the approvals, with 1 + 1 against 2 + 2
processes, and the ledger appends) once more after the SQLite runs, on a fresh database of the
PostgreSQL server; the summary shows both. ``--deployment BASE_URL --temporal
HOST:PORT`` drives a running deployment for the approvals (repeat ``--deployment`` for several
API processes); the period needs the database and is skipped there.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
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


def _argv(
    step: str, args: argparse.Namespace, output: Path, postgres: str | None
) -> list[str] | None:
    """The command of one step (on ``postgres`` if given), or None when it cannot run here."""
    py = [sys.executable, "-m", MODULES[step]]
    pg = ["--postgres", postgres] if postgres else []
    if step == "decisions":
        if args.deployment:
            deploy = [x for url in args.deployment for x in ("--deployment", url)]
            secret = ["--jwt-secret", args.jwt_secret] if args.jwt_secret else []
            return [*py, *deploy, "--temporal", args.temporal, *secret, "--output", str(output)]
        return [*py, *pg, "--output", str(output)]
    if step == "ledger":
        return [*py, *_ledger_flags(postgres)]  # it prints its JSON (saved to ``output`` here)
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


def _ledger_flags(postgres: str | None) -> list[str]:
    """The hook for bench/ledger_appends.py: 20 writers at the durable setting (its defaults),
    ``--postgres`` (a switch: the server at 127.0.0.1:5432) passed on if the module takes it."""
    source = (ROOT / "bench" / "ledger_appends.py").read_text(encoding="utf-8")
    return ["--postgres"] if postgres and '"--postgres"' in source else []


def _suffix(args: argparse.Namespace, postgres: str | None = None) -> str:
    return "-deployment" if args.deployment else ("-postgres" if postgres else "")


def _output(step: str, args: argparse.Namespace, postgres: str | None) -> Path:
    suffix = _suffix(args, postgres)
    names = {"decisions": "promotion_decisions", "ledger": "ledger_appends",
             "period": "promotion_period", "console": "console_pages"}  # fmt: skip
    return DATA / f"{names.get(step, step)}{suffix}.json"


def _run_step(argv: list[str]) -> int:
    """One benchmark process; a SIGTERM to the suite stops it (it then stops what it started)."""
    child = subprocess.Popen(argv, cwd=ROOT)

    def stop(signum: int, _frame: object) -> None:
        child.terminate()
        child.wait()
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return child.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    load_start = [round(x, 2) for x in os.getloadavg()]
    results: dict[str, Any] = {}
    failed: list[str] = []
    runs = [(step, None) for step in args.only]
    if args.postgres and not args.deployment:
        # After the SQLite runs: the same steps on PostgreSQL (decisions: 1 + 1 against 2 + 2).
        runs += [(step, args.postgres) for step in args.only if step in args.postgres_steps]
    for step, postgres in runs:
        key = f"{step}@postgres" if postgres else step
        output = _output(step, args, postgres)
        argv = _argv(step, args, output, postgres)
        if argv is None:
            why = "needs the deployment's database: not run with --deployment"
            sys.stderr.write(f"\n=== {key}: {why}\n")
            results[key] = None
            continue
        sys.stderr.write(f"\n=== {key}: {' '.join(argv[1:])}  (load {os.getloadavg()[0]:.2f})\n")
        sys.stderr.flush()
        t0 = time.perf_counter()
        if step == "ledger":
            code = _run_printing_json(argv, output)
        else:
            code = _run_step(argv)
        wall = round(time.perf_counter() - t0, 1)
        if code != 0:
            failed.append(f"{key} (exit {code})")
        results[key] = (
            _read(output) if step in ("decisions", "ledger", "period", "console") else None
        )
        sys.stderr.write(f"=== {key}: {wall} s, exit {code}\n")
    load_end = [round(x, 2) for x in os.getloadavg()]
    out = summary(results, args, started, load_start, load_end, failed)
    print(render_summary(out))
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"suite{_suffix(args, args.postgres)}.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON: {path}")
    return 1 if failed else 0


def _run_printing_json(argv: list[str], output: Path) -> int:
    """Run a benchmark that prints its JSON on stdout; show it, and keep it in ``output``."""
    done = subprocess.run(argv, cwd=ROOT, check=False, stdout=subprocess.PIPE, text=True)
    sys.stdout.write(done.stdout)
    text = done.stdout
    start, end = text.find("{"), text.rfind("}")
    if start >= 0 and end > start:
        try:
            data = json.loads(text[start : end + 1])
        except ValueError:
            return done.returncode or 1
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return done.returncode


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
    parser.add_argument(
        "--postgres-steps",
        default="decisions,ledger",
        help="the steps run once more on PostgreSQL with --postgres (default decisions,ledger)",
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
    args.postgres_steps = [s.strip() for s in args.postgres_steps.split(",") if s.strip()]
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

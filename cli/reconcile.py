"""Reconcile a process's ledger with its Temporal history: ``python -m cli.reconcile <process_id>``.

Prints the report and exits 0 when the two agree, 1 when there is any difference (a history Temporal
no longer has counts as one), 2 when nothing could be compared (no such process in the ledger, a
kind of process reconciliation does not know, Temporal unreachable). The comparison is
``actions.history``; this module connects, prints and chooses the exit status. ``--json`` prints
the report as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from temporalio.service import RPCError

from actions.history import UnsupportedProcess, reconcile_process
from domain.reconcile import ReconciliationReport
from infra.db import create_engine, session_factory
from infra.settings import get_settings
from infra.temporal import connect


def render(report: ReconciliationReport) -> str:
    lines = [
        f"process {report.process_id}: "
        + ("ledger and history agree" if report.ok else f"{len(report.differences)} difference(s)"),
        f"runs: {', '.join(report.runs) or '-'}; ledger entries checked: "
        f"{report.entries_checked}; history events checked: {report.events_checked}",
    ]
    for d in report.differences:
        where = "".join(
            f" [{name} {value}]"
            for name, value in (("entry", d.entry_id), ("event", d.event_id))
            if value is not None
        )
        lines.append(f"- {d.kind}{where}: {d.detail}")
    return "\n".join(lines)


class TemporalUnavailable(RuntimeError):
    """Temporal could not be reached or asked; nothing was compared."""


async def _run(process_id: str) -> ReconciliationReport | None:
    settings = get_settings()
    engine = create_engine(settings.effective_database_url)
    try:
        try:
            client = await connect(settings)
        except RuntimeError as err:  # the SDK's connection failure
            raise TemporalUnavailable(
                f"cannot connect to {settings.temporal_address}: {err}"
            ) from err
        try:
            return await reconcile_process(session_factory(engine), client, process_id)
        except RPCError as err:
            raise TemporalUnavailable(
                f"Temporal refused the history request: {err.message}"
            ) from err
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli.reconcile", description=__doc__)
    parser.add_argument("process_id")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        report = asyncio.run(_run(args.process_id))
    except (UnsupportedProcess, TemporalUnavailable) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if report is None:
        print(f"error: the ledger has no process {args.process_id!r}", file=sys.stderr)
        return 2
    print(report.model_dump_json(indent=2) if args.json else render(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

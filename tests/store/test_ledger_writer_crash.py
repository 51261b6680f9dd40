"""A writer killed with SIGKILL loses no acknowledged entry and duplicates none.

The writer runs in a subprocess (tests/store/ledger_crash_child.py) that appends a fixed set of
entries and prints each acknowledgement as it comes. The test kills it three times, first between
two batches for certain, then twice wherever it happens to be (often inside a batch), and restarts
it each time; every run appends all the entries again, from the first. At the end every entry
acknowledged in any run is stored once, with the seq and hash it was acknowledged with, and every
chain verifies. Runs on SQLite and, with MERITFLOW_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store import ledger
from store.models import LedgerEntry
from tests.store import ledger_crash_child as child

ROOT = Path(__file__).resolve().parents[2]
Ack = tuple[int, str]


class Run:
    def __init__(self, url: str, mode: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.store.ledger_crash_child", url, mode],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.acks: dict[str, Ack] = {}

    def read_until(self, *, acks: int | None = None, waves: int | None = None) -> str:
        """Read acknowledgements until ``acks`` of them, ``waves`` wave marks, or the end."""
        assert self.proc.stdout is not None and self.proc.stdin is not None
        seen_waves = 0
        for line in self.proc.stdout:
            if line.strip() == "done":
                return "done"
            if line.strip() == "wave":
                seen_waves += 1
                if waves is not None and seen_waves >= waves:
                    return "wave"
                self.proc.stdin.write("\n")
                self.proc.stdin.flush()
                continue
            data = json.loads(line)
            self.acks[data["id"]] = (data["seq"], data["hash"])
            if acks is not None and len(self.acks) >= acks:
                return "acks"
        raise AssertionError(f"the writer ended early (exit {self.proc.wait()})")

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait() == -signal.SIGKILL
        self.close()

    def close(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


def merge(acked: dict[str, Ack], run: Run) -> None:
    """A run's acks agree with every earlier run's: a re-appended id gets the stored entry."""
    for entry_id, ack in run.acks.items():
        assert acked.setdefault(entry_id, ack) == ack, entry_id


async def test_sigkill_loses_and_duplicates_nothing(
    db_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    total = child.PROCESSES * child.PER_PROCESS
    acked: dict[str, Ack] = {}

    first = Run(db_url, "waves")
    assert first.read_until(waves=3) == "wave"  # the writer is idle between two batches
    first.kill()
    merge(acked, first)
    assert len(acked) == 3 * child.CALLERS

    for cut in (len(acked) + 45, len(acked) + 130):  # wherever the writer is at that moment
        run = Run(db_url, "stream")
        assert run.read_until(acks=cut) == "acks"
        run.kill()
        merge(acked, run)

    last = Run(db_url, "stream")
    assert last.read_until() == "done"
    assert last.proc.wait() == 0
    last.close()
    merge(acked, last)
    assert len(acked) == total

    async with sessions() as session:
        rows = (
            await session.execute(select(LedgerEntry.entry_id, LedgerEntry.seq, LedgerEntry.hash))
        ).all()
        assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == total
        for p in range(child.PROCESSES):
            result = await ledger.verify(session, f"promotion:crash-{p}")
            assert result.ok, result.problem
            assert result.entries == child.PER_PROCESS
    assert {eid: (seq, digest) for eid, seq, digest in rows} == acked

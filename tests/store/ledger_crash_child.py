"""The writer under a crash test (tests/store/test_ledger_writer_crash.py), run as a subprocess.

``python -m tests.store.ledger_crash_child URL MODE`` appends the same entries every time it runs
(ids and contents fixed), printing one JSON line per acknowledged entry (id, seq, hash) the moment
its caller is answered. MODE ``waves``: 20 appends at a time (one batch), then ``wave`` and a wait
for a line on stdin, so that the parent can kill it between batches for certain. MODE ``stream``:
20 callers appending without pause, so that a kill lands wherever the writer happens to be.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta

from domain.ledger import Actor, LedgerEntryIn
from infra.db import create_engine
from store.ledger_writer import Appended, LedgerWriter

PROCESSES = 5
PER_PROCESS = 60
CALLERS = 20
T0 = datetime(2025, 4, 1, 8, 0, tzinfo=UTC)


def entries() -> list[LedgerEntryIn]:
    """Round-robin over the processes, so every batch touches several chains."""
    out = []
    for n in range(1, PER_PROCESS + 1):
        for p in range(PROCESSES):
            process_id = f"promotion:crash-{p}"
            out.append(
                LedgerEntryIn(
                    entry_id=f"{process_id}:run-1:{n}",
                    process_id=process_id,
                    process_kind="promotion",
                    kind="promotion.decision",
                    outcome="accepted",
                    actor=Actor(id="198001012005011002", role="supervisor", agency="BKN"),
                    payload={"n": n},
                    occurred_at=T0 + timedelta(seconds=n),
                )
            )
    return out


def ack(appended: Appended) -> None:
    line = {"id": appended.entry_id, "seq": appended.seq, "hash": appended.hash}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


async def one(writer: LedgerWriter, entry: LedgerEntryIn) -> None:
    [appended] = await writer.append([entry], recorded_at=datetime.now(UTC))
    ack(appended)


async def waves(writer: LedgerWriter, todo: list[LedgerEntryIn]) -> None:
    for start in range(0, len(todo), CALLERS):
        await asyncio.gather(*(one(writer, e) for e in todo[start : start + CALLERS]))
        sys.stdout.write("wave\n")
        sys.stdout.flush()
        await asyncio.to_thread(sys.stdin.readline)


async def stream(writer: LedgerWriter, todo: list[LedgerEntryIn]) -> None:
    queue = list(reversed(todo))

    async def caller() -> None:
        while queue:
            await one(writer, queue.pop())

    await asyncio.gather(*(caller() for _ in range(CALLERS)))


async def main(url: str, mode: str) -> None:
    engine = create_engine(url)
    writer = LedgerWriter(engine)
    await (waves if mode == "waves" else stream)(writer, entries())
    sys.stdout.write("done\n")
    sys.stdout.flush()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

"""A synthetic ledger of N entries for the audit benchmark, written straight into its SQLite table.

Every row is built the way ``store.ledger.append`` builds it — ``LedgerEntryIn`` through
``domain.ledger.entry_columns``, hashed with ``entry_hash`` over ``hash_fields`` onto the previous
entry of its process (the first on ``GENESIS_HASH``) — and stored through the column types' own
bind processors (``UTCDateTime``, JSON), so the API reads back exactly what was hashed. Rows go in
in ``recorded_at`` order, interleaved across processes as the service appends them, many per
``executemany``; the chain heads (``ledger_heads``) are written at the end. The append-only
triggers of migration 0002 refuse UPDATE and DELETE only: plain INSERTs go in.

The mix of processes is ``bench/_ledger_mix.py``; its people and dates ``bench/_ledger_people.py``.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.sqlite import pysqlite

from bench._ledger_mix import Generator
from bench._ledger_people import Event, Process
from domain.ledger import LedgerEntryIn, entry_columns, entry_hash, hash_fields
from store.models import LedgerEntry

BATCH = 5_000
COMMIT_EVERY = 100_000


@dataclass
class FillStats:
    entries: int = 0
    seconds: float = 0.0
    processes: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    sizes: dict[str, int] = field(default_factory=dict)  # process id -> entries
    kinds_of: dict[str, str] = field(default_factory=dict)  # process id -> process kind
    agency_entries: Counter[str] = field(default_factory=Counter)
    staff: list[str] = field(default_factory=list)  # sample of human actor ids
    subjects: list[str] = field(default_factory=list)  # sample of employee NIPs
    first: datetime | None = None
    last: datetime | None = None


def _entry(gen: Generator, proc: Process, event: Event) -> tuple[LedgerEntryIn, datetime]:
    recorded = gen.epoch + timedelta(seconds=event.at)
    if event.outcome == "refused":
        entry_id, occurred, workflow_id, run_id = (
            f"refused:{gen.uid().replace('-', '')}",
            recorded,
            None,
            None,
        )
    else:
        proc.workflow_entries += 1
        if proc.entry_ids is not None:
            entry_id = proc.entry_ids(event, proc.workflow_entries)
        else:
            entry_id = f"{proc.process_id}:{proc.run_id}:{proc.workflow_entries}"
        occurred = recorded - timedelta(milliseconds=gen.rng.uniform(3, 250))
        workflow_id, run_id = proc.process_id, proc.run_id
    entry = LedgerEntryIn(
        entry_id=entry_id,
        process_id=proc.process_id,
        process_kind=proc.kind,
        kind=event.kind,
        outcome="refused" if event.outcome == "refused" else "accepted",
        stage_before=event.stage[0],
        stage_after=event.stage[1],
        actor=event.actor,
        subject=event.subject or proc.subject,
        agency=proc.agency,
        payload=event.payload,
        justification=event.justification,
        rulebook_version=proc.rulebook,
        workflow_id=workflow_id,
        run_id=run_id,
        update_id=event.update_id,
        occurred_at=occurred,
    )
    return entry, recorded


def fill(db_path: Path, entries: int, seed: int, *, progress: bool = True) -> FillStats:
    """Append ``entries`` synthetic, correctly chained entries to the migrated database."""
    table = LedgerEntry.__table__
    dialect = pysqlite.dialect()
    names = [c.name for c in table.c]
    procs = [c.type.bind_processor(dialect) for c in table.c]
    sql = f"INSERT INTO ledger_entries ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    gen = Generator(entries, seed, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    stats = FillStats()
    staff_seen: set[str] = set()
    heads: dict[str, tuple[int, str]] = {}
    con = sqlite3.connect(db_path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1048576",
                   "temp_store=MEMORY"):  # fmt: skip
        con.execute(f"PRAGMA {pragma}")
    t0 = time.perf_counter()
    batch: list[list[Any]] = []
    con.execute("BEGIN")
    try:
        for proc, event in gen.entries():
            entry, recorded = _entry(gen, proc, event)
            columns = entry_columns(entry, recorded_at=recorded)
            proc.seq += 1
            digest = entry_hash(proc.head, proc.seq, hash_fields(columns))
            row = {**columns, "seq": proc.seq, "prev_hash": proc.head, "hash": digest}
            proc.head = digest
            heads[proc.process_id] = (proc.seq, digest)
            batch.append([p(row[n]) if p else row[n] for n, p in zip(names, procs, strict=True)])
            _tally(stats, gen, proc, entry, recorded, staff_seen)
            if len(batch) >= BATCH:
                con.executemany(sql, batch)
                batch.clear()
                if stats.entries % COMMIT_EVERY == 0:
                    con.execute("COMMIT")
                    con.execute("BEGIN")
                    if progress:
                        rate = stats.entries / (time.perf_counter() - t0)
                        sys.stderr.write(f"  {stats.entries:>9} entries ({rate:,.0f}/s)\n")
        if batch:
            con.executemany(sql, batch)
        # A head is born at genesis and moves one entry at a time (migration 0011's triggers). A
        # bulk load sets each at its last entry at once: the genesis guard is lifted for the insert
        # only and put back as the database defined it, in the same transaction.
        (guard,) = con.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'ledger_heads_genesis'"
        ).fetchone()
        con.execute("DROP TRIGGER ledger_heads_genesis")
        con.executemany(
            "INSERT INTO ledger_heads (process_id, seq, hash) VALUES (?, ?, ?)",
            [(pid, seq, digest) for pid, (seq, digest) in heads.items()],
        )
        con.execute(guard)
        con.execute("COMMIT")
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()
    stats.seconds = time.perf_counter() - t0
    stats.sizes = {pid: seq for pid, (seq, _) in heads.items()}
    return stats


def _tally(
    stats: FillStats,
    gen: Generator,
    proc: Process,
    entry: LedgerEntryIn,
    recorded: datetime,
    staff_seen: set[str],
) -> None:
    stats.entries += 1
    if proc.seq == 1:
        stats.processes[proc.kind] += 1
        stats.kinds_of[proc.process_id] = proc.kind
    stats.outcomes[entry.outcome] += 1
    stats.agency_entries[proc.agency] += 1
    stats.first = stats.first or recorded
    stats.last = recorded
    actor = entry.actor
    if actor.role not in ("system", "applicant") and actor.id not in staff_seen:
        staff_seen.add(actor.id)
        if len(stats.staff) < 500 and gen.rng.random() < 0.2:
            stats.staff.append(actor.id)
    if entry.subject and proc.kind == "promotion" and len(stats.subjects) < 500:
        if proc.seq == 1 and gen.rng.random() < 0.05:
            stats.subjects.append(entry.subject)

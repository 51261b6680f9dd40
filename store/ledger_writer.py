"""The ledger writer: one per database per process, appends chained and committed in batches.

Callers (the batch activities, after the deciding workflow task is durable) hand it entries and,
optionally, the read-model and outbox statements that go with them. One task owns the writing
connection; it takes every queued request, chains all their entries in order and writes them with
a handful of SQLAlchemy Core statements in ONE transaction (no ORM unit of work on this path):

1. each request's ``before`` statements (read-model rows that take their own lock first);
2. the chain heads of every process in the batch: created if absent, then locked in process-id
   order (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the head INSERT comes before step 1
   and takes the database's write lock before anything is read, and only this task writes the
   ledger in this process);
3. the entry ids already stored (a retried activity gets its entry back, never a second one);
4. the new entries (one multi-row INSERT) and their heads moved one step each (the triggers of
   migration 0011 allow nothing else);
5. each request's ``after`` statements with its appended entries (read model, webhook outbox);
6. COMMIT, and only then are the callers answered.

Durability: on SQLite the writer's connection runs with ``PRAGMA synchronous=FULL`` (WAL is
fsynced at every commit), so an answered append survives a crash of the process or the machine;
on PostgreSQL an answer follows the normal COMMIT. If a batch fails, it is rolled back and each
request is written again alone, so one caller's refusal or bad row never sinks the others.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from domain.ledger import GENESIS_HASH, LedgerEntryIn, entry_columns, entry_hash, hash_fields
from store.ledger_tx import Tx, dialect_insert
from store.models import LedgerEntry, LedgerHead

__all__ = ["Appended", "LedgerWriter", "Tx", "dialect_insert", "writer_for"]

log = structlog.get_logger(__name__)

ENTRIES: Table = LedgerEntry.__table__  # type: ignore[assignment]
HEADS: Table = LedgerHead.__table__  # type: ignore[assignment]
# Entries per transaction: enough to amortise a commit over many callers, few enough that one
# batch holds the write lock briefly and stays under the drivers' bound-parameter limits.
MAX_BATCH_ENTRIES = 400
_IN_CHUNK = 400


@dataclass(frozen=True)
class Appended:
    """One entry as the ledger holds it: ``created`` is False when its id was already stored."""

    entry_id: str
    process_id: str
    seq: int
    hash: str
    created: bool
    # The stored columns of an entry written now (seq, prev_hash and hash included); empty for
    # an entry found already stored, whose effects were written with it the first time.
    columns: dict[str, Any] = field(default_factory=dict)


Before = Callable[[Tx], Awaitable[None]]
After = Callable[[Tx, Sequence[Appended]], Awaitable[None]]


@dataclass
class _Request:
    entries: list[LedgerEntryIn]
    recorded_at: datetime
    before: Before | None
    after: After | None
    done: asyncio.Future[list[Appended]]
    # Written once more on a fresh connection already (the server had ended the first).
    retried: bool = False


@dataclass
class LedgerWriter:
    """Group commit for the ledger. ``await append(...)`` returns once the entries are durable."""

    engine: AsyncEngine
    max_entries: int = MAX_BATCH_ENTRIES
    _queue: list[_Request] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    batches: int = 0
    appended: int = 0

    async def append(
        self,
        entries: Sequence[LedgerEntryIn],
        *,
        recorded_at: datetime,
        before: Before | None = None,
        after: After | None = None,
    ) -> list[Appended]:
        """Chain ``entries`` (in this order) with the request's statements, in the next batch.

        A caller that is cancelled meanwhile does not stop the write: the batch commits or rolls
        back whole, and the write lock is never left held.
        """
        loop = asyncio.get_running_loop()
        request = _Request(list(entries), recorded_at, before, after, loop.create_future())
        self._queue.append(request)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain(), name="ledger-writer")
        return await asyncio.shield(request.done)

    async def _drain(self) -> None:
        """Write batches until the queue stays empty, on one connection held for the while.

        No await separates the last look at the queue from the end of the task, so a request
        queued meanwhile is either seen here or finds this task done and starts the next one.
        """
        batch: list[_Request] = []
        try:
            # Closing the connection awaits: whatever was queued meanwhile is written before the
            # task ends (the outer loop's test is its last step).
            while self._queue:
                async with self.engine.connect() as conn:
                    await _durable(conn)
                    while self._queue:
                        batch = self._take()
                        again = await self._write(conn, batch)
                        batch = []
                        if again:  # the server ended the connection: a fresh one for these
                            self._queue[:0] = again
                            break
                        # Let the callers just answered queue their next appends into this drain.
                        await asyncio.sleep(0)
        except BaseException as err:  # no connection, or the task cancelled: nobody waits forever
            log.warning("ledger_writer.stopped", queued=len(self._queue), error=repr(err))
            stranded, self._queue = [*batch, *self._queue], []
            for request in stranded:
                _answer(request, err if isinstance(err, Exception) else RuntimeError(repr(err)))
            if not isinstance(err, Exception):
                raise

    async def wait_idle(self) -> None:
        """Until every queued append is answered and the connection is back in the pool."""
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])

    def _take(self) -> list[_Request]:
        taken, count = 0, 0
        for request in self._queue:
            if taken and count + len(request.entries) > self.max_entries:
                break
            taken += 1
            count += len(request.entries)
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        return batch

    async def _write(self, conn: AsyncConnection, batch: list[_Request]) -> list[_Request]:
        """Write ``batch`` and answer its callers; the requests to write again on a fresh
        connection (none, unless the server ended this one).

        A connection the server ended (a restart, ``pg_terminate_backend``; the engine does not
        test connections before lending them) fails the batch before its COMMIT, or leaves the
        COMMIT's outcome unknown; either way writing the batch again is safe, as every entry is
        idempotent by its id. Each request is tried so once; the second time its caller gets
        the error."""
        try:
            results = await _commit(conn, batch)
        except Exception as err:
            await _rollback(conn)
            if _connection_ended(err):
                log.warning("ledger_writer.connection_ended", requests=len(batch), error=repr(err))
                for request in batch:
                    if request.retried:
                        _answer(request, err)
                    request.retried = True
                return [r for r in batch if not r.done.done()]
            if len(batch) > 1:
                log.warning("ledger_writer.batch_failed", requests=len(batch), error=repr(err))
                for n, request in enumerate(batch):  # alone: only the failing caller sees its error
                    again = await self._write(conn, [request])
                    if again:
                        return [*again, *batch[n + 1 :]]
                return []
            _answer(batch[0], err)
            return []
        self.batches += 1
        for request, appended in zip(batch, results, strict=True):
            self.appended += sum(1 for a in appended if a.created)
            _answer(request, appended)
        return []


def _connection_ended(err: Exception) -> bool:
    return isinstance(err, DBAPIError) and err.connection_invalidated


def _answer(request: _Request, outcome: list[Appended] | BaseException) -> None:
    if request.done.done():  # answered already (a batch cut short after its answers)
        return
    if isinstance(outcome, BaseException):
        request.done.set_exception(outcome)
    else:
        request.done.set_result(outcome)


async def _durable(conn: AsyncConnection) -> None:
    """SQLite: fsync the WAL at every commit (a per-connection setting, set outside a
    transaction through the driver, so SQLAlchemy's BEGIN does not wrap it)."""
    if conn.dialect.name != "sqlite":
        return
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.execute("PRAGMA synchronous=FULL")


async def _rollback(conn: AsyncConnection) -> None:
    if conn.in_transaction():
        try:
            await conn.rollback()
        except Exception:  # the connection is gone: the pool replaces it
            await conn.invalidate()


async def _commit(conn: AsyncConnection, batch: list[_Request]) -> list[list[Appended]]:
    async with conn.begin():
        tx = Tx(conn)
        process_ids = sorted({e.process_id for request in batch for e in request.entries})
        # SQLite: a write first takes the database's write lock before anything is read (a read
        # first could not upgrade later if another process wrote meanwhile). PostgreSQL: the
        # requests' own rows first, then the heads, the order the actions lock them in.
        if tx.dialect == "sqlite":
            await _create_heads(tx, process_ids)
        for request in batch:
            if request.before is not None:
                await request.before(tx)
        if tx.dialect != "sqlite":
            await _create_heads(tx, process_ids)
        results = await _append_all(tx, batch, process_ids)
        for request, appended in zip(batch, results, strict=True):
            if request.after is not None:
                await request.after(tx, appended)
        await tx.finish()
    return results


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + _IN_CHUNK] for i in range(0, len(items), _IN_CHUNK)]


# The hot statements, built once: a statement object built anew for every batch costs its
# construction and its cache key at each execution; one reused object costs neither (SQLAlchemy
# memoises the key on it). The IN lists are expanding parameters.
_CREATE_HEADS = {
    d: dialect_insert(d, HEADS).on_conflict_do_nothing(index_elements=["process_id"])
    for d in ("postgresql", "sqlite")
}
_LOCK_HEADS = (
    select(HEADS.c.process_id, HEADS.c.seq, HEADS.c.hash)
    .where(HEADS.c.process_id.in_(bindparam("ids", expanding=True)))
    .order_by(HEADS.c.process_id)
    .with_for_update()
)
_STORED = select(ENTRIES.c.entry_id, ENTRIES.c.process_id, ENTRIES.c.seq, ENTRIES.c.hash).where(
    ENTRIES.c.entry_id.in_(bindparam("ids", expanding=True))
)
_INSERT_ENTRIES = insert(ENTRIES)
_MOVE_HEADS = (
    update(HEADS)
    .where(HEADS.c.process_id == bindparam("pid"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


async def _create_heads(tx: Tx, process_ids: list[str]) -> None:
    if not process_ids:
        return
    rows = [{"process_id": p, "seq": 0, "hash": GENESIS_HASH} for p in process_ids]
    await tx.execute(_CREATE_HEADS[tx.dialect], rows)


async def _lock_heads(tx: Tx, process_ids: list[str]) -> dict[str, tuple[int, str]]:
    """The heads, locked in process-id order (so two writers never deadlock on them)."""
    heads: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(process_ids):
        for pid, seq, digest in (await tx.execute(_LOCK_HEADS, {"ids": chunk})).all():
            heads[pid] = (int(seq), str(digest))
    return heads


async def _stored(tx: Tx, entry_ids: list[str]) -> dict[str, Appended]:
    found: dict[str, Appended] = {}
    for chunk in _chunks(entry_ids):
        for eid, pid, seq, digest in (await tx.execute(_STORED, {"ids": chunk})).all():
            found[eid] = Appended(eid, pid, int(seq), str(digest), created=False)
    return found


async def _append_all(
    tx: Tx, batch: list[_Request], process_ids: list[str]
) -> list[list[Appended]]:
    """Chain every entry of the batch in order; write the new ones and move their heads."""
    all_entries = [e for request in batch for e in request.entries]
    if not all_entries:
        return [[] for _ in batch]
    heads = await _lock_heads(tx, process_ids)
    known = await _stored(tx, sorted({e.entry_id for e in all_entries}))
    new_rows: list[dict[str, Any]] = []
    results: list[list[Appended]] = []
    for request in batch:
        appended: list[Appended] = []
        for entry in request.entries:
            found = known.get(entry.entry_id)
            if found is None:
                found = _chain(entry, request.recorded_at, heads)
                new_rows.append(found.columns)
                # The same id twice in one batch: the second is the first, already recorded.
                known[entry.entry_id] = Appended(
                    found.entry_id, found.process_id, found.seq, found.hash, created=False
                )
            appended.append(found)
        results.append(appended)
    if new_rows:
        await tx.execute(_INSERT_ENTRIES, new_rows)
        # The entries first, then their heads, one step each: the database lets a head move only
        # to the entry stored at its next sequence number.
        await tx.execute(
            _MOVE_HEADS,
            [
                {"pid": r["process_id"], "new_seq": r["seq"], "new_hash": r["hash"]}
                for r in new_rows
            ],
        )
    return results


def _chain(
    entry: LedgerEntryIn, recorded_at: datetime, heads: dict[str, tuple[int, str]]
) -> Appended:
    columns = entry_columns(entry, recorded_at=recorded_at)
    head_seq, head_hash = heads[entry.process_id]
    seq = head_seq + 1
    digest = entry_hash(head_hash, seq, hash_fields(columns))
    heads[entry.process_id] = (seq, digest)
    row = {**columns, "seq": seq, "prev_hash": head_hash, "hash": digest}
    return Appended(entry.entry_id, entry.process_id, seq, digest, created=True, columns=row)


_WRITERS: weakref.WeakKeyDictionary[AsyncEngine, LedgerWriter] = weakref.WeakKeyDictionary()


def writer_for(sessions: async_sessionmaker[AsyncSession]) -> LedgerWriter:
    """The process's one writer for the database the sessions are bound to."""
    engine = sessions.kw.get("bind")
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the sessions must be bound to an AsyncEngine")
    writer = _WRITERS.get(engine)
    if writer is None:
        writer = _WRITERS[engine] = LedgerWriter(engine)
    return writer

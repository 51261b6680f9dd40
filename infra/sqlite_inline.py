"""SQLite under asyncio without a thread hop for what cannot wait.

aiosqlite runs every call of the ``sqlite3`` module on a thread of its own: creating a cursor,
executing, fetching, closing the cursor, each a round trip through a queue and the event loop's
self-pipe. SQLAlchemy's adapter makes four of them per statement. In a profile of the approvals
bench (py-spy on the API, 20 drivers) the trips, not SQLite, were a third of the API's CPU.

Most of those calls cannot block: SQLite works from the page cache in microseconds, and in WAL
mode a reader never waits for a writer. A call blocks only where SQLite may wait for the write lock
(the busy handler sleeps up to the busy timeout) or sync the disk. So :class:`InlineConnection`
runs a call on the loop's own thread unless it is one of those, which keep aiosqlite's thread:

- ``COMMIT`` (the fsync of ``synchronous=FULL``, and the WAL checkpoint a commit may run), the
  connection's close, ``PRAGMA`` and anything this module does not know;
- the first write of a transaction, and a write outside one: that is where SQLite takes the write
  lock and may wait for it (``BEGIN`` is deferred here, ``infra/db.py``), as does
  ``BEGIN IMMEDIATE``.

Inline: ``BEGIN`` (deferred), ``SELECT``, cursors and fetches, ``ROLLBACK``, and the later writes,
savepoints and releases of a transaction that already holds the write lock. Calls on one
connection never overlap (SQLAlchemy awaits each), so the ``sqlite3`` connection, opened with
``check_same_thread=False``, is only ever used by one thread at a time.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any

import aiosqlite

# Calls that never wait for a lock or the disk, whatever the transaction.
_ALWAYS_INLINE = frozenset({"cursor", "fetchone", "fetchmany", "fetchall", "rollback"})
_EXECUTE = frozenset({"execute", "executemany"})
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
# Statements that are cheap once the transaction holds the write lock.
_HELD_INLINE = _WRITES | {"SAVEPOINT", "RELEASE"}


def _keyword(sql: Any) -> str:
    """The statement's first keyword, upper case ("" when it is not a plain string)."""
    if not isinstance(sql, str):
        return ""
    words = sql.lstrip().split(None, 2)
    return words[0].upper() if words else ""


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that keeps its thread only for the calls that may wait."""

    def __init__(self, connector: Any, iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        # Whether the open transaction has written (and so holds SQLite's write lock).
        self._holds_lock = False
        # Calls sent to the thread, counted for tests and profiles.
        self.thread_calls = 0

    def _runs_inline(self, fn: Any, name: str, sql: Any, keyword: str) -> bool:
        conn = self._connection
        if conn is None:
            return False
        if not conn.in_transaction:
            self._holds_lock = False
        if name in _ALWAYS_INLINE:
            return True
        if name == "close":  # a cursor's; the connection's may checkpoint
            return isinstance(getattr(fn, "__self__", None), sqlite3.Cursor)
        if name not in _EXECUTE:
            return False
        if keyword == "SELECT":
            return True
        if keyword == "BEGIN":
            return str(sql).upper().split()[1:2] in ([], ["TRANSACTION"], ["DEFERRED"])
        if keyword == "ROLLBACK":
            return True
        return self._holds_lock and conn.in_transaction and keyword in _HELD_INLINE

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(fn, "__name__", "")
        sql = args[0] if name in _EXECUTE and args else None
        keyword = _keyword(sql)
        if self._runs_inline(fn, name, sql, keyword):
            return fn(*args, **kwargs)
        self.thread_calls += 1
        result = await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        if keyword not in _WRITES and keyword != "BEGIN":
            return result  # e.g. the connection's close: nothing to ask a closed connection
        conn = self._connection
        if conn is not None and conn.in_transaction:
            self._holds_lock = True  # a first write, or BEGIN IMMEDIATE / EXCLUSIVE
        return result


def connect(database: Any, **kwargs: Any) -> InlineConnection:
    """What SQLAlchemy's aiosqlite dialect calls instead of ``aiosqlite.connect``."""
    kwargs["check_same_thread"] = False
    conn = InlineConnection(partial(sqlite3.connect, database, **kwargs), iter_chunk_size=64)
    conn._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
    return conn


def do_connect(dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
    """The engine's ``do_connect`` hook: the dialect's own connect, with :func:`connect`."""
    return dialect.dbapi.connect(*cargs, async_creator_fn=connect, **cparams)

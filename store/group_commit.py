"""One writer per database per process, committing many small units of work together.

The ledger is an append-only log written by short transactions (an entry, its read-model change, its
webhook events). Each on its own costs a transaction and, on SQLite, a wait for the single write
lock behind every other writer of the process. Here callers hand their unit (a coroutine function
over a session) to one task that owns the writing connection; it runs every queued unit in one
transaction, each in a savepoint of its own, commits once, and then answers every caller. A unit
that raises is rolled back alone and its caller gets the error; the others commit.

A caller returns only once its unit's transaction has committed (durable at the database's
setting), and a caller that is cancelled (an activity whose worker shuts down) never interrupts a
transaction: the unit still commits or rolls back whole, and the write lock is never left held.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = structlog.get_logger(__name__)

T = TypeVar("T")
Unit = Callable[[AsyncSession], Awaitable[Any]]

# Enough to amortise a commit over many writers; small enough that one batch never holds the
# write lock for long.
MAX_BATCH = 200


@dataclass
class _Item:
    unit: Unit
    done: asyncio.Future[Any]


@dataclass
class GroupCommit:
    sessions: async_sessionmaker[AsyncSession]
    max_batch: int = MAX_BATCH
    _queue: list[_Item] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    batches: int = 0
    units: int = 0

    async def run(self, unit: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``unit`` in the next batch's transaction; return its result once committed."""
        loop = asyncio.get_running_loop()
        item = _Item(unit, loop.create_future())
        self._queue.append(item)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain(), name="group-commit")
        result: T = await asyncio.shield(item.done)
        return result

    async def _drain(self) -> None:
        """Commit batches until the queue is empty, then end (the next unit starts a new drain).

        No await separates the last look at the queue from the end of the task, so a unit queued
        meanwhile is either seen here or finds this task done and starts the next one.
        """
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            await self._commit(batch)

    async def _commit(self, batch: list[_Item]) -> None:
        outcomes: list[tuple[_Item, Any, BaseException | None]] = []
        try:
            async with self.sessions() as session, session.begin():
                for item in batch:
                    try:
                        async with session.begin_nested():
                            value = await item.unit(session)
                        outcomes.append((item, value, None))
                    except Exception as err:  # the unit's own refusal or failure: its caller's
                        outcomes.append((item, None, err))
        except Exception as err:  # the commit itself failed: nothing of the batch was written
            log.warning("group_commit.failed", units=len(batch), error=repr(err))
            for item in batch:
                if not item.done.done():
                    item.done.set_exception(err)
            return
        self.batches += 1
        self.units += len(batch)
        for item, value, error in outcomes:
            if item.done.done():
                continue
            if error is not None:
                item.done.set_exception(error)
            else:
                item.done.set_result(value)

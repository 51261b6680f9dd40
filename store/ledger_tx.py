"""What a ledger writer's batch runs in: its connection and transaction (:class:`Tx`).

A request's own statements (the read model, the webhook outbox) run in the batch's transaction
through this, deferred where they can be grouped; see ``store/ledger_writer.py``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


def dialect_insert(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT with the dialect's ``on_conflict_*`` (PostgreSQL's or SQLite's)."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


class Tx:
    """What a request's statements run in: the batch's connection and transaction.

    Statements may be deferred (:meth:`defer`): consecutive runs of the same statement object go
    to the database as one executemany, in the order they were deferred, before any other
    statement of the transaction (:meth:`execute`, :meth:`session`) and before the commit. That is
    how twenty callers' read-model updates cost one round trip instead of twenty.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        # Looked up once per batch by whoever needs it (the live webhook subscriptions).
        self.cache: dict[str, Any] = {}
        self._session: AsyncSession | None = None
        self._deferred: list[tuple[Executable, list[dict[str, Any]]]] = []

    def defer(self, stmt: Executable, params: dict[str, Any]) -> None:
        if self._deferred and self._deferred[-1][0] is stmt:
            self._deferred[-1][1].append(params)
        else:
            self._deferred.append((stmt, [params]))

    async def flush(self) -> None:
        deferred, self._deferred = self._deferred, []
        for stmt, params in deferred:
            await self.conn.execute(stmt, params)

    async def execute(self, stmt: Executable, params: Any = None) -> Any:
        """Run ``stmt`` now, after whatever was deferred."""
        await self.flush()
        return await self.conn.execute(stmt, params)

    def insert(self, table: Any) -> Any:
        return dialect_insert(self.dialect, table)

    async def session(self) -> AsyncSession:
        """An ORM session in this transaction, for store functions that need one (flushed before
        the commit; never committing on its own)."""
        await self.flush()
        if self._session is None:
            # Joins the batch's transaction ("rollback_only": never commits it on its own).
            self._session = AsyncSession(bind=self.conn, join_transaction_mode="rollback_only")
        return self._session

    async def finish(self) -> None:
        await self.flush()
        if self._session is not None:
            await self._session.flush()
            await self._session.close()
            self._session = None

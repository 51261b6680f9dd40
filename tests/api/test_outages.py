"""Which exceptions mean "a dependency is down, retry" (503) and which stay bugs (500)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa_exc
from temporalio.service import RPCError, RPCStatusCode

from api.outages import as_unavailable


def _sqlite(message: str) -> sa_exc.OperationalError:
    return sa_exc.OperationalError("INSERT ...", {}, sqlite3.OperationalError(message))


def test_a_locked_sqlite_database_is_unavailable_a_missing_table_is_a_bug() -> None:
    err = as_unavailable(_sqlite("database is locked"))
    assert err is not None and err.code == "database_unavailable" and err.retry_after > 0
    assert as_unavailable(_sqlite("no such table: employees")) is None


def test_a_lost_connection_is_unavailable() -> None:
    pending = sa_exc.PendingRollbackError(
        "Can't reconnect until invalid transaction is rolled back"
    )
    assert as_unavailable(pending) is not None
    invalidated = sa_exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert as_unavailable(invalidated) is not None
    assert as_unavailable(ConnectionRefusedError()) is not None
    assert as_unavailable(sa_exc.IntegrityError("INSERT", {}, Exception("duplicate"))) is None


def test_temporal_down_is_unavailable_a_bad_request_is_not() -> None:
    down = as_unavailable(RPCError("tcp connect error", RPCStatusCode.UNAVAILABLE, b""))
    assert down is not None and down.code == "temporal_unavailable"
    assert as_unavailable(RPCError("bad", RPCStatusCode.INVALID_ARGUMENT, b"")) is None
    starting = RPCError("Namespace default is not found.", RPCStatusCode.NOT_FOUND, b"")
    assert as_unavailable(starting) is not None  # a server starting again
    assert as_unavailable(RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b"")) is None
    # A call cut off by the server's death (seen in the long chaos run on PostgreSQL as a 500).
    dropped = as_unavailable(RPCError("transport error", RPCStatusCode.UNKNOWN, b""))
    assert dropped is not None and dropped.code == "temporal_unavailable"
    assert as_unavailable(RPCError("something else", RPCStatusCode.UNKNOWN, b"")) is None

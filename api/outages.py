"""Outages of the database or the workflow service answer 503 with ``Retry-After``, never 500.

The actions turn what they expect into :class:`domain.errors.Unavailable` themselves (a Temporal
update that is not answered, ``actions/temporal.py``). This is the net under everything else: an
exception that means "a dependency is down or busy, the same request will succeed later" reaching
the app is rendered like any other ``Unavailable``:

- SQLite's write lock held longer than the busy timeout (``database is locked``);
- a PostgreSQL connection refused, dropped or terminated (``OperationalError``, ``InterfaceError``,
  an invalidated connection or a transaction left on one, a pool that hands out no connection in
  time);
- a Temporal RPC that failed for want of the server (``UNAVAILABLE``, ``DEADLINE_EXCEEDED``, ...).

Anything else (a bug: no such table, a constraint) is still a 500 with its traceback in the log.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import DomainError, Unavailable

log = structlog.get_logger(__name__)

DATABASE_RETRY_AFTER_S = 2
TEMPORAL_RETRY_AFTER_S = 5
_TEMPORAL_DOWN = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.ABORTED,
}
# SQLite's OperationalError also means "no such table" (a bug); only these are a busy database.
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is busy or unreachable (not that the query is wrong)."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.InterfaceError):
        return True
    if isinstance(exc, sa_exc.PendingRollbackError):
        return True  # its connection was lost mid-transaction (a terminated backend)
    if isinstance(exc, sa_exc.OperationalError):
        orig = exc.orig
        if type(orig).__module__.split(".")[0] in ("sqlite3", "aiosqlite"):
            return any(s in str(orig).lower() for s in _SQLITE_BUSY)
        return True
    return False


def temporal_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError):
        return True
    if not isinstance(exc, RPCError):
        return False
    # A dev server that is starting again answers "namespace not found" for a moment.
    starting = exc.status == RPCStatusCode.NOT_FOUND and "namespace" in exc.message.lower()
    # The connection dropped mid-call (the server killed with the request in flight): the SDK's
    # core says UNKNOWN "transport error". The call may or may not have reached the server; the
    # same request sent again is safe, its id making it the same update or start.
    dropped = exc.status == RPCStatusCode.UNKNOWN and "transport error" in exc.message.lower()
    return exc.status in _TEMPORAL_DOWN or starting or dropped


def as_unavailable(exc: BaseException) -> Unavailable | None:
    if database_unavailable(exc):
        return Unavailable(
            "The database is busy or not reachable right now; nothing was changed. Send the same "
            "request again in a few seconds.",
            code="database_unavailable",
            retry_after=DATABASE_RETRY_AFTER_S,
        )
    if temporal_unavailable(exc):
        return Unavailable(
            "The workflow service is not reachable right now; send the same request again in a "
            "few seconds.",
            code="temporal_unavailable",
            retry_after=TEMPORAL_RETRY_AFTER_S,
        )
    if isinstance(exc, ConnectionError):  # a driver's refused or reset connection, unwrapped
        return Unavailable(
            "A service this request needs is not reachable right now; send the same request "
            "again in a few seconds.",
            code="dependency_unavailable",
            retry_after=DATABASE_RETRY_AFTER_S,
        )
    return None


def install(app: FastAPI, render: Callable[[DomainError], JSONResponse]) -> None:
    """``render`` is api.errors' (which installs this module): one error shape everywhere."""

    async def on_outage(request: Request, exc: Exception) -> JSONResponse:
        err = as_unavailable(exc)
        if err is None:
            raise exc  # a bug, not an outage: the server error handler answers 500 and logs it
        log.warning("api.dependency_unavailable", path=request.url.path, error=repr(exc)[:300])
        return render(err)

    for cls in (
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.DBAPIError,
        sa_exc.TimeoutError,
        sa_exc.PendingRollbackError,
        ConnectionError,
        RPCError,
        WorkflowUpdateRPCTimeoutOrCancelledError,
    ):
        app.add_exception_handler(cls, on_outage)

"""Workflow updates and starts as the pipeline sends them: refusals come back as domain errors.

- a validator's or handler's refusal (``WorkflowUpdateFailedError``) is the DomainError it was raised
  as (``domain.errors.from_transport``);
- a workflow that is no longer running is ``process_closed`` (409);
- a Temporal server that cannot be reached, or does not answer in time, is ``Unavailable`` (503 with
  ``Retry-After``): the same request will succeed later, and nothing was refused.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from domain.errors import Conflict, DomainError, ProcessClosed, Unavailable, from_transport

R = TypeVar("R")
A = TypeVar("A")

# The server is down or busy: the request is not refused, it is to be sent again.
_RETRYABLE = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.ABORTED,
}


def unavailable(what: str) -> Unavailable:
    return Unavailable(
        f"The workflow service is not reachable right now ({what}); send the same request again "
        "in a few seconds.",
        code="temporal_unavailable",
        retry_after=5,
    )


def refusal_of(err: WorkflowUpdateFailedError) -> DomainError:
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type:
        details = cause.details[0] if cause.details else None
        return from_transport(cause.type, cause.message, details)
    return Conflict(str(cause or err), code="update_refused")


async def update(
    client: Client,
    workflow_id: str,
    method: UpdateMethodMultiParam[[Any, A], R],
    arg: A,
    *,
    update_id: str,
) -> R:
    """Execute ``method`` (a workflow class's update) on ``workflow_id`` and return its result."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(method, arg, id=update_id)
    except WorkflowUpdateFailedError as err:
        raise refusal_of(err) from err
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        raise unavailable("the update was not answered in time") from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise ProcessClosed(
                f"{workflow_id} is no longer running, so it can take no more actions.",
                code="process_closed",
            ) from err
        if err.status in _RETRYABLE:
            raise unavailable(err.message) from err
        raise


async def guard_rpc(call: Awaitable[R]) -> R:
    """Any other call to Temporal (a start, a signal): an outage is Unavailable, not a 500."""
    try:
        return await call
    except RPCError as err:
        if err.status in _RETRYABLE:
            raise unavailable(err.message) from err
        raise

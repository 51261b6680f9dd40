"""A refusal that only says the read model is behind its workflow is "retry", not "no".

Clients act on what the read model shows (the pending step, an open review). The workflow decides,
and the read model follows it a moment later: after a worker dies that moment can last ~10 s (until
its workflow tasks move to another worker). A decision sent in that window is refused by the
workflow for a reason the client could not see (``under_review``, ``stale_step``, ``not_pending``,
``review_closed``, ``process_closed``). When the read model the action was checked against still shows the state the
client acted on, the refusal is answered as :class:`domain.errors.Unavailable` (503,
``Retry-After``, code ``state_catching_up``): nothing is recorded, and the same request sent again
once the read model has caught up gets its real answer (accepted, or refused and recorded).

Before answering 503 the action waits, bounded (:data:`SETTLE_S`), for the row to move: a request
that lost a race to another's decision sees the winner's row written within milliseconds and gets
its real refusal (recorded once); only a read model that stays behind (a worker gone) answers 503.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from actions.registry import load_target
from actions.services import Services
from actions.targets import Target
from domain.errors import DomainError, Unavailable

R = TypeVar("R")
RETRY_AFTER_S = 5
# How long a refusal that looks like lag waits for the row to move before it answers 503.
SETTLE_S = 3.0
# The row's columns that move when its workflow records a step.
_MOVES = ("pending_step", "pending_review_id", "status", "stage", "updated_at")
# A read-model row in one of these says its process still takes actions.
OPEN_STATUSES = frozenset({"open", "in_progress"})


def lagging(target: Target, err: DomainError, step_sent: str | None = None) -> bool:
    """Whether the workflow refused a state the target's read-model row does not show yet."""
    row = target.row
    if err.code == "under_review":
        return getattr(row, "pending_review_id", "") is None
    if err.code in ("stale_step", "not_pending"):
        shown = getattr(row, "pending_step", None)
        return shown is not None and step_sent in (None, shown)
    if err.code in ("review_closed", "process_closed"):
        return getattr(row, "status", None) in OPEN_STATUSES
    return False


def catching_up(target: Target) -> Unavailable:
    return Unavailable(
        f"The {target.name} has moved on since the view you acted on was written, and that view "
        "is catching up; send the same request again in a few seconds for its answer.",
        code="state_catching_up",
        retry_after=RETRY_AFTER_S,
    )


async def unless_lagging(
    call: Awaitable[R], target: Target, step_sent: str | None = None, *, services: Services
) -> R:
    """Await ``call`` (a workflow update); a refusal that only shows read-model lag is retryable."""
    try:
        return await call
    except DomainError as err:
        if lagging(target, err, step_sent) and not await _settles(services, target, err, step_sent):
            raise catching_up(target) from err
        raise


def _moves(row: Any) -> tuple[Any, ...]:
    return tuple(getattr(row, name, None) for name in _MOVES)


async def _settles(
    services: Services, target: Target, err: DomainError, step_sent: str | None
) -> bool:
    """Whether the row moves (or stops looking behind) within :data:`SETTLE_S`."""
    loop = asyncio.get_running_loop()
    deadline, delay = loop.time() + SETTLE_S, 0.05
    while True:
        fresh = await load_target(services, target.kind, target.process_id)
        if fresh is None or _moves(fresh.row) != _moves(target.row):
            return True
        if not lagging(fresh, err, step_sent):
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.4)

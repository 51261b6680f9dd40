"""A Temporal worker whose shutdown ends, and says why when it had to be cut short.

The SDK's shutdown waits, without a bound, for every poller to stop and every activity and
workflow activation in flight to finish. Almost always that takes milliseconds. When something in
flight never finishes (CI saw it twice in ~3,400 worker shutdowns: a test's teardown waited past
pytest's 300 s), a supervisor's SIGTERM, a deploy or a test would wait forever and learn nothing.
Here shutdown waits at most ``bound`` seconds; past it, the stack of every asyncio task still
running is logged as ``worker.shutdown_stuck`` and shutdown returns. Whatever the worker had in
flight is then the server's to retry (activity timeouts, workflow task timeouts), exactly as after
a crash, which every process here is built to survive.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import structlog
from temporalio.worker import Worker

log = structlog.get_logger(__name__)

SHUTDOWN_BOUND_S = 30.0


def _awaiting(task: asyncio.Task[Any]) -> list[str]:
    """The chain of coroutines a suspended task is waiting in, outermost first (a task's own
    ``print_stack`` shows only the outermost frame of a suspended coroutine)."""
    frames: list[str] = []
    coro: Any = task.get_coro()
    while coro is not None and len(frames) < 40:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            frames.append(f"{code.co_filename}:{frame.f_lineno} in {code.co_name}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return frames


def task_stacks() -> list[str]:
    """Every live asyncio task of this loop but the caller's, with where it waits."""
    return [
        "\n".join([task.get_name(), *_awaiting(task)])
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
    ]


class BoundedWorker(Worker):
    """``temporalio.worker.Worker`` whose ``shutdown()`` (and ``async with`` exit) is bounded."""

    def __init__(self, *args: Any, shutdown_bound_s: float = SHUTDOWN_BOUND_S, **kw: Any) -> None:
        # The SDK's own wait for the run task after shutdown; ours comes first and is the bound.
        kw.setdefault("plugin_shutdown_timeout", timedelta(seconds=5))
        super().__init__(*args, **kw)
        self._shutdown_bound_s = shutdown_bound_s
        self.shutdown_stuck = False

    async def shutdown(self) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(super().shutdown()), self._shutdown_bound_s)
        except TimeoutError:
            self.shutdown_stuck = True
            log.error(
                "worker.shutdown_stuck",
                task_queue=self.task_queue,
                after_s=self._shutdown_bound_s,
                tasks=task_stacks(),
            )


@asynccontextmanager
async def running(*workers: BoundedWorker) -> AsyncIterator[None]:
    """Every worker polling until the block ends; then each shut down, last started first (a
    Temporal worker serves one task queue, so a process that polls two runs two workers)."""
    async with AsyncExitStack() as stack:
        for worker in workers:
            await stack.enter_async_context(worker)
        yield

"""Waiting for what lags by design: the ledger and the read models follow the workflow's history,
so a test that learned something from a query (or a time skip) waits for the record of it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowUpdateFailedError

from store import ledger

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool] = bool,
    *,
    timeout: float = 60.0,
    what: str = "the condition",
) -> T:
    """Call ``probe`` until ``accept`` says yes; fail with the last value after ``timeout`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if accept(value):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{what} never held; last value: {value!r}")
        await asyncio.sleep(0.05)


async def ledger_kinds(sessions: async_sessionmaker[AsyncSession], process_id: str) -> list[str]:
    async with sessions() as s:
        return [r.kind for r in await ledger.entries(s, process_id)]


async def recorded(
    sessions: async_sessionmaker[AsyncSession], process_id: str, *kinds: str
) -> list[str]:
    """Wait until the process's ledger holds every one of ``kinds``; return all its kinds."""
    return await eventually(
        lambda: ledger_kinds(sessions, process_id),
        lambda found: all(k in found for k in kinds),
        what=f"{process_id} recording {', '.join(kinds)}",
    )


def refusal_type(err: pytest.ExceptionInfo[WorkflowUpdateFailedError]) -> str:
    """The code of the ApplicationError a workflow update was refused with ("" if none)."""
    return str(getattr(err.value.cause, "type", ""))

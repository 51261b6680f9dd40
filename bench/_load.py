"""Driving load: bounded fan-out for setup, and timed chains of operations for the measurements."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from bench._report import Phase

T = TypeVar("T")
# One timed operation on an item at step k: None on success, else (error kind, sample text).
Op = Callable[[T, int], Awaitable[tuple[str, str] | None]]


async def bounded(limit: int, coros: Sequence[Awaitable[T]]) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(c: Awaitable[T]) -> T:
        async with gate:
            return await c

    return list(await asyncio.gather(*(one(c) for c in coros)))


async def run_chains(phase: Phase, items: list[T], steps: int, concurrency: int, op: Op[T]) -> None:
    """``concurrency`` drivers; each walks its share of ``items``, one at a time, through ``steps``
    operations, and one operation waits for the previous one: a driver is one user clicking on."""

    async def driver(mine: list[T]) -> None:
        for item in mine:
            for k in range(steps):
                t0 = time.perf_counter()
                try:
                    failed = await op(item, k)
                except Exception as exc:  # reported with the numbers; the run goes on
                    failed = (type(exc).__name__, f"{item} step {k}: {exc!r}"[:500])
                elapsed = time.perf_counter() - t0
                if failed is not None:
                    phase.fail(*failed)
                    break  # the rest of this chain would only be refused as out of turn
                phase.latencies_s.append(elapsed)

    start = time.perf_counter()
    await asyncio.gather(*(driver(items[i::concurrency]) for i in range(concurrency)))
    phase.wall_s = time.perf_counter() - start


# One side of a comparison timed by turns: its phase, its items, and its operation for a slice
# (an operation may time its parts into the phase it is given).
Side = tuple[Phase, Sequence[Any], Callable[[Phase], Op[Any]]]


async def in_turns(
    turns: int,
    sides: Sequence[Side],
    steps: int,
    concurrency: int,
    measured: Callable[[Phase, Awaitable[None]], Awaitable[None]],
) -> None:
    """Each side's items in ``turns`` slices, timed alternately, A B then B A and so on, so that
    a machine growing faster or slower during the run weighs on both sides alike (with an even
    number of turns a steady drift cancels out); ``measured`` times one slice (wall clock and
    CPU), and each side's phase sums its slices."""
    for turn in range(turns):
        for phase, items, op_for in sides if turn % 2 == 0 else list(reversed(sides)):
            n = len(items)
            mine = items[turn * n // turns : (turn + 1) * n // turns]
            part = Phase(phase.name)
            await measured(part, run_chains(part, list(mine), steps, concurrency, op_for(part)))
            phase.absorb(part)

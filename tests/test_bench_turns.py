"""The approvals bench times its two sides by turns (A B, B A, ...) in slices that cover every item
once, and each side's numbers are the sum of its slices."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from bench._load import Op, in_turns
from bench._report import Phase


async def test_two_sides_alternate_and_each_phase_sums_its_slices() -> None:
    order: list[tuple[str, int]] = []
    walked: dict[str, list[tuple[int, int]]] = {"a": [], "b": []}
    turn = {"n": 0}

    def op_for(side: str) -> Any:
        def make(part: Phase) -> Op[int]:
            async def op(item: int, k: int) -> tuple[str, str] | None:
                walked[side].append((item, k))
                part.parts.setdefault("step", []).append(0.001)
                return ("odd", f"{item}") if side == "b" and item == 5 and k == 0 else None

            return op

        return make

    async def measured(part: Phase, work: Awaitable[None]) -> None:
        order.append((part.name, turn["n"]))
        turn["n"] += 1
        await work
        part.cpu_s = {"api": 1.0}

    a, b = Phase("a"), Phase("b")
    await in_turns(
        4, [(a, list(range(8)), op_for("a")), (b, list(range(6)), op_for("b"))], 2, 3, measured
    )

    assert [name for name, _ in order] == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert sorted({i for i, _ in walked["a"]}) == list(range(8))
    assert sorted(walked["a"]) == [(i, k) for i in range(8) for k in range(2)]
    assert sorted({i for i, _ in walked["b"]}) == list(range(6))
    assert a.ok == 16 and a.cpu_s == {"api": 4.0} and len(a.parts["step"]) == 16
    # A failed first step ends that item's chain: b counts it once, and the other items whole.
    assert b.ok == 10 and dict(b.errors) == {"odd": 1} and b.samples == ["5"]
    assert b.wall_s > 0 and a.wall_s > 0

"""Merkle roots for the offline verifier, from runs of leaves cut anywhere (``domain.merkle`` rules).

A checkpoint's root is the fold of the perfect subtrees of leaves ``0..size-1``. A process that
checks one part of an export holds the leaves ``start..end-1`` of that part only, so it hands back,
for each cut it was asked about, the perfect subtrees that make up ``start..cut-1``, each aligned on
its own width (:func:`run_peaks`). Whoever holds the subtrees of ``0..start-1`` adds those on
(:class:`Peaks`) and has the root at the cut, without seeing a leaf. The subtrees are computed a
level at a time over the whole run (one hash per inner node, no per-leaf bookkeeping).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain import merkle

# A perfect subtree: (level, hash); level L covers 2**L leaves.
Peak = tuple[int, bytes]
_NODE = merkle.NODE_PREFIX


class Peaks:
    """:class:`domain.merkle.Frontier` fed whole aligned subtrees instead of single leaves."""

    def __init__(self, size: int = 0, stack: Sequence[Peak] = ()) -> None:
        self.size = size
        self._stack = list(stack)

    def add(self, level: int, digest: bytes) -> None:
        if self.size % (1 << level):
            raise ValueError(f"a subtree of level {level} cannot start at leaf {self.size}")
        self.size += 1 << level
        while self._stack and self._stack[-1][0] == level:
            digest = merkle.node_hash(self._stack.pop()[1], digest)
            level += 1
        self._stack.append((level, digest))

    def extend(self, peaks: Iterable[Peak]) -> Peaks:
        for level, digest in peaks:
            self.add(level, digest)
        return self

    def copy(self) -> Peaks:
        return Peaks(self.size, self._stack)

    def root(self) -> bytes:
        return merkle.fold([digest for _, digest in self._stack])


def _levels(leaves: Sequence[bytes], start: int) -> list[tuple[int, list[bytes]]]:
    """Every aligned perfect subtree inside ``start..start+len-1``, a level at a time: level L as
    (index of its first subtree, their hashes)."""
    end = start + len(leaves)
    levels = [(start, list(leaves))]
    while True:
        level = len(levels)
        first, below = levels[-1]
        low, high = -(-start >> level), end >> level
        if high <= low:
            return levels
        offset = 2 * low - first
        sha = hashlib.sha256
        levels.append(
            (
                low,
                [
                    sha(_NODE + below[i] + below[i + 1]).digest()
                    for i in range(offset, offset + 2 * (high - low), 2)
                ],
            )
        )


def run_peaks(leaves: Sequence[bytes], start: int, cuts: Iterable[int]) -> dict[int, list[Peak]]:
    """For each cut in ``start+1..start+len(leaves)``, the subtrees of ``start..cut-1`` in order."""
    if start < 0:
        raise ValueError("leaf indexes start at 0")
    end = start + len(leaves)
    wanted = sorted({cut for cut in cuts if start < cut <= end})
    if not wanted:
        return {}
    levels = _levels(leaves, start)
    out: dict[int, list[Peak]] = {}
    for cut in wanted:
        position, parts = start, []
        while position < cut:
            level = (cut - position).bit_length() - 1
            if position:
                level = min(level, (position & -position).bit_length() - 1)
            first, hashes = levels[level]
            parts.append((level, hashes[(position >> level) - first]))
            position += 1 << level
        out[cut] = parts
    return out


def roots_at(leaves: Sequence[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """The root of leaves ``0..size-1`` for each size up to ``len(leaves)`` (0 and below: empty)."""
    sizes = set(sizes)
    out = {size: merkle.EMPTY_ROOT for size in sizes if size <= 0}
    for cut, peaks in run_peaks(leaves, 0, sizes).items():
        out[cut] = Peaks().extend(peaks).root()
    return out


@dataclass
class LeafRun:
    """Leaves ``0..count-1``, met in that order in the export: the roots at the sizes asked for,
    and the leaf hashes themselves (32 bytes each, in blocks) for anything else."""

    count: int = 0
    roots: dict[int, bytes] = field(default_factory=dict)
    blocks: list[bytes] = field(default_factory=list)

    def hashes(self) -> list[bytes]:
        joined = b"".join(self.blocks)
        return [joined[i : i + 32] for i in range(0, len(joined), 32)]

    def root(self, size: int) -> bytes:
        if size not in self.roots:
            self.roots.update(roots_at(self.hashes()[: max(size, 0)], [size]))
        return self.roots[size]


def as_run(leaves: Mapping[Any, bytes], cuts: Iterable[int]) -> LeafRun | None:
    """Leaves met out of file order as a :class:`LeafRun` when they are exactly ``0..n-1`` and 32
    bytes each (an export in the server's order), with its roots at ``cuts``; else None."""
    try:
        ordered = list(map(leaves.__getitem__, range(len(leaves))))
    except KeyError:
        return None
    joined = b"".join(ordered)
    if len(joined) != 32 * len(ordered):
        return None
    run = LeafRun(count=len(ordered), blocks=[joined])
    run.roots.update(roots_at(ordered, cuts))
    return run

"""The offline verifier's last check: every checkpoint's Merkle root from the export's leaves.

A :class:`~integrity.verify_entries.Tally` holds the leaves one of two ways: as a run (leaves
``0..n-1`` met in file order, whose roots the line checks already folded, see
``integrity/verify_merkle.py``) or one by one (any other order: a filtered export, a tampered one,
the export by process). The verdict and its message do not depend on which.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from integrity.verify_entries import Broken, Tally
from integrity.verify_merkle import roots_at


def _present(tally: Tally) -> Collection[int]:
    return range(tally.run.count) if tally.run is not None else tally.leaves


def leaves_below(tally: Tally, size: int) -> int:
    """How many of the export's leaves have an index below ``size``."""
    if tally.run is not None:
        return max(0, min(size, tally.run.count))
    return sum(1 for i in tally.leaves if i < size)


def _missing_leaf(tally: Tally, index: int, cp: Mapping[str, Any]) -> Broken:
    size = int(cp["tree_size"])
    present = _present(tally)
    missing = [i for i in range(index, size) if i not in present]
    shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
    last = max(present, default=-1)
    if index > last:
        where = f"the export ends at leaf {last}"
        why = "tail truncated, or the latest entries removed?"
    else:
        following = min(i for i in present if i > index)
        where = (
            f"leaf {index} lies between entries {tally.leaf_entries.get(index - 1, '(start)')} "
            f"and {tally.leaf_entries[following]}"
        )
        why = "entries removed or the export truncated?"
    return Broken(
        f"checkpoint {cp['id']} (tree size {size}) covers leaves the export lacks: {len(missing)} "
        f"missing ({shown}); {where} ({why})"
    )


def _prefix(tally: Tally, sizes: set[int]) -> tuple[int, dict[int, bytes]]:
    """How many leaves from 0 on are all there, and the root at each size up to that."""
    if tally.run is not None:
        count = tally.run.count
        return count, {size: tally.run.root(size) for size in sizes if size <= count}
    count = 0
    while count in tally.leaves:
        count += 1
    ordered = [tally.leaves[i] for i in range(count)]
    return count, roots_at(ordered, [size for size in sizes if size <= count])


def check_roots(cps: list[dict[str, Any]], tally: Tally, partial: bool) -> tuple[int, list[Any]]:
    """Returns the largest tree size whose root matched, and the checkpoints left unchecked."""
    ordered = sorted(cps, key=lambda cp: (int(cp["tree_size"]), int(cp["id"])))
    count, roots = _prefix(tally, {int(cp["tree_size"]) for cp in ordered})
    checked = 0
    for position, cp in enumerate(ordered):
        size = int(cp["tree_size"])
        if size > count:
            if partial:
                return checked, [c["id"] for c in ordered[position:]]
            raise _missing_leaf(tally, count, cp)
        if roots[size].hex() != cp["root_hash"]:
            raise Broken(
                f"checkpoint {cp['id']} (tree size {size}): the Merkle root of the export's leaves "
                f"0..{size - 1} differs from the signed root (an entry among leaves {checked}.."
                f"{size - 1} was altered, added or removed)"
            )
        checked = size
    return checked, []

"""Merkle trees over the ledger, as RFC 6962 / RFC 9162 define them (sha-256, no I/O).

Hashing: a leaf is ``sha256(0x00 || data)``, an inner node ``sha256(0x01 || left || right)``; the
two prefixes keep a leaf from ever passing for a node. The Merkle Tree Hash (MTH) of ``n > 1``
leaves splits them at ``k``, the largest power of two below ``n``; the empty tree's hash is
``sha256(b"")``. Inclusion and consistency proofs are generated and verified with the algorithms of
RFC 9162 §2.1.3 and §2.1.4.

Leaf data for a ledger entry (:func:`ledger_leaf_data`) is ``canonical_json({"entry_id": id,
"hash": chain_hash_hex})``. The chain hash already covers every column and the previous hash, so a
leaf commits to the whole entry; adding the entry id makes a leaf name its entry on its own (an
inclusion proof is asked for an id), and JSON gives both strings an unambiguous framing without a
home-made length prefix. An offline verifier rebuilds it from an exported line.

Every range a proof needs — a sibling in an audit path, a node of a consistency proof, the whole
tree — is an aligned run of complete ("perfect") subtrees, so its hash is a right fold of at most
log2(n) stored subtree hashes (:func:`subtrees`, :func:`fold`). That is what lets the store answer a
proof from O(log n) rows instead of rehashing every leaf.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from domain.canonical import canonical_json

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

# A perfect subtree: (level, index) covers leaves [index * 2**level, (index + 1) * 2**level).
Subtree = tuple[int, int]
# A run of leaves [start, end).
Span = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def ledger_leaf_data(entry_id: str, chain_hash: str) -> bytes:
    return canonical_json({"entry_id": entry_id, "hash": chain_hash})


def ledger_leaf_hash(entry_id: str, chain_hash: str) -> bytes:
    return leaf_hash(ledger_leaf_data(entry_id, chain_hash))


def split_point(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n >= 2``): where the MTH splits ``n`` leaves."""
    if n < 2:
        raise ValueError("only a tree of two or more leaves splits")
    return 1 << ((n - 1).bit_length() - 1)


def subtrees(start: int, end: int) -> list[Subtree]:
    """The perfect subtrees, left to right, whose right fold is the MTH of leaves ``[start, end)``.

    Valid for the spans the MTH recursion produces (``start`` a multiple of the smallest power of
    two not below ``end - start``), which is every span a proof or a root needs; others raise.
    """
    width = end - start
    if width < 1 or start < 0:
        raise ValueError(f"empty or negative span [{start}, {end})")
    if start % (1 << (width - 1).bit_length()):
        raise ValueError(f"span [{start}, {end}) is not a subtree of any Merkle tree")
    out: list[Subtree] = []
    while start < end:
        level = (end - start).bit_length() - 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of consecutive perfect subtree hashes, left to right: the MTH of their leaves."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


class Frontier:
    """The perfect subtrees of a tree of ``size`` leaves (at most one per level): append and root.

    Appending reports every subtree it completes, so a store can keep them all and a checkpoint
    never rehashes leaves it has seen before.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        expected = subtrees(0, size) if size else []
        if len(hashes) != len(expected):
            raise ValueError(f"a tree of {size} leaves has {len(expected)} frontier subtrees")
        self.size = size
        self._stack = [(level, h) for (level, _), h in zip(expected, hashes, strict=True)]

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; returns the subtrees of level >= 1 it completed as (level, index, hash)."""
        completed: list[tuple[int, int, bytes]] = []
        level, acc = 0, leaf
        while self._stack and self._stack[-1][0] == level:
            _, left = self._stack.pop()
            acc = node_hash(left, acc)
            level += 1
            completed.append((level, self.size >> level, acc))
        self._stack.append((level, acc))
        self.size += 1
        return completed

    def root(self) -> bytes:
        return fold([h for _, h in self._stack])


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes, in O(n)."""
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


def inclusion_spans(index: int, size: int) -> list[Span]:
    """The spans whose hashes form the audit path of leaf ``index`` (leaf to root, RFC 9162 PATH)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    out: list[Span] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
    out.reverse()
    return out


def consistency_spans(first: int, second: int) -> list[Span]:
    """The spans whose hashes prove a tree of ``first`` leaves a prefix of one of ``second``.

    RFC 9162 SUBPROOF, unrolled: empty when ``first`` is 0 or equals ``second``.
    """
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves")
    if first in (0, second):
        return []
    out: list[Span] = []
    m, start, end, whole = first, 0, second, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            m -= k
            start += k
            whole = False
    if not whole:
        out.append((start, end))
    out.reverse()
    return out


def span_hash(leaves: Sequence[bytes], span: Span) -> bytes:
    return root(leaves[span[0] : span[1]])


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    return [span_hash(leaves, s) for s in inclusion_spans(index, len(leaves))]


def consistency_proof(leaves: Sequence[bytes], first: int) -> list[bytes]:
    """Proof that the first ``first`` of ``leaves`` are the tree the second root was built on."""
    return [span_hash(leaves, s) for s in consistency_spans(first, len(leaves))]


def _shift_until_odd(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` place ``leaf`` at ``index`` of the tree with ``root_hash``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                fn, sn = _shift_until_odd(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_hash


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of ``first`` leaves a prefix of the tree of ``second``?"""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_until_odd(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0

"""RFC 6962/9162 Merkle trees, checked against a plain recursive reading of the RFC written here."""

from __future__ import annotations

import hashlib

import pytest

from domain import merkle
from domain.ledger import canonical_json

MAX = 40


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def reference_mth(data: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 §2.1 states it: recursion on the raw leaf inputs."""
    n = len(data)
    if n == 0:
        return h(b"")
    if n == 1:
        return h(b"\x00" + data[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return h(b"\x01" + reference_mth(data[:k]) + reference_mth(data[k:]))


def reference_path(m: int, data: list[bytes]) -> list[bytes]:
    n = len(data)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*reference_path(m, data[:k]), reference_mth(data[k:])]
    return [*reference_path(m - k, data[k:]), reference_mth(data[:k])]


def reference_subproof(m: int, data: list[bytes], whole: bool) -> list[bytes]:
    n = len(data)
    if m == n:
        return [] if whole else [reference_mth(data)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*reference_subproof(m, data[:k], whole), reference_mth(data[k:])]
    return [*reference_subproof(m - k, data[k:], False), reference_mth(data[:k])]


DATA = [f"leaf-{i}".encode() for i in range(MAX)]
LEAVES = [merkle.leaf_hash(d) for d in DATA]


def flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


def test_leaf_and_node_prefixes_differ() -> None:
    assert merkle.leaf_hash(b"x") == h(b"\x00x")
    assert merkle.node_hash(b"a", b"b") == h(b"\x01ab")
    assert merkle.root([]) == h(b"")


@pytest.mark.parametrize("n", range(MAX + 1))
def test_root_matches_the_reference(n: int) -> None:
    assert merkle.root(LEAVES[:n]) == reference_mth(DATA[:n])


@pytest.mark.parametrize("n", range(1, MAX + 1))
def test_frontier_nodes_are_the_perfect_subtrees(n: int) -> None:
    frontier = merkle.Frontier()
    nodes: dict[tuple[int, int], bytes] = {(0, i): leaf for i, leaf in enumerate(LEAVES[:n])}
    for leaf in LEAVES[:n]:
        nodes.update({(lv, ix): digest for lv, ix, digest in frontier.append(leaf)})
    for (level, index), digest in nodes.items():
        assert digest == reference_mth(DATA[index << level : (index + 1) << level])
    # A frontier rebuilt from the stored subtrees carries on as if it had never stopped.
    resumed = merkle.Frontier(n, [nodes[s] for s in merkle.subtrees(0, n)])
    assert resumed.root() == frontier.root() == reference_mth(DATA[:n])
    resumed.append(LEAVES[0])
    assert resumed.root() == reference_mth([*DATA[:n], DATA[0]])


@pytest.mark.parametrize("n", range(1, MAX + 1))
def test_inclusion_proofs_match_the_reference_and_verify(n: int) -> None:
    root = reference_mth(DATA[:n])
    for i in range(n):
        proof = merkle.inclusion_proof(LEAVES[:n], i)
        assert proof == reference_path(i, DATA[:n])
        assert merkle.verify_inclusion(LEAVES[i], i, n, proof, root)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 31, 40])
def test_tampered_inclusion_proofs_fail(n: int) -> None:
    root = merkle.root(LEAVES[:n])
    for i in range(n):
        proof = merkle.inclusion_proof(LEAVES[:n], i)
        assert not merkle.verify_inclusion(flip(LEAVES[i]), i, n, proof, root)
        assert not merkle.verify_inclusion(LEAVES[i], i, n, proof, flip(root))
        assert not merkle.verify_inclusion(LEAVES[i], n, n, proof, root)
        if n > 1:
            assert not merkle.verify_inclusion(LEAVES[i], (i + 1) % n, n, proof, root)
        for j in range(len(proof)):
            bad = [*proof[:j], flip(proof[j]), *proof[j + 1 :]]
            assert not merkle.verify_inclusion(LEAVES[i], i, n, bad, root)
        if proof:
            assert not merkle.verify_inclusion(LEAVES[i], i, n, proof[:-1], root)
        assert not merkle.verify_inclusion(LEAVES[i], i, n, [*proof, LEAVES[0]], root)


def test_consistency_for_every_pair_of_sizes_up_to_40() -> None:
    roots = [reference_mth(DATA[:n]) for n in range(MAX + 1)]
    for second in range(1, MAX + 1):
        for first in range(1, second + 1):
            proof = merkle.consistency_proof(LEAVES[:second], first)
            expected = [] if first == second else reference_subproof(first, DATA[:second], True)
            assert proof == expected, (first, second)
            assert merkle.verify_consistency(first, second, roots[first], roots[second], proof)
            assert not merkle.verify_consistency(
                first, second, flip(roots[first]), roots[second], proof
            )
            assert not merkle.verify_consistency(
                first, second, roots[first], flip(roots[second]), proof
            )
            for j in range(len(proof)):
                bad = [*proof[:j], flip(proof[j]), *proof[j + 1 :]]
                assert not merkle.verify_consistency(
                    first, second, roots[first], roots[second], bad
                )
            if proof:
                assert not merkle.verify_consistency(
                    first, second, roots[first], roots[second], proof[:-1]
                )
            if first < second:
                # A proof for one pair of sizes does not pass for a neighbouring pair.
                assert not merkle.verify_consistency(
                    first, second - 1, roots[first], roots[second - 1], proof
                )


def test_consistency_edge_cases() -> None:
    r3 = merkle.root(LEAVES[:3])
    assert merkle.consistency_proof(LEAVES[:3], 0) == []
    assert merkle.verify_consistency(0, 3, merkle.EMPTY_ROOT, r3, [])
    assert not merkle.verify_consistency(0, 3, r3, r3, [])
    assert merkle.verify_consistency(3, 3, r3, r3, [])
    assert not merkle.verify_consistency(3, 3, r3, r3, [r3])
    assert not merkle.verify_consistency(4, 3, r3, r3, [])
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.consistency_spans(4, 3)


@pytest.mark.parametrize("n", range(1, MAX + 1))
def test_proof_spans_fold_from_stored_subtrees(n: int) -> None:
    # What the store does: hash each span from perfect subtrees, never from all its leaves.
    def perfect(level: int, index: int) -> bytes:
        return merkle.root(LEAVES[index << level : (index + 1) << level])

    def from_subtrees(span: tuple[int, int]) -> bytes:
        return merkle.fold([perfect(lv, ix) for lv, ix in merkle.subtrees(*span)])

    assert from_subtrees((0, n)) == reference_mth(DATA[:n])
    for i in range(n):
        spans = merkle.inclusion_spans(i, n)
        assert [from_subtrees(s) for s in spans] == reference_path(i, DATA[:n])
    for first in range(1, n):
        spans = merkle.consistency_spans(first, n)
        assert [from_subtrees(s) for s in spans] == reference_subproof(first, DATA[:n], True)


def test_subtrees_refuses_a_span_no_tree_has() -> None:
    assert merkle.subtrees(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert merkle.subtrees(8, 11) == [(1, 4), (0, 10)]
    with pytest.raises(ValueError, match="not a subtree"):
        merkle.subtrees(1, 4)


def test_ledger_leaf_data_is_canonical_json_of_id_and_hash() -> None:
    data = merkle.ledger_leaf_data("e-1", "ab" * 32)
    assert data == canonical_json({"entry_id": "e-1", "hash": "ab" * 32})
    assert data == b'{"entry_id":"e-1","hash":"' + b"ab" * 32 + b'"}'
    assert merkle.ledger_leaf_hash("e-1", "ab" * 32) == h(b"\x00" + data)

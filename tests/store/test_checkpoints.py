"""Checkpoints in the store: leaf order, incremental roots, proofs from stored subtrees, locking."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import merkle
from domain.ledger import Actor, LedgerEntryIn
from infra.settings import Settings
from integrity.checkpoint_signing import (
    CheckpointKeyError,
    CheckpointSigner,
    checkpoint_message,
    load_signer,
    verify_signature,
)
from store import checkpoints, ledger
from store.audit_models import MerkleLeaf, MerkleNode
from tests.helpers.ledger_rows import tamper

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SIGNER = CheckpointSigner.from_seed(bytes(range(32)))


def entry(process: str, n: int) -> LedgerEntryIn:
    return LedgerEntryIn(
        entry_id=f"{process}:{n}",
        process_id=process,
        process_kind="promotion",
        kind="promotion.decision",
        outcome="accepted",
        actor=Actor(id="198001012005011002", role="supervisor", agency="BKN"),
        subject="199001012015011001",
        agency="BKN",
        payload={"n": n},
        occurred_at=T0,
    )


async def append(
    sessions: async_sessionmaker[AsyncSession], process: str, n: int, minute: int
) -> None:
    async with sessions.begin() as s:
        await ledger.append(s, entry(process, n), recorded_at=T0 + timedelta(minutes=minute))


async def checkpoint(sessions: async_sessionmaker[AsyncSession], minute: int = 0):
    async with sessions.begin() as s:
        return await checkpoints.create_checkpoint(
            s, SIGNER, now=T0 + timedelta(days=1, minutes=minute)
        )


async def stored_leaves(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, bytes]]:
    async with sessions() as s:
        rows = (
            await s.execute(
                select(MerkleLeaf.entry_id, MerkleLeaf.leaf_hash).order_by(MerkleLeaf.leaf_index)
            )
        ).all()
    return [(e, bytes.fromhex(h)) for e, h in rows]


async def test_empty_ledger_checkpoint(sessions) -> None:
    cp = await checkpoint(sessions)
    assert (cp.tree_size, cp.root_hash) == (0, merkle.EMPTY_ROOT.hex())


async def test_checkpoints_extend_the_tree_in_recorded_order(sessions) -> None:
    # Recorded out of process order: the leaf order follows (recorded_at, entry_id).
    await append(sessions, "b", 1, minute=1)
    await append(sessions, "a", 1, minute=2)
    await append(sessions, "b", 2, minute=3)
    first = await checkpoint(sessions, 1)
    assert first.tree_size == 3
    for n in range(2, 12):
        await append(sessions, "a", n, minute=10 + n)
    second = await checkpoint(sessions, 2)
    third = await checkpoint(sessions, 3)  # nothing new: same size and root, newly signed
    assert (second.tree_size, third.tree_size, third.root_hash) == (13, 13, second.root_hash)

    leaves = await stored_leaves(sessions)
    assert [e for e, _ in leaves[:3]] == ["b:1", "a:1", "b:2"]
    async with sessions() as s:
        rows = [r for p in ("a", "b") for r in await ledger.entries(s, p)]
    hashes = {r.entry_id: r.hash for r in rows}
    assert all(leaf == merkle.ledger_leaf_hash(e, hashes[e]) for e, leaf in leaves)
    only = [leaf for _, leaf in leaves]
    assert first.root_hash == merkle.root(only[:3]).hex()
    assert second.root_hash == merkle.root(only).hex()
    message = checkpoint_message(second.tree_size, second.root_hash, second.created_at)
    assert verify_signature(SIGNER.public_key, message, second.signature)

    async with sessions() as s:
        for size in range(1, 14):
            assert await checkpoints.tree_root(s, size) == merkle.root(only[:size])
            for i in range(size):
                proof = await checkpoints.inclusion_proof(s, i, size)
                assert proof == merkle.inclusion_proof(only[:size], i)
            for m in range(size + 1):
                proof = await checkpoints.consistency_proof(s, m, size)
                assert proof == merkle.consistency_proof(only[:size], m)


async def test_batches_continue_in_order_and_a_late_entry_joins_the_next_checkpoint(
    sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "LEAF_BATCH", 2)  # five entries: three batches
    for n in range(1, 6):
        await append(sessions, "c", n, minute=10 + n)
    assert (await checkpoint(sessions, 1)).tree_size == 5
    assert [e for e, _ in await stored_leaves(sessions)] == [f"c:{n}" for n in range(1, 6)]
    # committed after the checkpoint with a recorded_at before every indexed entry
    await append(sessions, "d", 1, minute=0)
    late = await checkpoint(sessions, 2)
    leaves = await stored_leaves(sessions)
    assert late.tree_size == 6 and leaves[-1][0] == "d:1"
    assert late.root_hash == merkle.root([leaf for _, leaf in leaves]).hex()


async def test_concurrent_checkpointers_never_share_a_leaf(sessions) -> None:
    for n in range(1, 8):
        await append(sessions, f"p{n % 3}", n // 3 + 1, minute=n)

    async def more_and_checkpoint(k: int):
        await append(sessions, f"q{k}", 1, minute=100 + k)
        return await checkpoint(sessions, k)

    made = await asyncio.gather(*[more_and_checkpoint(k) for k in range(4)])
    async with sessions() as s:
        count = await s.scalar(select(func.count()).select_from(MerkleLeaf))
        indexes = list(
            await s.scalars(select(MerkleLeaf.leaf_index).order_by(MerkleLeaf.leaf_index))
        )
    assert count == 11 and indexes == list(range(11))
    leaves = [leaf for _, leaf in await stored_leaves(sessions)]
    for cp in made:
        assert cp.root_hash == merkle.root(leaves[: cp.tree_size]).hex()
    assert max(cp.tree_size for cp in made) == 11


async def test_a_missing_subtree_is_reported(sessions) -> None:
    for n in range(1, 5):
        await append(sessions, "a", n, minute=n)
    await checkpoint(sessions)
    # The tree's tables refuse deletes (migration 0011): only someone going around them can.
    await tamper(sessions, delete(MerkleNode).where(MerkleNode.level == 2))
    async with sessions() as s:
        with pytest.raises(checkpoints.TreeIncomplete, match=r"\(2, 0\)"):
            await checkpoints.tree_root(s, 4)


def test_signing_key_from_settings() -> None:
    seed = bytes(range(1, 33))
    configured = load_signer(
        Settings(env="production", checkpoint_signing_key=base64.b64encode(seed).decode())
    )
    assert configured.public_key == CheckpointSigner.from_seed(seed).public_key
    assert not configured.development and len(configured.key_id) == 16
    with pytest.raises(CheckpointKeyError, match="not set"):
        load_signer(Settings(env="production"))
    with pytest.raises(CheckpointKeyError, match="32 bytes"):
        load_signer(Settings(env="production", checkpoint_signing_key="c2hvcnQ="))
    with structlog.testing.capture_logs() as logs:
        dev = load_signer(Settings(env="test"))
    assert dev.development and dev.key_id == load_signer(Settings(env="development")).key_id
    assert logs[0]["event"] == "checkpoint.development_key" and logs[0]["log_level"] == "warning"

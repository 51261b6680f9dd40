"""Signed checkpoints over the whole ledger: the global leaf order, tree heads and their proofs.

Appending to the ledger never touches the tree. A checkpoint takes the entries not yet indexed,
ordered by ``(recorded_at, entry_id)``, gives them the next leaf indexes, stores the complete
subtrees they finish, and signs the new tree head (``domain/merkle.py`` for the hashing,
``integrity/checkpoint_signing.py`` for the key). An entry committed late with an earlier
``recorded_at`` than one already indexed simply goes into the next checkpoint: the order that counts
is the stored ``leaf_index``, which never changes.

Checkpointers are serialised on the one ``merkle_state`` row, the way the ledger serialises appends
on a chain head: ``INSERT ... ON CONFLICT DO NOTHING`` first (on SQLite that takes the database's
write lock before anything is read), then ``SELECT ... FOR UPDATE`` (PostgreSQL). A checkpoint costs
O(new leaves) hashes plus an anti-join over the ledger; a root or proof for any past size is a fold
of O(log n) stored subtrees. The caller owns the transaction: nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TypeVar, cast

from sqlalchemy import ColumnElement, Row, Table, and_, insert, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain import merkle
from integrity.checkpoint_signing import CheckpointSigner, checkpoint_message
from store.audit_models import MERKLE_STATE_ID, Checkpoint, MerkleLeaf, MerkleNode, MerkleState
from store.models import LedgerEntry

LEAF_BATCH = 20_000
_LEAVES = cast(Table, MerkleLeaf.__table__)
_NODES = cast(Table, MerkleNode.__table__)
_LOOKUP_CHUNK = 500
_T = TypeVar("_T")


class TreeIncomplete(Exception):
    """A stored subtree a proof needs is missing: the tree tables were altered."""


async def _lock_state(session: AsyncSession) -> MerkleState:
    insert_ = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    await session.execute(
        insert_(MerkleState)
        .values(id=MERKLE_STATE_ID, tree_size=0)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    stmt = (
        select(MerkleState)
        .where(MerkleState.id == MERKLE_STATE_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


async def _unindexed(
    session: AsyncSession, limit: int, after: tuple[datetime, str] | None
) -> Sequence[Row[str, str, datetime]]:
    """Entries not yet in the tree, in ``(recorded_at, entry_id)`` order, after ``after``.

    The order is the ledger index ``(recorded_at, entry_id)``, so a batch is a range read of it
    (not a sort of the whole anti-join, which made a first checkpoint over 1M entries quadratic).
    """
    stmt = (
        select(LedgerEntry.entry_id, LedgerEntry.hash, LedgerEntry.recorded_at)
        .outerjoin(MerkleLeaf, MerkleLeaf.entry_id == LedgerEntry.entry_id)
        .where(MerkleLeaf.leaf_index.is_(None))
    )
    if after is not None:
        stmt = stmt.where(tuple_(LedgerEntry.recorded_at, LedgerEntry.entry_id) > after)
    stmt = stmt.order_by(LedgerEntry.recorded_at, LedgerEntry.entry_id).limit(limit)
    return (await session.execute(stmt)).all()


def _chunks(items: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _nodes_in(subtrees: Sequence[merkle.Subtree]) -> ColumnElement[bool]:
    """``(level, idx) IN (...)`` as ``level = l AND idx IN (...)`` per level: SQLite plans a
    row-value IN list as a scan of the whole table (a million nodes), this as index lookups."""
    by_level: dict[int, list[int]] = {}
    for level, index in subtrees:
        by_level.setdefault(level, []).append(index)
    return or_(
        *(
            and_(MerkleNode.level == level, MerkleNode.idx.in_(indexes))
            for level, indexes in sorted(by_level.items())
        )
    )


async def _subtree_hashes(
    session: AsyncSession, wanted: Iterable[merkle.Subtree]
) -> dict[merkle.Subtree, bytes]:
    wanted = set(wanted)
    leaves = sorted(index for level, index in wanted if level == 0)
    inner = sorted((level, index) for level, index in wanted if level > 0)
    found: dict[merkle.Subtree, bytes] = {}
    for indexes in _chunks(leaves, _LOOKUP_CHUNK):
        stmt = select(MerkleLeaf.leaf_index, MerkleLeaf.leaf_hash).where(
            MerkleLeaf.leaf_index.in_(indexes)
        )
        found.update({(0, i): bytes.fromhex(h) for i, h in (await session.execute(stmt)).all()})
    for chunk in _chunks(inner, _LOOKUP_CHUNK):
        node_stmt = select(MerkleNode.level, MerkleNode.idx, MerkleNode.hash).where(
            _nodes_in(chunk)
        )
        rows = (await session.execute(node_stmt)).all()
        found.update({(lv, ix): bytes.fromhex(h) for lv, ix, h in rows})
    missing = wanted - found.keys()
    if missing:
        raise TreeIncomplete(f"stored subtrees missing: {sorted(missing)[:5]}")
    return found


async def span_hashes(session: AsyncSession, spans: Sequence[merkle.Span]) -> list[bytes]:
    """The MTH of each span, folded from the stored complete subtrees."""
    parts = [merkle.subtrees(start, end) for start, end in spans]
    known = await _subtree_hashes(session, (s for p in parts for s in p))
    return [merkle.fold([known[s] for s in p]) for p in parts]


async def tree_root(session: AsyncSession, tree_size: int) -> bytes:
    if tree_size == 0:
        return merkle.EMPTY_ROOT
    return (await span_hashes(session, [(0, tree_size)]))[0]


async def _frontier(session: AsyncSession, size: int) -> merkle.Frontier:
    if size == 0:
        return merkle.Frontier()
    spans = [(index << level, (index + 1) << level) for level, index in merkle.subtrees(0, size)]
    return merkle.Frontier(size, await span_hashes(session, spans))


async def _index_new_entries(session: AsyncSession, state: MerkleState) -> merkle.Frontier:
    frontier = await _frontier(session, state.tree_size)
    # The first batch looks from the start (an entry committed late may carry an earlier
    # recorded_at); later batches continue after the last row taken. One committed late while
    # this runs is taken by the next checkpoint.
    after: tuple[datetime, str] | None = None
    while rows := await _unindexed(session, LEAF_BATCH, after):
        leaves: list[dict[str, object]] = []
        nodes: list[dict[str, object]] = []
        after = (rows[-1][2], rows[-1][0])
        for entry_id, chain_hash, _ in rows:
            digest = merkle.ledger_leaf_hash(entry_id, chain_hash)
            leaves.append(
                {"leaf_index": frontier.size, "entry_id": entry_id, "leaf_hash": digest.hex()}
            )
            for level, index, node in frontier.append(digest):
                nodes.append({"level": level, "idx": index, "hash": node.hex()})
        # Core inserts (executemany), not ORM bulk: a first checkpoint may index a whole ledger.
        await session.execute(insert(_LEAVES), leaves)
        if nodes:
            await session.execute(insert(_NODES), nodes)
    state.tree_size = frontier.size
    return frontier


async def create_checkpoint(
    session: AsyncSession, signer: CheckpointSigner, *, now: datetime
) -> Checkpoint:
    """Index every entry not yet in the tree, then sign and store the new tree head."""
    state = await _lock_state(session)
    frontier = await _index_new_entries(session, state)
    created_at = now.astimezone(UTC)
    root_hex = frontier.root().hex()
    message = checkpoint_message(frontier.size, root_hex, created_at)
    checkpoint = Checkpoint(
        tree_size=frontier.size,
        root_hash=root_hex,
        created_at=created_at,
        key_id=signer.key_id,
        signature=signer.sign(message),
        public_key=signer.public_key,
    )
    session.add(checkpoint)
    await session.flush()
    return checkpoint


async def get_checkpoint(session: AsyncSession, checkpoint_id: int) -> Checkpoint | None:
    return await session.get(Checkpoint, checkpoint_id)


async def list_checkpoints(
    session: AsyncSession, *, limit: int, before: int | None = None
) -> list[Checkpoint]:
    """Newest first; pass the last id of a page as ``before`` for the next."""
    stmt = select(Checkpoint).order_by(Checkpoint.id.desc()).limit(limit)
    if before is not None:
        stmt = stmt.where(Checkpoint.id < before)
    return list((await session.scalars(stmt)).all())


async def checkpoint_of_size(session: AsyncSession, tree_size: int) -> Checkpoint | None:
    """The latest checkpoint whose tree has ``tree_size`` leaves (several may: no appends between)."""
    stmt = (
        select(Checkpoint)
        .where(Checkpoint.tree_size == tree_size)
        .order_by(Checkpoint.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def leaf_of(session: AsyncSession, entry_id: str) -> MerkleLeaf | None:
    stmt = select(MerkleLeaf).where(MerkleLeaf.entry_id == entry_id)
    return (await session.scalars(stmt)).first()


async def leaves_of(session: AsyncSession, entry_ids: Sequence[str]) -> dict[str, MerkleLeaf]:
    """The leaves of these entries (those indexed), by entry id: one query per 500 entries."""
    found: dict[str, MerkleLeaf] = {}
    for chunk in _chunks(entry_ids, _LOOKUP_CHUNK):
        stmt = select(MerkleLeaf).where(MerkleLeaf.entry_id.in_(chunk))
        found.update({leaf.entry_id: leaf for leaf in (await session.scalars(stmt)).all()})
    return found


async def inclusion_proof(session: AsyncSession, leaf_index: int, tree_size: int) -> list[bytes]:
    return await span_hashes(session, merkle.inclusion_spans(leaf_index, tree_size))


async def inclusion_proofs(
    session: AsyncSession, leaf_indexes: Sequence[int], tree_size: int
) -> dict[int, list[bytes]]:
    """Each leaf's audit path, the subtrees they share read once (a process's thousand entries
    cost a few queries, not a thousand). Raises :class:`TreeIncomplete` like one proof does."""
    paths = {i: merkle.inclusion_spans(i, tree_size) for i in leaf_indexes}
    wanted = sorted({span for path in paths.values() for span in path})
    by_span = dict(zip(wanted, await span_hashes(session, wanted), strict=True))
    return {i: [by_span[span] for span in path] for i, path in paths.items()}


async def consistency_proof(session: AsyncSession, first: int, second: int) -> list[bytes]:
    return await span_hashes(session, merkle.consistency_spans(first, second))


async def since(session: AsyncSession, after_id: int) -> list[Checkpoint]:
    """Checkpoints with an id above ``after_id``, oldest first (what is not published yet)."""
    stmt = select(Checkpoint).where(Checkpoint.id > after_id).order_by(Checkpoint.id)
    return list((await session.scalars(stmt)).all())


async def leaves_of_process(
    session: AsyncSession, process_id: str, tree_size: int
) -> list[MerkleLeaf]:
    """The leaves of the first ``tree_size`` whose entry belongs to ``process_id`` (entry ids start
    with the process id: ``domain.ledger.entry_id``).

    On SQLite the prefix is a range of the entry id's unique index: text compares byte by byte
    there, so ``[id + ":", id + ";")`` holds exactly the ids that start with ``id + ":"``. SQLite's
    LIKE is case-insensitive and cannot use that index: over a million leaves it read them all
    (a second per verification). Elsewhere the column's collation need not be byte order, so the
    prefix stays a LIKE.
    """
    prefix = f"{process_id}:"
    if session.get_bind().dialect.name == "sqlite":
        # Only the range in SQL: with ``leaf_index < tree_size`` beside it SQLite walks the
        # primary key instead (nearly every leaf); the process's few leaves are sorted here.
        stmt = select(MerkleLeaf).where(
            and_(MerkleLeaf.entry_id >= prefix, MerkleLeaf.entry_id < f"{process_id};")
        )
    else:
        escaped = process_id.replace("!", "!!").replace("%", "!%").replace("_", "!_")
        stmt = select(MerkleLeaf).where(
            MerkleLeaf.entry_id.like(f"{escaped}:%", escape="!"), MerkleLeaf.leaf_index < tree_size
        )
    found = (await session.scalars(stmt)).all()
    mine = (leaf for leaf in found if leaf.entry_id.startswith(prefix))
    return sorted((leaf for leaf in mine if leaf.leaf_index < tree_size), key=_leaf_order)


def _leaf_order(leaf: MerkleLeaf) -> int:
    return leaf.leaf_index

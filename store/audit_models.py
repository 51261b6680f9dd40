"""ORM models of the auditor's toolkit (checkpoints).

The Merkle tree over the ledger lives beside it, never inside it: appending a ledger entry touches
none of these tables. Only the checkpointer (``store/checkpoints.py``) writes them.

- ``merkle_state``: one row (id 1); its ``tree_size`` is the number of leaves assigned so far, and
  locking it serialises checkpointers.
- ``merkle_leaves``: the global leaf order, one row per ledger entry that has been indexed.
- ``merkle_nodes``: the hash of every complete subtree of level >= 1 (level 0 is the leaves), so a
  root or a proof for any past size is a fold of O(log n) rows.
- ``checkpoints``: signed tree heads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base

MERKLE_STATE_ID = 1


class MerkleState(Base):
    __tablename__ = "merkle_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(Integer)


class MerkleLeaf(Base):
    __tablename__ = "merkle_leaves"
    __table_args__ = (UniqueConstraint("entry_id", name="uq_merkle_leaves_entry_id"),)

    leaf_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entry_id: Mapped[str] = mapped_column(String(200))
    leaf_hash: Mapped[str] = mapped_column(String(64))


class MerkleNode(Base):
    """The complete subtree covering leaves ``[idx * 2**level, (idx + 1) * 2**level)``."""

    __tablename__ = "merkle_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class Checkpoint(Base):
    """A signed tree head: the root of the first ``tree_size`` leaves at ``created_at``."""

    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(Integer, index=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    public_key: Mapped[str] = mapped_column(String(128))

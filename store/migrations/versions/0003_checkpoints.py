"""Signed Merkle checkpoints over the whole ledger.

Tables of ``store/audit_models.py``: merkle_state (one row, the checkpointers' lock), merkle_leaves
(the global leaf order), merkle_nodes (complete subtrees) and checkpoints (signed tree heads).
Nothing here touches ledger_entries, so the triggers of 0002 stay as they are.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "merkle_state",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
    )
    op.create_table(
        "merkle_leaves",
        sa.Column("leaf_index", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("entry_id", sa.String(200), nullable=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("entry_id", name="uq_merkle_leaves_entry_id"),
    )
    op.create_table(
        "merkle_nodes",
        sa.Column("level", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("idx", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("public_key", sa.String(128), nullable=False),
    )
    op.create_index("ix_checkpoints_tree_size", "checkpoints", ["tree_size"])


def downgrade() -> None:
    op.drop_index("ix_checkpoints_tree_size", table_name="checkpoints")
    op.drop_table("checkpoints")
    op.drop_table("merkle_nodes")
    op.drop_table("merkle_leaves")
    op.drop_table("merkle_state")

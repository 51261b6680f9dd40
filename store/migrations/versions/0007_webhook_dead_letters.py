"""Webhook dead letters: a delivery's retry budget (attempts and age of the current round).

A delivery that exhausts its budget is marked ``dead`` (``dead_at``); a replay starts a new round
(``round_attempts`` back to 0, ``round_started_at`` set by its first attempt).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(
            sa.Column("round_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("round_started_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Dead deliveries go back to pending: the old code only knows pending, delivered, cancelled.
    op.execute("UPDATE webhook_deliveries SET status = 'pending' WHERE status = 'dead'")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("dead_at")
        batch.drop_column("round_started_at")
        batch.drop_column("round_attempts")

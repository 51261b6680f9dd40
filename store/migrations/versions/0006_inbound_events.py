"""Inbound events, promotion periods and their members; idempotency keys remember the body.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "inbound_events",
        sa.Column("ref", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(500), nullable=True),
        sa.Column("agency", sa.String(64), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("process_id", sa.String(200), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("received_by", sa.String(100), nullable=False),
        _ts("received_at"),
        _ts("dispatched_at", nullable=True),
        sa.UniqueConstraint("source", "event_id", name="uq_inbound_events_source_event_id"),
    )
    op.create_index("ix_inbound_events_agency", "inbound_events", ["agency"])
    op.create_index("ix_inbound_events_process_id", "inbound_events", ["process_id"])

    op.create_table(
        "promotion_periods",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("promotion_type", sa.String(32), nullable=False),
        sa.Column("rulebook_version", sa.String(64), nullable=False),
        sa.Column("member_source", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=True),
        sa.Column("started", sa.Integer(), nullable=False),
        sa.Column("already_running", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("event_ref", sa.String(64), nullable=True),
        sa.Column("requested_by", sa.String(100), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("completed_at", nullable=True),
    )
    op.create_index(
        "ix_promotion_periods_agency_period", "promotion_periods", ["agency", "period"]
    )

    op.create_table(
        "promotion_period_members",
        sa.Column("period_id", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("nip", sa.String(18), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.UniqueConstraint("period_id", "nip", name="uq_promotion_period_members_period_nip"),
    )

    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("body_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("response_status", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("response_status")
        batch.drop_column("body_hash")
    op.drop_table("promotion_period_members")
    op.drop_index("ix_promotion_periods_agency_period", table_name="promotion_periods")
    op.drop_table("promotion_periods")
    op.drop_index("ix_inbound_events_process_id", table_name="inbound_events")
    op.drop_index("ix_inbound_events_agency", table_name="inbound_events")
    op.drop_table("inbound_events")

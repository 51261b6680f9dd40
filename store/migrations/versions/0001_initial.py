"""Initial schema: ledger, chain heads, employees, promotion read model, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("entry_id", sa.String(200), primary_key=True),
        sa.Column("process_id", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("process_kind", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("stage_before", sa.String(64), nullable=True),
        sa.Column("stage_after", sa.String(64), nullable=True),
        sa.Column("actor_id", sa.String(100), nullable=False),
        sa.Column("actor_role", sa.String(64), nullable=False),
        sa.Column("actor_agency", sa.String(64), nullable=True),
        sa.Column("on_behalf_of", sa.String(100), nullable=True),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("agency", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("rulebook_version", sa.String(64), nullable=True),
        sa.Column("workflow_id", sa.String(255), nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("update_id", sa.String(255), nullable=True),
        _ts("occurred_at"),
        _ts("recorded_at"),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("process_id", "seq", name="uq_ledger_entries_process_seq"),
    )
    op.create_index("ix_ledger_entries_process_id", "ledger_entries", ["process_id"])
    op.create_index(
        "ix_ledger_entries_agency_recorded_at", "ledger_entries", ["agency", "recorded_at"]
    )
    op.create_index("ix_ledger_entries_actor_id", "ledger_entries", ["actor_id"])

    op.create_table(
        "ledger_heads",
        sa.Column("process_id", sa.String(200), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )

    op.create_table(
        "employees",
        sa.Column("nip", sa.String(18), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
    )
    op.create_index("ix_employees_agency", "employees", ["agency"])

    op.create_table(
        "promotions",
        sa.Column("process_id", sa.String(200), primary_key=True),
        sa.Column("nip", sa.String(18), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("promotion_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("pending_step", sa.String(64), nullable=True),
        sa.Column("pending_role", sa.String(64), nullable=True),
        sa.Column("pending_actor_id", sa.String(100), nullable=True),
        sa.Column("escalated_to_role", sa.String(64), nullable=True),
        _ts("reminder_at", nullable=True),
        _ts("due_at", nullable=True),
        _ts("auto_approve_at", nullable=True),
        sa.Column("eligibility", sa.JSON(), nullable=True),
        sa.Column("decree", sa.JSON(), nullable=True),
        sa.Column("last_decision", sa.JSON(), nullable=True),
        sa.Column("return_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rulebook_version", sa.String(64), nullable=False),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
    )
    op.create_index("ix_promotions_nip", "promotions", ["nip"])
    op.create_index("ix_promotions_agency", "promotions", ["agency"])
    op.create_index("ix_promotions_period", "promotions", ["period"])
    op.create_index("ix_promotions_status", "promotions", ["status"])

    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("scope", sa.String(100), nullable=False),
        sa.Column("process_id", sa.String(200), nullable=False),
        _ts("created_at"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_promotions_status", table_name="promotions")
    op.drop_index("ix_promotions_period", table_name="promotions")
    op.drop_index("ix_promotions_agency", table_name="promotions")
    op.drop_index("ix_promotions_nip", table_name="promotions")
    op.drop_table("promotions")
    op.drop_index("ix_employees_agency", table_name="employees")
    op.drop_table("employees")
    op.drop_table("ledger_heads")
    op.drop_index("ix_ledger_entries_actor_id", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_agency_recorded_at", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_process_id", table_name="ledger_entries")
    op.drop_table("ledger_entries")

"""Third-party reviews: review bodies, reviewers, conflicts, the review read model, tasks.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "review_bodies",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("accreditation_level", sa.String(4), nullable=True),
        sa.Column("head_reviewer_id", sa.String(200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at"),
    )
    op.create_table(
        "reviewers",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("body_code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_reviewers_body_code", "reviewers", ["body_code"])
    op.create_table(
        "reviewer_conflicts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("reviewer_id", sa.String(200), nullable=False),
        sa.Column("person_id", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("review_id", sa.String(200), nullable=True),
        _ts("declared_at"),
    )
    op.create_index("ix_reviewer_conflicts_reviewer_id", "reviewer_conflicts", ["reviewer_id"])
    op.create_index("ix_reviewer_conflicts_person_id", "reviewer_conflicts", ["person_id"])
    op.create_table(
        "reviews",
        sa.Column("review_id", sa.String(200), primary_key=True),
        sa.Column("subject_type", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("parent_process_id", sa.String(200), nullable=True),
        sa.Column("agency", sa.String(32), nullable=True),
        sa.Column("body_code", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("quorum", sa.String(32), nullable=False),
        sa.Column("required_reviewers", sa.Integer(), nullable=False),
        sa.Column("head_reviewer_id", sa.String(200), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        _ts("reminder_at", nullable=True),
        _ts("due_at", nullable=True),
        sa.Column("findings", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
    )
    for col in ("subject_type", "parent_process_id", "agency", "body_code", "status"):
        op.create_index(f"ix_reviews_{col}", "reviews", [col])
    op.create_table(
        "review_seats",
        sa.Column("review_id", sa.String(200), primary_key=True),
        sa.Column("reviewer_id", sa.String(200), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=True),
        _ts("updated_at"),
    )
    op.create_index("ix_review_seats_reviewer_status", "review_seats", ["reviewer_id", "status"])
    with op.batch_alter_table("promotions") as batch:
        batch.add_column(sa.Column("pending_review_id", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("promotions") as batch:
        batch.drop_column("pending_review_id")
    op.drop_table("review_seats")
    op.drop_table("reviews")
    op.drop_table("reviewer_conflicts")
    op.drop_table("reviewers")
    op.drop_table("review_bodies")

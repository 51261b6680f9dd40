"""Talent management: the HR inputs, reviews with their people, declarations and objections, the
pool, critical posts and succession plans, approvals, and talent appointments.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "talent_appointments",
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("post_id", sa.String(length=64), nullable=False),
        sa.Column("post_title", sa.String(length=300), nullable=False),
        sa.Column("post_level", sa.String(length=16), nullable=False),
        sa.Column("vacated_on", sa.Date(), nullable=False),
        sa.Column("successor_nip", sa.String(length=18), nullable=False),
        sa.Column("successor_name", sa.String(length=200), nullable=False),
        sa.Column("appointing_authority_id", sa.String(length=100), nullable=False),
        sa.Column("oversight_body", sa.String(length=64), nullable=False),
        sa.Column("rulebook_version", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("review_id", sa.String(length=200), nullable=True),
        sa.Column("decree", sa.JSON(), nullable=True),
        sa.Column("selection_id", sa.String(length=200), nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("process_id"),
    )
    with op.batch_alter_table("talent_appointments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talent_appointments_agency"), ["agency"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_talent_appointments_successor_nip"), ["successor_nip"], unique=False
        )

    op.create_table(
        "talent_approvals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("talent_approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talent_approvals_agency"), ["agency"], unique=False)

    op.create_table(
        "talent_critical_posts",
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("post_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("post_level", sa.String(length=16), nullable=False),
        sa.Column("job_family", sa.String(length=64), nullable=True),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("marked_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency", "post_id"),
    )
    op.create_table(
        "talent_declarations",
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("member_id", sa.String(length=100), nullable=False),
        sa.Column("conflicted", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("process_id", "member_id"),
    )
    op.create_table(
        "talent_objections",
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("new_box", sa.Integer(), nullable=True),
        sa.Column("answered_by", sa.String(length=100), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("process_id", "nip"),
    )
    op.create_table(
        "talent_people",
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("record", sa.JSON(), nullable=True),
        sa.Column("excluded_code", sa.String(length=32), nullable=True),
        sa.Column("excluded_reason", sa.Text(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=True),
        sa.Column("talent_score", sa.Float(), nullable=True),
        sa.Column("computed_box", sa.Integer(), nullable=True),
        sa.Column("box", sa.Integer(), nullable=True),
        sa.Column("moved_by", sa.String(length=100), nullable=True),
        sa.Column("move_justification", sa.Text(), nullable=True),
        sa.Column("published_box", sa.Integer(), nullable=True),
        sa.Column("final_box", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("process_id", "nip"),
    )
    with op.batch_alter_table("talent_people", schema=None) as batch_op:
        batch_op.create_index("ix_talent_people_box", ["process_id", "box"], unique=False)
        batch_op.create_index(batch_op.f("ix_talent_people_nip"), ["nip"], unique=False)

    op.create_table(
        "talent_pool",
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("box", sa.Integer(), nullable=False),
        sa.Column("talent_score", sa.Float(), nullable=False),
        sa.Column("review_id", sa.String(length=200), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency", "nip"),
    )
    with op.batch_alter_table("talent_pool", schema=None) as batch_op:
        batch_op.create_index("ix_talent_pool_review", ["review_id"], unique=False)

    op.create_table(
        "talent_profiles",
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nip"),
    )
    with op.batch_alter_table("talent_profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talent_profiles_agency"), ["agency"], unique=False)

    op.create_table(
        "talent_reviews",
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("population", sa.JSON(), nullable=False),
        sa.Column("cutoff_date", sa.Date(), nullable=False),
        sa.Column("rulebook_version", sa.String(length=64), nullable=False),
        sa.Column("committee", sa.JSON(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("waiting_for", sa.JSON(), nullable=False),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("cut_off", sa.Boolean(), nullable=False),
        sa.Column("calibration_open", sa.Boolean(), nullable=False),
        sa.Column("objections_close_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("objections_closed", sa.Boolean(), nullable=False),
        sa.Column("finalized", sa.Boolean(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("process_id"),
        sa.UniqueConstraint("agency", "code", name="uq_talent_reviews_agency_code"),
    )
    with op.batch_alter_table("talent_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talent_reviews_agency"), ["agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_talent_reviews_stage"), ["stage"], unique=False)

    op.create_table(
        "talent_succession",
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("post_id", sa.String(length=64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency", "post_id", "rank"),
    )
    with op.batch_alter_table("talent_succession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talent_succession_nip"), ["nip"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("talent_succession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_succession_nip"))

    op.drop_table("talent_succession")
    with op.batch_alter_table("talent_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_reviews_stage"))
        batch_op.drop_index(batch_op.f("ix_talent_reviews_agency"))

    op.drop_table("talent_reviews")
    with op.batch_alter_table("talent_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_profiles_agency"))

    op.drop_table("talent_profiles")
    with op.batch_alter_table("talent_pool", schema=None) as batch_op:
        batch_op.drop_index("ix_talent_pool_review")

    op.drop_table("talent_pool")
    with op.batch_alter_table("talent_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_people_nip"))
        batch_op.drop_index("ix_talent_people_box")

    op.drop_table("talent_people")
    op.drop_table("talent_objections")
    op.drop_table("talent_declarations")
    op.drop_table("talent_critical_posts")
    with op.batch_alter_table("talent_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_approvals_agency"))

    op.drop_table("talent_approvals")
    with op.batch_alter_table("talent_appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_appointments_successor_nip"))
        batch_op.drop_index(batch_op.f("ix_talent_appointments_agency"))

    op.drop_table("talent_appointments")

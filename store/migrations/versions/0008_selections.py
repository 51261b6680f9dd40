"""Open selection: the read model, its panel, applicants, declarations, scores, announcements.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "selections",
        sa.Column("process_id", sa.String(200), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("post_title", sa.String(300), nullable=False),
        sa.Column("post_level", sa.String(16), nullable=False),
        sa.Column("rulebook_version", sa.String(64), nullable=False),
        sa.Column("appointing_authority_id", sa.String(100), nullable=False),
        sa.Column("oversight_body", sa.String(64), nullable=False),
        sa.Column("assessment_body", sa.String(200), nullable=True),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("scheme", sa.JSON(), nullable=True),
        sa.Column("scheme_frozen", sa.Boolean(), nullable=False),
        sa.Column("scorers", sa.JSON(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("registration_opens", sa.Date(), nullable=True),
        sa.Column("registration_closes", sa.Date(), nullable=True),
        _ts("registration_closes_at", nullable=True),
        _ts("registration_counted_at", nullable=True),
        sa.Column("extensions", sa.Integer(), nullable=False),
        sa.Column("applicants", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("shortlist", sa.JSON(), nullable=True),
        sa.Column("plenary", sa.JSON(), nullable=True),
        sa.Column("plan_review_id", sa.String(200), nullable=True),
        sa.Column("shortlist_review_id", sa.String(200), nullable=True),
        sa.Column("return_count", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=True),
        sa.Column("appointee_id", sa.String(100), nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("waiting_for", sa.JSON(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("agency", "code", name="uq_selections_agency_code"),
    )
    for col in ("agency", "post_level", "appointing_authority_id", "stage", "status"):
        op.create_index(f"ix_selections_{col}", "selections", [col])

    op.create_table(
        "selection_panel",
        sa.Column("process_id", sa.String(200), primary_key=True),
        sa.Column("member_id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("affiliation", sa.String(200), nullable=False),
    )
    op.create_index("ix_selection_panel_member_id", "selection_panel", ["member_id"])

    op.create_table(
        "selection_applicants",
        sa.Column("process_id", sa.String(200), primary_key=True),
        sa.Column("applicant_id", sa.String(100), primary_key=True),
        sa.Column("nip", sa.String(18), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("degree", sa.String(8), nullable=False),
        sa.Column("years_experience", sa.Float(), nullable=False),
        sa.Column("years_senior_post", sa.Float(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("grade", sa.String(8), nullable=True),
        sa.Column("sanction_active", sa.Boolean(), nullable=False),
        sa.Column("posts", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        _ts("registered_at"),
        sa.Column("registered_by", sa.String(100), nullable=False),
        sa.Column("auto_eligible", sa.Boolean(), nullable=True),
        sa.Column("auto_reasons", sa.JSON(), nullable=True),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("final_eligible", sa.Boolean(), nullable=True),
        sa.Column("decision_justification", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=True),
        _ts("decided_at", nullable=True),
        sa.UniqueConstraint("process_id", "nip", name="uq_selection_applicants_process_nip"),
    )

    op.create_table(
        "selection_declarations",
        sa.Column("process_id", sa.String(200), primary_key=True),
        sa.Column("scorer_id", sa.String(100), primary_key=True),
        sa.Column("conflicted", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _ts("declared_at"),
        _ts("updated_at"),
    )

    op.create_table(
        "selection_scores",
        sa.Column("process_id", sa.String(200), primary_key=True),
        sa.Column("component", sa.String(32), primary_key=True),
        sa.Column("applicant_id", sa.String(100), primary_key=True),
        sa.Column("scorer_id", sa.String(100), primary_key=True),
        sa.Column("score", sa.Float(), nullable=False),
        _ts("submitted_at"),
        sa.Column("amendments", sa.Integer(), nullable=False),
        _ts("amended_at", nullable=True),
    )
    op.create_index(
        "ix_selection_scores_scorer", "selection_scores", ["process_id", "scorer_id", "component"]
    )

    op.create_table(
        "selection_announcements",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("process_id", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        _ts("published_at"),
        sa.UniqueConstraint(
            "process_id", "key", name="uq_selection_announcements_process_key"
        ),
    )


def downgrade() -> None:
    op.drop_table("selection_announcements")
    op.drop_index("ix_selection_scores_scorer", table_name="selection_scores")
    op.drop_table("selection_scores")
    op.drop_table("selection_declarations")
    op.drop_table("selection_applicants")
    op.drop_index("ix_selection_panel_member_id", table_name="selection_panel")
    op.drop_table("selection_panel")
    for col in ("status", "stage", "appointing_authority_id", "post_level", "agency"):
        op.drop_index(f"ix_selections_{col}", table_name="selections")
    op.drop_table("selections")

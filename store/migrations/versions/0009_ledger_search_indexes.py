"""Ledger indexes that follow the auditor's search order ``(recorded_at, entry_id)``.

Searches page by ``(recorded_at, entry_id)``. Over a million entries, those with no agency or
actor filter (a time window, a kind, an outcome, a subject alone) scanned the table (p50 0.5 to
1.1 s in ``bench/audit_ledger.py``). Each index below ends in the page order, so a filtered page
is an index range read in order, stopped at the page size:

- ``(recorded_at, entry_id)``: time windows, and kind/outcome/process-kind filters walked in order;
- ``(subject, recorded_at, entry_id)``: one employee's or applicant's history across processes;
- ``(agency, recorded_at, entry_id)`` and ``(actor_id, recorded_at, entry_id)`` replace the
  two-column and one-column indexes they extend.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "ledger_entries"


def upgrade() -> None:
    op.create_index("ix_ledger_entries_recorded_at_entry", TABLE, ["recorded_at", "entry_id"])
    op.create_index(
        "ix_ledger_entries_subject_recorded_at", TABLE, ["subject", "recorded_at", "entry_id"]
    )
    op.create_index(
        "ix_ledger_entries_agency_recorded_at_entry", TABLE, ["agency", "recorded_at", "entry_id"]
    )
    op.drop_index("ix_ledger_entries_agency_recorded_at", table_name=TABLE)
    op.create_index(
        "ix_ledger_entries_actor_recorded_at", TABLE, ["actor_id", "recorded_at", "entry_id"]
    )
    op.drop_index("ix_ledger_entries_actor_id", table_name=TABLE)


def downgrade() -> None:
    op.create_index("ix_ledger_entries_actor_id", TABLE, ["actor_id"])
    op.drop_index("ix_ledger_entries_actor_recorded_at", table_name=TABLE)
    op.create_index("ix_ledger_entries_agency_recorded_at", TABLE, ["agency", "recorded_at"])
    op.drop_index("ix_ledger_entries_agency_recorded_at_entry", table_name=TABLE)
    op.drop_index("ix_ledger_entries_subject_recorded_at", table_name=TABLE)
    op.drop_index("ix_ledger_entries_recorded_at_entry", table_name=TABLE)

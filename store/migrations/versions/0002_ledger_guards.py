"""Ledger guards: triggers that reject UPDATE and DELETE on ledger_entries.

The ledger is append-only by design; these triggers make the database refuse a rewrite too, so a
bug (or a stray console session) cannot change history without going around them on purpose. On
PostgreSQL, TRUNCATE is refused as well. ``ledger_heads`` is left alone: each append moves its head.

Going around them is possible and deliberate: on SQLite, ``DROP TRIGGER``; on PostgreSQL, a
superuser's ``SET session_replication_role = replica`` or ``ALTER TABLE ... DISABLE TRIGGER``. The
hash chain still catches what that lets through.

Note for later revisions on SQLite: a batch ("move and copy") alteration of ledger_entries recreates
the table without these triggers; such a revision must create them again.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "ledger_entries is append-only"

SQLITE_TRIGGERS = {
    "ledger_entries_no_update": "UPDATE",
    "ledger_entries_no_delete": "DELETE",
}

PG_FUNCTION = "ledger_entries_append_only"
PG_ROW_TRIGGER = "ledger_entries_no_update_delete"
PG_TRUNCATE_TRIGGER = "ledger_entries_no_truncate"


def _sqlite_upgrade() -> None:
    for name, operation in SQLITE_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {operation} ON ledger_entries "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def _postgresql_upgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP
                USING ERRCODE = 'P0001', HINT = 'Ledger entries are never changed or removed.';
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER {PG_ROW_TRIGGER} BEFORE UPDATE OR DELETE ON ledger_entries "
        f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
    )
    op.execute(
        f"CREATE TRIGGER {PG_TRUNCATE_TRIGGER} BEFORE TRUNCATE ON ledger_entries "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
    )


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgresql_upgrade()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"no ledger guards for {dialect}")


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {PG_TRUNCATE_TRIGGER} ON ledger_entries")
        op.execute(f"DROP TRIGGER IF EXISTS {PG_ROW_TRIGGER} ON ledger_entries")
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")

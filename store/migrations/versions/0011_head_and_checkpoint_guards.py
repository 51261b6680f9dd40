"""Guards beyond the entries: chain heads move only forward, the Merkle tree and the signed
checkpoints are append-only.

- ``ledger_heads``: a head is created at the genesis (seq 0) and updated only one step forward, to
  the hash of the entry just appended at that sequence number; it is never deleted. So a head
  cannot be wound back to hide a truncated tail, or set to a forged hash.
- ``checkpoints``, ``merkle_leaves``, ``merkle_nodes``: never updated or deleted.

As with 0002, going around them is possible and deliberate (SQLite ``DROP TRIGGER``; PostgreSQL
``session_replication_role = replica``): what then catches a rewrite is the signed checkpoints
published outside the database and the workflow histories (see README, "Tamper evidence").

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
APPEND_ONLY = ("checkpoints", "merkle_leaves", "merkle_nodes")
HEAD_MESSAGE = "ledger_heads only move forward to the entry just appended"
# A head moves from seq to seq + 1, and only to the hash of the entry stored at seq + 1.
HEAD_FORWARD = (
    "NEW.process_id <> OLD.process_id OR NEW.seq <> OLD.seq + 1 OR NEW.hash IS DISTINCT FROM ("
    "SELECT e.hash FROM ledger_entries e WHERE e.process_id = NEW.process_id AND e.seq = NEW.seq)"
)


def _sqlite_upgrade() -> None:
    for table in APPEND_ONLY:
        for op_name in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    op.execute(
        "CREATE TRIGGER ledger_heads_genesis BEFORE INSERT ON ledger_heads "
        f"WHEN NEW.seq <> 0 OR NEW.hash <> '{GENESIS}' "
        f"BEGIN SELECT RAISE(ABORT, '{HEAD_MESSAGE}'); END"
    )
    op.execute(
        f"CREATE TRIGGER ledger_heads_forward BEFORE UPDATE ON ledger_heads WHEN {HEAD_FORWARD} "
        f"BEGIN SELECT RAISE(ABORT, '{HEAD_MESSAGE}'); END"
    )
    op.execute(
        "CREATE TRIGGER ledger_heads_no_delete BEFORE DELETE ON ledger_heads "
        f"BEGIN SELECT RAISE(ABORT, '{HEAD_MESSAGE}'); END"
    )


def _postgresql_upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION meritflow_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'P0001';
        END
        $$
        """
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION meritflow_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION meritflow_append_only()"
        )
    op.execute(
        f"""
        CREATE FUNCTION ledger_heads_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' AND NEW.seq = 0 AND NEW.hash = '{GENESIS}' THEN
                RETURN NEW;
            END IF;
            IF TG_OP = 'UPDATE' AND NOT ({HEAD_FORWARD}) THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '{HEAD_MESSAGE}: % refused', TG_OP USING ERRCODE = 'P0001';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER ledger_heads_forward BEFORE INSERT OR UPDATE OR DELETE ON ledger_heads "
        "FOR EACH ROW EXECUTE FUNCTION ledger_heads_forward_only()"
    )
    op.execute(
        "CREATE TRIGGER ledger_heads_no_truncate BEFORE TRUNCATE ON ledger_heads "
        "FOR EACH STATEMENT EXECUTE FUNCTION meritflow_append_only()"
    )


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgresql_upgrade()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"no guards for {dialect}")


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for table in APPEND_ONLY:
            for op_name in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op_name}")
        for name in ("ledger_heads_genesis", "ledger_heads_forward", "ledger_heads_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP TRIGGER IF EXISTS ledger_heads_forward ON ledger_heads")
    op.execute("DROP TRIGGER IF EXISTS ledger_heads_no_truncate ON ledger_heads")
    op.execute("DROP FUNCTION IF EXISTS ledger_heads_forward_only()")
    op.execute("DROP FUNCTION IF EXISTS meritflow_append_only()")

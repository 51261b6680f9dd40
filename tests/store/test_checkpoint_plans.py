"""The reads of one process's verification use indexes on SQLite, not scans of the whole tree.

With a million leaves, one scan of ``merkle_leaves`` or ``merkle_nodes`` costs about a second, and
the verification of one process made one per entry (bench.audit_ledger, 2026-12-04: a 9-20 entry
promotion took 1,045 ms at p50). Each statement these functions send is asked for SQLite's plan.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from infra.db import create_engine, migrate, session_factory
from store import checkpoints


async def test_one_process_is_read_through_indexes(tmp_path: Path) -> None:
    path = tmp_path / "plans.db"
    url = f"sqlite+aiosqlite:///{path}"
    await migrate(url)
    engine = create_engine(url)
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "merkle_" in statement:
            sent.append((statement, params))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with session_factory(engine)() as session:
            await checkpoints.leaves_of_process(session, "promotion-1-2027-04", 1_000)
            await checkpoints.leaves_of(session, ["promotion-1-2027-04:start", "x:1"])
            with pytest.raises(checkpoints.TreeIncomplete):
                await checkpoints.inclusion_proofs(session, [3, 17, 600], 1_000)
    finally:
        await engine.dispose()

    assert len(sent) >= 3
    db = sqlite3.connect(path)
    try:
        for statement, params in sent:
            plan = " | ".join(
                row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}", params)
            )
            assert "SCAN merkle_" not in plan, (statement, plan)
            assert "rowid<" not in plan, (statement, plan)  # a range over nearly every leaf
    finally:
        db.close()

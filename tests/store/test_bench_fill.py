"""The audit benchmark's bulk fill writes chains the store verifies, and leaves the head guards in
place (it lifts the genesis guard for its one bulk insert of heads only)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench._ledger_fill import fill
from infra.db import create_engine, migrate, session_factory
from store import ledger


async def test_a_filled_ledger_verifies_and_keeps_its_guards(tmp_path: Path) -> None:
    db = tmp_path / "fill.db"
    url = f"sqlite+aiosqlite:///{db}"
    await migrate(url)
    stats = fill(db, 400, seed=7, progress=False)
    assert stats.entries == 400 and sum(stats.sizes.values()) == 400

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            for pid in list(stats.sizes)[:25]:
                result = await ledger.verify(session, pid)
                assert result.ok, result
    finally:
        await engine.dispose()

    con = sqlite3.connect(db)
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
        assert {"ledger_heads_genesis", "ledger_heads_forward"} <= names
        with pytest.raises(sqlite3.IntegrityError, match="only move forward"):
            con.execute("INSERT INTO ledger_heads (process_id, seq, hash) VALUES ('x', 5, 'h')")
    finally:
        con.close()

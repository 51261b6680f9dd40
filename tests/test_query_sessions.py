"""The queries behind pages and GETs read through ``store.reads.reading`` (autocommit on
PostgreSQL: no BEGIN and ROLLBACK around their SELECTs), except the export, which needs its one
REPEATABLE READ snapshot."""

from __future__ import annotations

from pathlib import Path

QUERIES = Path(__file__).resolve().parent.parent / "actions" / "queries"
OWN_TRANSACTION = {"export.py"}


def test_queries_open_their_sessions_for_reading() -> None:
    plain, read = [], 0
    for path in sorted(QUERIES.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        read += text.count("reading(services.sessions)")
        if path.name not in OWN_TRANSACTION and "services.sessions()" in text:
            plain.append(path.name)
    assert plain == []
    assert read >= 30  # the queries found, so that an empty glob cannot pass

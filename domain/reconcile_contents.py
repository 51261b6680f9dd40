"""What an entry says, compared field by field with the copy a workflow history holds of it.

Reconciliation (``domain/reconcile.py``) reports an entry edited in the database (and its chain
recomputed to hide it) when these fields differ from the history's copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.ledger import HASHED_FIELDS, LedgerEntryIn, canonical_json, entry_columns

# What an entry says, as opposed to where the ledger put it (seq, prev_hash, hash, recorded_at).
_CONTENT_FIELDS = tuple(f for f in HASHED_FIELDS if f != "recorded_at")


def changed_fields(copy: Mapping[str, Any], row: Mapping[str, Any]) -> list[str]:
    try:
        entry = LedgerEntryIn.model_validate(copy)
    except ValueError:
        return ["(the history's copy is unreadable)"]
    recorded = row.get("recorded_at")
    at = recorded if isinstance(recorded, datetime) else datetime.fromisoformat(str(recorded))
    expected = entry_columns(entry, recorded_at=at)
    return [
        f
        for f in _CONTENT_FIELDS
        if canonical_json(expected[f]) != canonical_json(_as_stored(row.get(f)))
    ]


def _as_stored(value: Any) -> Any:
    """Timestamps read back from an export or dict are ISO strings; the entry has datetimes."""
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value.endswith("Z"):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value

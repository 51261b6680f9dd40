"""The hash chain's fixed parts: canonical JSON, the hashed columns, the genesis hash, UTC spelling.

Standard library only at import, so that the offline verifier (``cli.verify``) starts without
pydantic (a third of a second); ``domain.ledger`` builds the entry model and the chain on these and
names them too. A value that is none of the JSON and standard types is tried as a pydantic model,
importing pydantic then, as ``domain.ledger`` always did.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

GENESIS_HASH = "0" * 64

# The columns a hash covers besides seq and prev_hash. A column added later must not be appended
# here (old hashes would stop matching); it would need a new chain version.
HASHED_FIELDS: tuple[str, ...] = (
    "entry_id",
    "process_id",
    "process_kind",
    "kind",
    "outcome",
    "stage_before",
    "stage_after",
    "actor_id",
    "actor_role",
    "actor_agency",
    "on_behalf_of",
    "subject",
    "agency",
    "payload",
    "justification",
    "rulebook_version",
    "workflow_id",
    "run_id",
    "update_id",
    "occurred_at",
    "recorded_at",
)


def iso_utc(value: datetime) -> str:
    """ISO-8601 in UTC with microseconds and a ``Z``; one spelling, so hashes and exports agree."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _encode_default(value: Any) -> Any:
    # datetime is a subclass of date, so it must be tested first.
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | UUID):
        return str(value)
    from pydantic import BaseModel  # here, not above: the verifier never gets this far

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot encode {type(value).__name__} in a ledger entry")


def canonical_json(obj: Any) -> bytes:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8, UTC timestamps, no NaN."""
    text = json.dumps(
        obj,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_encode_default,
    )
    return text.encode("utf-8")

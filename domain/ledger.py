"""The ledger's entry shape and its hash chain, with no database in sight.

This module is imported inside the Temporal workflow sandbox and by an offline verifier, so it
uses the standard library and pydantic only. The store computes hashes with the same functions,
which is what lets an export be checked without the database.

Chain rule: ``hash = sha256(canonical_json({"prev_hash", "seq", **hash_fields(row)}))`` where
``hash_fields`` is every stored column except ``hash`` (and except ``seq`` and ``prev_hash``, which
are passed separately). The first entry of a process links to :data:`GENESIS_HASH`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

# The chain's fixed parts live in domain.canonical (standard library only); named here as before.
from domain.canonical import GENESIS_HASH as GENESIS_HASH
from domain.canonical import HASHED_FIELDS as HASHED_FIELDS
from domain.canonical import canonical_json as canonical_json
from domain.canonical import iso_utc as iso_utc


def entry_id(process_id: str, origin: str, key: str | int) -> str:
    """The one entry-id scheme: ``<process>:<origin>:<key>``.

    - written by a workflow: origin is its run id, key the entry's number in that run;
    - written by the action pipeline for a request (a refusal, or an accepted action that does not
      go through a workflow): origin ``refused`` or ``accepted``, key the request's fingerprint;
    - written by an activity for a milestone of its own (a period's start, its end): origin the
      activity's subject, key the milestone.

    An id is deterministic, so a retried write finds its entry already there.
    """
    return f"{process_id}:{origin}:{key}"


class Actor(BaseModel):
    id: str
    role: str
    agency: str | None = None
    on_behalf_of: str | None = None


class LedgerEntryIn(BaseModel):
    """One decision or refused attempt, as an activity or the API hands it to the store."""

    entry_id: str
    process_id: str
    process_kind: str
    kind: str
    outcome: Literal["accepted", "refused"]
    stage_before: str | None = None
    stage_after: str | None = None
    actor: Actor
    subject: str | None = None
    agency: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    justification: str | None = None
    rulebook_version: str | None = None
    workflow_id: str | None = None
    run_id: str | None = None
    update_id: str | None = None
    occurred_at: AwareDatetime


def json_ready(obj: Any) -> Any:
    """The value as a JSON column gives it back, so that what is stored is what is hashed."""
    return json.loads(canonical_json(obj))


def entry_hash(prev_hash: str, seq: int, entry_fields: Mapping[str, Any]) -> str:
    reserved = {"prev_hash", "seq", "hash"} & entry_fields.keys()
    if reserved:
        raise ValueError(f"entry fields must not contain {sorted(reserved)}")
    body = {"prev_hash": prev_hash, "seq": seq, **entry_fields}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def hash_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed columns of a stored row (an ORM row's mapping or an exported dict)."""
    return {name: row[name] for name in HASHED_FIELDS}


def row_hash(row: Mapping[str, Any]) -> str:
    """Recompute the hash of a stored row from its own columns."""
    return entry_hash(str(row["prev_hash"]), int(row["seq"]), hash_fields(row))


def entry_columns(entry: LedgerEntryIn, *, recorded_at: datetime) -> dict[str, Any]:
    """Flatten an entry into its stored columns (without seq, prev_hash and hash).

    The payload is normalised through canonical JSON so that the value written to the JSON column
    and the value hashed are the same.
    """
    iso_utc(recorded_at)  # rejects a naive timestamp early
    return {
        "entry_id": entry.entry_id,
        "process_id": entry.process_id,
        "process_kind": entry.process_kind,
        "kind": entry.kind,
        "outcome": entry.outcome,
        "stage_before": entry.stage_before,
        "stage_after": entry.stage_after,
        "actor_id": entry.actor.id,
        "actor_role": entry.actor.role,
        "actor_agency": entry.actor.agency,
        "on_behalf_of": entry.actor.on_behalf_of,
        "subject": entry.subject,
        "agency": entry.agency,
        "payload": json_ready(entry.payload),
        "justification": entry.justification,
        "rulebook_version": entry.rulebook_version,
        "workflow_id": entry.workflow_id,
        "run_id": entry.run_id,
        "update_id": entry.update_id,
        "occurred_at": entry.occurred_at.astimezone(UTC),
        "recorded_at": recorded_at.astimezone(UTC),
    }

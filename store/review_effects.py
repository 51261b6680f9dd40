"""What a review's entries write beside them, in the ledger writer's transaction, in Core.

The same rows as ``reviews.save_review`` and ``reviews.add_conflicts`` write for the ORM path (the
review read model, its seats, a reviewer's declared conflicts), as deferred statements
(``Tx.defer``): a batch's reviews share one executemany per statement, and no ORM unit of work runs
on the ledger's path. A profile of the approvals bench had the ORM path at a quarter of the
writer's time in the API (the BKN review's declaration and verdict).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Executable, Table, bindparam

from store.ledger_writer import Tx, dialect_insert
from store.review_models import ReviewerConflict, ReviewSeat, ReviewView

REVIEWS: Table = ReviewView.__table__  # type: ignore[assignment]
SEATS: Table = ReviewSeat.__table__  # type: ignore[assignment]
CONFLICTS: Table = ReviewerConflict.__table__  # type: ignore[assignment]


def _param(table: Table, key: str) -> Any:
    return bindparam(f"v_{key}", type_=table.c[key].type)


@cache
def _upsert_review(dialect: str, keys: tuple[str, ...]) -> Executable:
    values = {k: _param(REVIEWS, k) for k in ("review_id", "created_at", "updated_at", *keys)}
    stmt = dialect_insert(dialect, REVIEWS).values(values)
    moved = {k: stmt.excluded[k] for k in (*keys, "updated_at")}
    return stmt.on_conflict_do_update(index_elements=["review_id"], set_=moved)


@cache
def _upsert_seat(dialect: str) -> Executable:
    keys = ("review_id", "reviewer_id", "status", "verdict", "updated_at")
    stmt = dialect_insert(dialect, SEATS).values({k: _param(SEATS, k) for k in keys})
    moved = {k: stmt.excluded[k] for k in ("status", "verdict", "updated_at")}
    return stmt.on_conflict_do_update(index_elements=["review_id", "reviewer_id"], set_=moved)


@cache
def _insert_conflict(dialect: str) -> Executable:
    keys = ("reviewer_id", "person_id", "reason", "review_id", "declared_at")
    return dialect_insert(dialect, CONFLICTS).values({k: _param(CONFLICTS, k) for k in keys})


def save_review(
    tx: Tx,
    review_id: str,
    view: Mapping[str, Any],
    seats: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
) -> None:
    """Deferred: the whole review read model and its seats as the workflow sees them."""
    unknown = view.keys() - REVIEWS.c.keys()
    if unknown or "review_id" in view:
        raise ValueError(f"not columns of a review's view: {sorted(unknown) or ['review_id']}")
    keys = tuple(sorted(view))
    params = {f"v_{k}": v for k, v in view.items()}
    params |= {"v_review_id": review_id, "v_created_at": now, "v_updated_at": now}
    tx.defer(_upsert_review(tx.dialect, keys), params)
    for seat in seats:
        tx.defer(
            _upsert_seat(tx.dialect),
            {
                "v_review_id": review_id,
                "v_reviewer_id": seat["reviewer_id"],
                "v_status": seat["status"],
                "v_verdict": seat.get("verdict"),
                "v_updated_at": now,
            },
        )


def add_conflicts(
    tx: Tx,
    reviewer_id: str,
    persons: Sequence[str],
    *,
    reason: str,
    review_id: str | None,
    now: datetime,
) -> None:
    """Deferred: a reviewer's declared conflict with each of ``persons``."""
    for person in persons:
        tx.defer(
            _insert_conflict(tx.dialect),
            {
                "v_reviewer_id": reviewer_id,
                "v_person_id": person,
                "v_reason": reason,
                "v_review_id": review_id,
                "v_declared_at": now,
            },
        )

"""What a promotion's entries write beside them, in the ledger writer's transaction, in Core.

The same rows as ``repositories.insert_promotion_if_absent`` / ``apply_promotion_patch`` and
``webhooks.enqueue_for_entry`` write for the ORM path, as plain statements over the writer's
connection: the read-model row (created if absent and patched, in one upsert) and the webhook
outbox rows (one delivery per event per live subscription that wants it, numbered per process and
subscription).
The read-model statements are deferred (``Tx.defer``), so a batch's callers share one executemany;
the live subscriptions are read once per batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Executable, Table, bindparam, func, select, update

from domain.enums import PromotionStatus
from domain.events import events_for_entry
from store.ledger_writer import Appended, Tx, dialect_insert
from store.models import LedgerEntry, PromotionView
from store.repositories import _PROMOTION_PATCHABLE as PROMOTION_PATCHABLE
from store.webhook_models import WebhookDelivery, WebhookSubscription
from store.webhooks import LIVE_STATUSES, ProcessView, entry_facts, new_id

PROMOTIONS: Table = PromotionView.__table__  # type: ignore[assignment]
SUBSCRIPTIONS: Table = WebhookSubscription.__table__  # type: ignore[assignment]
DELIVERIES: Table = WebhookDelivery.__table__  # type: ignore[assignment]
_SUBSCRIPTIONS_KEY = "webhook_subscriptions"


_INSERT_KEYS = (
    "process_id",
    "nip",
    "agency",
    "period",
    "promotion_type",
    "status",
    "stage",
    "return_count",
    "rulebook_version",
    "created_at",
    "updated_at",
)


def _binds(keys: Sequence[str]) -> dict[str, Any]:
    return {k: bindparam(f"v_{k}", type_=PROMOTIONS.c[k].type) for k in keys}


@cache
def _patch_promotion(keys: tuple[str, ...]) -> Executable:
    """The patch as an UPDATE of a row that exists."""
    where = PROMOTIONS.c.process_id == bindparam("k_process_id")
    return update(PROMOTIONS).where(where).values(_binds(keys))


@cache
def _upsert_promotion(dialect: str, keys: tuple[str, ...]) -> Executable:
    """The patch as an upsert that first creates the row with the promotion's identity if it is
    absent: one statement."""
    stmt = dialect_insert(dialect, PROMOTIONS).values(_binds(sorted({*_INSERT_KEYS, *keys})))
    return stmt.on_conflict_do_update(
        index_elements=["process_id"], set_={k: stmt.excluded[k] for k in keys}
    )


def write_promotion(
    tx: Tx,
    process_id: str,
    patch: Mapping[str, Any],
    *,
    now: datetime,
    identity: Mapping[str, Any] | None = None,
) -> None:
    """Deferred: the read model's columns as the workflow sees them; with ``identity`` (nip,
    agency, period, promotion_type, rulebook_version) the row is created first if absent, as a
    new promotion's (status and stage ``starting``), so that no write lands on a missing row.

    The same row as inserting it if absent and then updating it, in one statement: whoever writes
    first (usually the API, when it starts the promotion) creates it."""
    unknown = patch.keys() - PROMOTION_PATCHABLE
    if unknown:
        raise ValueError(f"not patchable on promotions: {sorted(unknown)}")
    values = {**patch, "updated_at": now}
    keys = tuple(sorted(values))
    if identity is None:
        params = {f"v_{k}": v for k, v in values.items()}
        params["k_process_id"] = process_id
        tx.defer(_patch_promotion(keys), params)
        return
    starting = PromotionStatus.STARTING.value
    row = {
        **identity,
        "process_id": process_id,
        "status": starting,
        "stage": starting,
        "return_count": 0,
        "created_at": now,
        **values,
    }
    tx.defer(_upsert_promotion(tx.dialect, keys), {f"v_{k}": v for k, v in row.items()})


# Read once per writer batch; built once per process (see store/ledger_writer.py).
_LIVE_SUBSCRIPTIONS = (
    select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.agency, SUBSCRIPTIONS.c.event_types)
    .where(SUBSCRIPTIONS.c.status.in_(LIVE_STATUSES))
    .order_by(SUBSCRIPTIONS.c.id)
)


async def _live_subscriptions(tx: Tx) -> list[tuple[str, str | None, list[str]]]:
    cached: list[tuple[str, str | None, list[str]]] | None = tx.cache.get(_SUBSCRIPTIONS_KEY)
    if cached is None:
        rows = (await tx.execute(_LIVE_SUBSCRIPTIONS)).all()
        cached = [(str(i), a, list(t)) for i, a, t in rows]
        tx.cache[_SUBSCRIPTIONS_KEY] = cached
    return cached


async def _next_seqs(tx: Tx, process_id: str, subscription_ids: Sequence[str]) -> dict[str, int]:
    stmt = (
        select(DELIVERIES.c.subscription_id, func.max(DELIVERIES.c.seq))
        .where(
            DELIVERIES.c.process_id == process_id,
            DELIVERIES.c.subscription_id.in_(subscription_ids),
        )
        .group_by(DELIVERIES.c.subscription_id)
    )
    last = {str(sid): int(seq) for sid, seq in (await tx.execute(stmt)).all()}
    return {sid: last.get(sid, 0) + 1 for sid in subscription_ids}


async def enqueue_outbox(tx: Tx, appended: Appended, view: ProcessView) -> int:
    """Queue the deliveries of one entry written now; returns how many."""
    if not appended.created:
        return 0
    subscriptions = await _live_subscriptions(tx)
    if not subscriptions:
        return 0
    entry = LedgerEntry(**appended.columns)  # transient: the event mapping reads its attributes
    events = events_for_entry(entry_facts(entry, view))
    agency = entry.agency
    wanted = [
        (sid, [e for e in events if e.type in types])
        for sid, sub_agency, types in subscriptions
        if sub_agency is None or sub_agency == agency
    ]
    wanted = [(sid, evs) for sid, evs in wanted if evs]
    if not wanted:
        return 0
    next_seq = await _next_seqs(tx, entry.process_id, [sid for sid, _ in wanted])
    rows: list[dict[str, Any]] = []
    for sid, evs in wanted:
        for event in evs:
            rows.append(_delivery(sid, entry, event.id, event.type, event.model_dump(mode="json")))
            rows[-1]["seq"] = next_seq[sid]
            next_seq[sid] += 1
    await tx.execute(DELIVERIES.insert(), rows)
    return len(rows)


def _delivery(
    sid: str, entry: LedgerEntry, event_id: str, event_type: str, payload: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": new_id("msg"),
        "subscription_id": sid,
        "process_id": entry.process_id,
        "event_id": event_id,
        "event_type": event_type,
        "ledger_entry_id": entry.entry_id,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "replays": 0,
        "round_attempts": 0,
        "created_at": entry.recorded_at,
    }

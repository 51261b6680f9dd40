"""The selection's row (read model and gate), its lock, its panel and its announcements.

The row is written in full by the workflow's recording activity (:func:`write_view`): that is the
only writer of ``stage`` and ``status``. Before the workflow exists the starting action inserts it
once (:func:`insert_if_absent`); the activities that close a stage move only gate columns
(:func:`update_gate`), in the transaction that counts.

Every writer starts with :func:`lock`: ``UPDATE selections SET lock_version = lock_version + 1``
takes the row lock on PostgreSQL and the database's write lock on SQLite before anything is read,
so the gate it then reads (stage, window, open components, scorers) cannot change under it. The
lock order is always the selection row first, then the ledger head (``store.ledger.append``).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound
from domain.ledger import json_ready
from store.audit import InvalidCursor
from store.repositories import _insert, insert_ignore
from store.selection_models import Selection, SelectionAnnouncement, SelectionPanelMember
from store.selection_records import (
    AnnouncementData,
    PanelMemberData,
    SelectionIdentity,
    SelectionViewData,
)

_VIEW_JSON = ("scheme", "scorers", "components", "shortlist", "plenary", "findings", "waiting_for")
# Identity columns that name the row; an upsert never changes them.
_FIXED = frozenset({"agency", "code"})
# Gate columns a stage-closing activity may move in its own locked transaction. Never the stage:
# that is the workflow's, written with its view.
_GATE = frozenset({"components", "registration_closes_at", "extensions", "applicants", "eligible"})


async def lock(session: AsyncSession, process_id: str) -> Selection:
    """Take the selection's lock (row lock / SQLite write lock), then read the row; NotFound."""
    stmt = (
        update(Selection)
        .where(Selection.process_id == process_id)
        .values(lock_version=Selection.lock_version + 1)
        .execution_options(synchronize_session=False)
    )
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    if result.rowcount != 1:
        raise NotFound(f"No selection {process_id!r}.", code="selection_not_found")
    row = await session.get(Selection, process_id, populate_existing=True)
    assert row is not None  # the UPDATE above found it, and it holds the lock
    return row


async def get(session: AsyncSession, process_id: str) -> Selection | None:
    return await session.get(Selection, process_id)


def _encode_cursor(process_id: str) -> str:
    return base64.urlsafe_b64encode(process_id.encode("utf-8")).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        process_id = raw.decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidCursor("the cursor is not one this API returned") from exc
    if not process_id:
        raise InvalidCursor("the cursor is not one this API returned")
    return process_id


async def list_selections(
    session: AsyncSession,
    *,
    agency: str | None,
    stage: str | None,
    post_level: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Selection], str | None]:
    """A page in process id order and the cursor of the next page (None on the last one).

    Raises ``store.audit.InvalidCursor`` (a ValueError) for a cursor this function did not make.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    stmt = select(Selection)
    if agency is not None:
        stmt = stmt.where(Selection.agency == agency)
    if stage is not None:
        stmt = stmt.where(Selection.stage == stage)
    if post_level is not None:
        stmt = stmt.where(Selection.post_level == post_level)
    if cursor is not None:
        stmt = stmt.where(Selection.process_id > _decode_cursor(cursor))
    rows = list((await session.scalars(stmt.order_by(Selection.process_id).limit(limit + 1))).all())
    page = rows[:limit]
    next_cursor = _encode_cursor(page[-1].process_id) if len(rows) > limit else None
    return page, next_cursor


def _view_values(view: SelectionViewData) -> dict[str, Any]:
    values = view.model_dump()
    for key in _VIEW_JSON:
        if values[key] is not None:
            values[key] = json_ready(values[key])
    return values


async def write_view(
    session: AsyncSession,
    process_id: str,
    identity: SelectionIdentity,
    view: SelectionViewData,
    now: datetime,
) -> None:
    """Create or overwrite the read model with the workflow's view; takes the row's lock.

    Call it before ``ledger.append`` in the same transaction (lock order: row, then ledger head).
    """
    values = identity.model_dump() | _view_values(view)
    stmt = _insert(session, Selection).values(
        process_id=process_id, **values, lock_version=0, created_at=now, updated_at=now
    )
    changes = {k: stmt.excluded[k] for k in values if k not in _FIXED}
    changes |= {"updated_at": now, "lock_version": Selection.lock_version + 1}
    await session.execute(stmt.on_conflict_do_update(index_elements=["process_id"], set_=changes))


async def insert_if_absent(
    session: AsyncSession, process_id: str, identity: SelectionIdentity, now: datetime
) -> bool:
    """The row of a selection about to start, at planning; True only for the call that created it.

    It exists before the workflow does: it is every SQL write's gate, and the starter's answer has
    something to show. Once there, only the workflow's view changes it.
    """
    initial = SelectionViewData(stage="planning", status="in_progress")
    values = {"process_id": process_id, **identity.model_dump(), **_view_values(initial)}
    values |= {"lock_version": 0, "created_at": now, "updated_at": now}
    # agency and code make the process id: either unique index may see the race first.
    return await insert_ignore(session, Selection, None, values)


async def update_gate(session: AsyncSession, process_id: str, **fields: Any) -> Selection:
    """Move gate columns (components, the closing instant, counts) under the lock.

    For a stage-closing activity that must change the gate in the transaction that counted, e.g.
    open the components when screening closes, or extend the registration window.
    """
    unknown = set(fields) - _GATE
    if unknown:
        raise ValueError(f"not gate columns: {sorted(unknown)}")
    row = await lock(session, process_id)
    for key, value in fields.items():
        setattr(row, key, json_ready(value) if key == "components" else value)
    await session.flush()
    return row


async def replace_panel(
    session: AsyncSession, process_id: str, members: list[PanelMemberData]
) -> None:
    await session.execute(
        delete(SelectionPanelMember).where(SelectionPanelMember.process_id == process_id)
    )
    if members:
        await session.execute(
            insert(SelectionPanelMember),
            [
                {
                    "process_id": process_id,
                    "member_id": m.id,
                    "name": m.name,
                    "role": m.role,
                    "internal": m.internal,
                    "affiliation": m.affiliation,
                }
                for m in members
            ],
        )


_ROLE_ORDER = {"chair": 0, "secretary": 1}


async def panel(session: AsyncSession, process_id: str) -> list[SelectionPanelMember]:
    """The panel, chair first, then the secretary, then members by id."""
    stmt = select(SelectionPanelMember).where(SelectionPanelMember.process_id == process_id)
    rows = (await session.scalars(stmt.execution_options(populate_existing=True))).all()
    return sorted(rows, key=lambda m: (_ROLE_ORDER.get(m.role, 2), m.member_id))


async def seat(session: AsyncSession, process_id: str, member_id: str) -> str | None:
    """The panel role (chair, secretary, member) ``member_id`` holds, read under the caller's lock."""
    row = await session.get(SelectionPanelMember, (process_id, member_id), populate_existing=True)
    return row.role if row is not None else None


async def publish(
    session: AsyncSession, process_id: str, a: AnnouncementData, now: datetime
) -> None:
    """Publish ``a`` once: a second call with the same key (a retried activity) writes nothing."""
    stmt = (
        _insert(session, SelectionAnnouncement)
        .values(
            process_id=process_id,
            key=a.key,
            stage=a.stage,
            title=a.title,
            body=json_ready(a.body),
            published_at=now,
        )
        .on_conflict_do_nothing(index_elements=["process_id", "key"])
    )
    await session.execute(stmt)


async def announcements(session: AsyncSession, process_id: str) -> list[SelectionAnnouncement]:
    stmt = select(SelectionAnnouncement).where(SelectionAnnouncement.process_id == process_id)
    return list((await session.scalars(stmt.order_by(SelectionAnnouncement.id))).all())

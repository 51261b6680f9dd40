"""Queries and gated writes of the open selection; the caller owns the transaction.

Two kinds of writer share these tables. The workflow's activities write the read model in full
(:func:`write_view`, :func:`replace_panel`, :func:`publish`) and close stages
(:func:`close_registration`, :func:`precheck_all`, :func:`screening_tally`, :func:`check_component`).
The API writes candidate-level data straight here, one transaction per request
(:func:`register_applicant`, :func:`import_applicants`, :func:`decide_screening`, :func:`declare`,
:func:`submit_score`), each with its own ledger entry.

Every writer starts with :func:`lock`: ``UPDATE selections SET lock_version = lock_version + 1``
takes the row lock on PostgreSQL and the database's write lock on SQLite before anything is read, so
the gate it then reads (stage, window, open components, scorers) cannot change under it and no
write slips in between a stage-closing count and the next write. The lock order is always the
selection row first, then the ledger head (``store.ledger.append``): an activity that appends to the
ledger must call :func:`write_view` (or :func:`lock`) before it appends.

A refused attempt raises a ``domain.errors`` error whose ``code`` is part of the API's contract;
nothing is written by then (the gate is checked in full before the first row is touched).

API-side ledger entries have the id ``{process_id}:api:{request_id}``. A request repeated with the
same id finds its entry after the lock and gets the stored result back without writing again; an
id already used by a different action is refused (``request_id_reused``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from activities.selection_contracts import (
    AnnouncementData,
    ComponentCheck,
    PanelMemberData,
    PrecheckResult,
    ScreeningTally,
    SelectionIdentity,
    SelectionViewData,
)
from domain.errors import NotFound, NotYourStep, RuleViolation, WrongStage
from domain.ledger import Actor, LedgerEntryIn, canonical_json, json_ready
from domain.selection.ranking import ScoreSheet, component_ranking
from domain.selection.rulebook import PostLevelRequirements
from domain.selection.scheme import ScoringScheme
from domain.selection.screening import ApplicantProfile, screen
from domain.selection.stages import Stage
from store import ledger
from store.audit import InvalidCursor
from store.models import LedgerEntry
from store.repositories import _insert
from store.selection_models import (
    Selection,
    SelectionAnnouncement,
    SelectionApplicant,
    SelectionDeclaration,
    SelectionPanelMember,
    SelectionScore,
)

PROCESS_KIND = "selection"
# A screening override and a score amendment must say why, in at least this many characters.
JUSTIFICATION_MIN = 10
SOURCES = frozenset({"api", "csv"})
# How many ids a refusal or a tally names; counts are always given in full.
NAMED = 20
# How many (scorer, applicant) pairs a component check lists; missing_count has them all.
MISSING_LISTED = 100

_BEFORE_REGISTRATION = frozenset({Stage.PLANNING, Stage.PLAN_REVIEW, Stage.ANNOUNCEMENT})
_DECLARATION_STAGES = (Stage.SCREENING, Stage.ASSESSMENT)
_VIEW_JSON = ("scheme", "scorers", "components", "shortlist", "plenary", "findings", "waiting_for")
# Identity columns that name the row; an upsert never changes them.
_FIXED = frozenset({"agency", "code"})
# Gate columns a stage-closing activity may move in its own locked transaction.
_GATE = frozenset({"stage", "status", "components", "registration_closes_at"})


# --- the row and its lock --------------------------------------------------------------------


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


async def update_gate(session: AsyncSession, process_id: str, **fields: Any) -> Selection:
    """Move gate columns (stage, status, components, registration_closes_at) under the lock.

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


# --- applicants, declarations, scores: reads ------------------------------------------------


async def get_applicant(
    session: AsyncSession, process_id: str, applicant_id: str
) -> SelectionApplicant | None:
    return await session.get(SelectionApplicant, (process_id, applicant_id))


async def list_applicants(
    session: AsyncSession,
    process_id: str,
    *,
    limit: int,
    after: str | None = None,
    undecided_only: bool = False,
) -> list[SelectionApplicant]:
    """A page of applicants in id order, after the applicant id ``after``."""
    stmt = select(SelectionApplicant).where(SelectionApplicant.process_id == process_id)
    if after is not None:
        stmt = stmt.where(SelectionApplicant.applicant_id > after)
    if undecided_only:
        stmt = stmt.where(SelectionApplicant.decision.is_(None))
    stmt = stmt.order_by(SelectionApplicant.applicant_id).limit(limit)
    return list((await session.scalars(stmt)).all())


async def count_applicants(session: AsyncSession, process_id: str) -> int:
    stmt = select(func.count()).where(SelectionApplicant.process_id == process_id)
    return int((await session.execute(stmt)).scalar_one())


async def get_declaration(
    session: AsyncSession, process_id: str, scorer_id: str
) -> SelectionDeclaration | None:
    return await session.get(SelectionDeclaration, (process_id, scorer_id))


async def conflicts(session: AsyncSession, process_id: str) -> dict[str, list[str]]:
    """Every declaration of the selection: scorer id -> the applicant ids they are conflicted with."""
    stmt = select(SelectionDeclaration).where(SelectionDeclaration.process_id == process_id)
    return {d.scorer_id: list(d.conflicted) for d in (await session.scalars(stmt)).all()}


# --- helpers of the gated writes -------------------------------------------------------------


def _entry(
    sel: Selection,
    *,
    kind: str,
    actor: Actor,
    request_id: str,
    now: datetime,
    subject: str | None,
    payload: dict[str, Any],
    justification: str | None = None,
) -> LedgerEntryIn:
    return LedgerEntryIn(
        entry_id=_entry_id(sel.process_id, request_id),
        process_id=sel.process_id,
        process_kind=PROCESS_KIND,
        kind=kind,
        outcome="accepted",
        stage_before=sel.stage,
        stage_after=sel.stage,
        actor=actor,
        subject=subject,
        agency=sel.agency,
        payload=payload,
        justification=justification,
        rulebook_version=sel.rulebook_version,
        occurred_at=now,
    )


def _entry_id(process_id: str, request_id: str) -> str:
    return f"{process_id}:api:{request_id}"


async def _replayed(
    session: AsyncSession,
    process_id: str,
    request_id: str,
    kinds: Collection[str],
    subject: str | None,
    **payload: Any,
) -> LedgerEntry | None:
    """The entry this request already wrote, if it is a repeat; refuse an id used for another act.

    Read after the lock: only a request holding it writes ``{process_id}:api:...`` entries.
    """
    entry = await session.get(
        LedgerEntry, _entry_id(process_id, request_id), populate_existing=True
    )
    if entry is None:
        return None
    same = (
        entry.kind in kinds
        and entry.subject == subject
        and all(entry.payload.get(k) == v for k, v in payload.items())
    )
    if not same:
        raise RuleViolation(
            f"Request id {request_id!r} was already used for another action on this selection "
            f"({entry.kind}); send this request with a new request id.",
            code="request_id_reused",
            request_id=request_id,
        )
    return entry


async def _append(session: AsyncSession, entry: LedgerEntryIn, now: datetime) -> None:
    _, created = await ledger.append(session, entry, recorded_at=now)
    # _replayed ran under the same lock, so the id is new; a False here is a bug, not a repeat.
    assert created, entry.entry_id


def _digest(rows: Sequence[ApplicantProfile]) -> str:
    return hashlib.sha256(canonical_json([r.model_dump(mode="json") for r in rows])).hexdigest()


def _named(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:NAMED])
    return shown if len(ids) <= NAMED else f"{shown} and {len(ids) - NAMED} more"


def _require_stage(sel: Selection, stages: Collection[Stage], action: str) -> None:
    if sel.stage in {s.value for s in stages}:
        return
    needed = " or ".join(sorted(s.value for s in stages))
    raise WrongStage(
        f"Cannot {action}: selection {sel.code} is at the {sel.stage} stage, and this is only "
        f"possible during {needed}.",
        code="wrong_stage",
        current=sel.stage,
        expected=sorted(s.value for s in stages),
    )


def _require_registration_open(sel: Selection, now: datetime) -> None:
    closes_at = sel.registration_closes_at
    if sel.stage in _BEFORE_REGISTRATION:
        raise WrongStage(
            f"Registration for selection {sel.code} has not opened yet: the selection is at the "
            f"{sel.stage} stage.",
            code="registration_not_open",
            current=sel.stage,
        )
    if sel.stage != Stage.REGISTRATION:
        raise WrongStage(
            f"Registration for selection {sel.code} is closed: the selection is at the "
            f"{sel.stage} stage.",
            code="registration_closed",
            current=sel.stage,
        )
    counted = sel.registration_counted_at
    if closes_at is not None and (
        now >= closes_at or (counted is not None and counted >= closes_at)
    ):
        raise WrongStage(
            f"Registration for selection {sel.code} closed at {closes_at.isoformat()}; "
            "applicants were counted and no registration is accepted after the closing time.",
            code="registration_closed",
            closed_at=closes_at.isoformat(),
        )


def _profile_row(
    process_id: str, p: ApplicantProfile, *, source: str, actor: Actor, now: datetime
) -> dict[str, Any]:
    return {
        "process_id": process_id,
        **p.model_dump(),
        "posts": list(p.posts),
        "source": source,
        "registered_at": now,
        "registered_by": actor.id,
    }


def _as_profile(a: SelectionApplicant) -> ApplicantProfile:
    return ApplicantProfile(
        applicant_id=a.applicant_id,
        nip=a.nip,
        name=a.name,
        degree=a.degree,
        years_experience=a.years_experience,
        years_senior_post=a.years_senior_post,
        birth_date=a.birth_date,
        grade=a.grade,
        sanction_active=a.sanction_active,
        posts=list(a.posts),
    )


async def _duplicates(
    session: AsyncSession, process_id: str, profiles: Sequence[ApplicantProfile]
) -> list[dict[str, Any]]:
    """Every profile whose applicant id or NIP is already registered or listed earlier."""
    stmt = select(SelectionApplicant.applicant_id, SelectionApplicant.nip).where(
        SelectionApplicant.process_id == process_id
    )
    registered = (await session.execute(stmt)).all()
    ids = {row.applicant_id: "registered" for row in registered}
    nips = {row.nip: row.applicant_id for row in registered if row.nip is not None}
    first_id: dict[str, int] = {}
    first_nip: dict[str, str] = {}
    found: list[dict[str, Any]] = []
    for index, p in enumerate(profiles):
        if p.applicant_id in ids:
            found.append(_dup(index, p, "applicant_id", p.applicant_id, "registered", None))
        elif p.applicant_id in first_id:
            earlier = first_id[p.applicant_id]
            found.append(_dup(index, p, "applicant_id", p.applicant_id, "listed_twice", earlier))
        else:
            first_id[p.applicant_id] = index
        if p.nip is None:
            continue
        if p.nip in nips:
            found.append(_dup(index, p, "nip", p.nip, "registered", nips[p.nip]))
        elif p.nip in first_nip:
            found.append(_dup(index, p, "nip", p.nip, "listed_twice", first_nip[p.nip]))
        else:
            first_nip[p.nip] = p.applicant_id
    return found


def _dup(
    index: int, p: ApplicantProfile, field: str, value: str, where: str, other: str | int | None
) -> dict[str, Any]:
    return {
        "index": index,
        "applicant_id": p.applicant_id,
        "field": field,
        "value": value,
        "conflict": where,
        "with": other,
    }


def _describe(dup: dict[str, Any], *, batch: bool) -> str:
    label = "applicant id" if dup["field"] == "applicant_id" else "NIP"
    row = f"row {dup['index'] + 1} ({dup['applicant_id']}): " if batch else ""
    if dup["conflict"] == "registered":
        holder = f" by {dup['with']}" if dup["field"] == "nip" else ""
        return f"{row}{label} {dup['value']} is already registered{holder}"
    if dup["field"] == "nip":
        return f"{row}{label} {dup['value']} is also given for {dup['with']}"
    return f"{row}{label} {dup['value']} is listed twice (first at row {dup['with'] + 1})"


def _refuse_duplicates(sel: Selection, dups: list[dict[str, Any]], *, batch: bool) -> None:
    if not dups:
        return
    described = [_describe(d, batch=batch) for d in dups]
    shown = "; ".join(described[:NAMED])
    more = f"; and {len(described) - NAMED} more" if len(described) > NAMED else ""
    lead = (
        f"Nothing was imported into selection {sel.code}: {len(dups)} duplicate(s) found"
        if batch
        else f"Cannot register into selection {sel.code}"
    )
    raise RuleViolation(f"{lead}: {shown}{more}.", code="applicant_exists", duplicates=dups)


# --- API-side gated writes --------------------------------------------------------------------


async def register_applicant(
    session: AsyncSession,
    process_id: str,
    profile: ApplicantProfile,
    *,
    actor: Actor,
    source: str,
    now: datetime,
    request_id: str,
) -> SelectionApplicant:
    """Register one applicant during the registration window (ledger: ``applicant.registered``)."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {sorted(SOURCES)}")
    sel = await lock(session, process_id)
    kinds = ("applicant.registered",)
    if await _replayed(session, process_id, request_id, kinds, profile.applicant_id):
        found = await get_applicant(session, process_id, profile.applicant_id)
        assert found is not None
        return found
    _require_registration_open(sel, now)
    _refuse_duplicates(sel, await _duplicates(session, process_id, [profile]), batch=False)
    row = SelectionApplicant(
        **_profile_row(process_id, profile, source=source, actor=actor, now=now)
    )
    session.add(row)
    await session.flush()
    payload = {"applicant_id": profile.applicant_id, "source": source, "digest": _digest([profile])}
    entry = _entry(
        sel,
        kind="applicant.registered",
        actor=actor,
        request_id=request_id,
        now=now,
        subject=profile.applicant_id,
        payload=payload,
    )
    await _append(session, entry, now)
    return row


async def import_applicants(
    session: AsyncSession,
    process_id: str,
    profiles: list[ApplicantProfile],
    *,
    actor: Actor,
    now: datetime,
    request_id: str,
) -> int:
    """Register a batch (a CSV file), all or nothing; one ledger entry ``applicants.imported``.

    Any duplicate applicant id or NIP, within the batch or against those registered, refuses the
    whole batch with ``applicant_exists``, naming every duplicate (``details["duplicates"]``, each
    with its 0-based ``index`` in ``profiles``).
    """
    sel = await lock(session, process_id)
    replay = await _replayed(session, process_id, request_id, ("applicants.imported",), None)
    if replay is not None:
        return int(replay.payload["count"])
    _require_registration_open(sel, now)
    if not profiles:
        raise RuleViolation(
            f"The import into selection {sel.code} lists no applicant; nothing was imported.",
            code="empty_import",
        )
    _refuse_duplicates(sel, await _duplicates(session, process_id, profiles), batch=True)
    rows = [_profile_row(process_id, p, source="csv", actor=actor, now=now) for p in profiles]
    await session.execute(insert(SelectionApplicant), rows)
    payload = {
        "count": len(profiles),
        "applicant_ids": [p.applicant_id for p in profiles],
        "digest": _digest(profiles),
    }
    entry = _entry(
        sel,
        kind="applicants.imported",
        actor=actor,
        request_id=request_id,
        now=now,
        subject=None,
        payload=payload,
    )
    await _append(session, entry, now)
    return len(profiles)


async def _require_panel_member(session: AsyncSession, sel: Selection, actor: Actor) -> None:
    member = await session.get(SelectionPanelMember, (sel.process_id, actor.id))
    if member is None:
        raise NotYourStep(
            f"{actor.id} is not on the panel of selection {sel.code}; only its members decide "
            "screening.",
            code="not_panel_member",
        )


async def _require_applicant(
    session: AsyncSession, sel: Selection, applicant_id: str
) -> SelectionApplicant:
    row = await session.get(
        SelectionApplicant, (sel.process_id, applicant_id), populate_existing=True
    )
    if row is None:
        raise NotFound(
            f"No applicant {applicant_id!r} in selection {sel.code}.",
            code="applicant_not_found",
            applicant_id=applicant_id,
        )
    return row


def _long_enough(justification: str | None) -> bool:
    return justification is not None and len(justification.strip()) >= JUSTIFICATION_MIN


async def decide_screening(
    session: AsyncSession,
    process_id: str,
    applicant_id: str,
    *,
    eligible: bool,
    justification: str | None,
    actor: Actor,
    now: datetime,
    request_id: str,
) -> SelectionApplicant:
    """The committee confirms or overrides the pre-check of one applicant (``screening.decided``).

    Re-deciding is allowed while screening is open; each decision is its own entry. Without a
    pre-check result every decision counts as an override and needs a justification.
    """
    sel = await lock(session, process_id)
    kinds = ("screening.decided",)
    if await _replayed(session, process_id, request_id, kinds, applicant_id, eligible=eligible):
        return await _require_applicant(session, sel, applicant_id)
    _require_stage(sel, (Stage.SCREENING,), "decide screening")
    await _require_panel_member(session, sel, actor)
    row = await _require_applicant(session, sel, applicant_id)
    override = row.auto_eligible is None or eligible != row.auto_eligible
    if override and not _long_enough(justification):
        auto = {None: "no pre-check result", True: "eligible", False: "not eligible"}
        raise RuleViolation(
            f"The pre-check found {applicant_id} {auto[row.auto_eligible]}; deciding "
            f"{'eligible' if eligible else 'not eligible'} overrides it and needs a justification "
            f"of at least {JUSTIFICATION_MIN} characters.",
            code="justification_required",
            minimum=JUSTIFICATION_MIN,
        )
    previous = (
        {"decision": row.decision, "eligible": row.final_eligible, "by": row.decided_by}
        if row.decision is not None
        else None
    )
    row.decision = "overridden" if override else "confirmed"
    row.final_eligible = eligible
    row.decision_justification = justification
    row.decided_by = actor.id
    row.decided_at = now
    await session.flush()
    payload = {
        "applicant_id": applicant_id,
        "eligible": eligible,
        "auto_eligible": row.auto_eligible,
        "decision": row.decision,
        "previous": previous,
    }
    entry = _entry(
        sel,
        kind="screening.decided",
        actor=actor,
        request_id=request_id,
        now=now,
        subject=applicant_id,
        payload=payload,
        justification=justification,
    )
    await _append(session, entry, now)
    return row


def _assigned(sel: Selection, scorer_id: str) -> list[str]:
    """The components ``scorer_id`` scores, in code order."""
    return sorted(code for code, ids in (sel.scorers or {}).items() if scorer_id in ids)


async def declare(
    session: AsyncSession,
    process_id: str,
    *,
    actor: Actor,
    conflicted: list[str],
    reason: str,
    now: datetime,
    request_id: str,
) -> SelectionDeclaration:
    """A scorer declares conflicts of interest (``scorer.declared``); an empty list declares none.

    A later declaration adds to the earlier ones and never removes any. A score the scorer already
    gave an applicant they now declare a conflict with stays recorded but no longer counts
    (:func:`check_component`, :func:`score_sheets`).
    """
    sel = await lock(session, process_id)
    if await _replayed(session, process_id, request_id, ("scorer.declared",), None):
        found = await get_declaration(session, process_id, actor.id)
        assert found is not None
        return found
    _require_stage(sel, _DECLARATION_STAGES, "declare conflicts of interest")
    if not _assigned(sel, actor.id):
        raise NotYourStep(
            f"{actor.id} is not assigned to score any component of selection {sel.code}, so has "
            "nothing to declare.",
            code="not_assigned",
        )
    wanted = sorted(set(conflicted))
    if wanted:
        stmt = select(SelectionApplicant.applicant_id).where(
            SelectionApplicant.process_id == process_id,
            SelectionApplicant.applicant_id.in_(wanted),
        )
        known = set((await session.scalars(stmt)).all())
        unknown = [a for a in wanted if a not in known]
        if unknown:
            raise NotFound(
                f"Not applicants of selection {sel.code}: {_named(unknown)}; nothing was declared.",
                code="applicant_not_found",
                applicant_ids=unknown,
            )
    row = await session.get(SelectionDeclaration, (process_id, actor.id), populate_existing=True)
    before = list(row.conflicted) if row is not None else []
    added = [a for a in wanted if a not in before]
    if row is None:
        row = SelectionDeclaration(
            process_id=process_id,
            scorer_id=actor.id,
            conflicted=wanted,
            reason=reason,
            declared_at=now,
            updated_at=now,
        )
        session.add(row)
    else:
        row.conflicted = sorted(set(before) | set(wanted))
        row.reason = reason
        row.updated_at = now
    await session.flush()
    set_aside = await _scores_set_aside(session, process_id, actor.id, added)
    payload = {
        "declared": wanted,
        "added": added,
        "conflicted": list(row.conflicted),
        "components": _assigned(sel, actor.id),
        "scores_set_aside": set_aside,
    }
    entry = _entry(
        sel,
        kind="scorer.declared",
        actor=actor,
        request_id=request_id,
        now=now,
        subject=None,
        payload=payload,
        justification=reason or None,
    )
    await _append(session, entry, now)
    return row


async def _scores_set_aside(
    session: AsyncSession, process_id: str, scorer_id: str, applicants: list[str]
) -> list[dict[str, str]]:
    if not applicants:
        return []
    stmt = select(SelectionScore.component, SelectionScore.applicant_id).where(
        SelectionScore.process_id == process_id,
        SelectionScore.scorer_id == scorer_id,
        SelectionScore.applicant_id.in_(applicants),
    )
    rows = (await session.execute(stmt)).all()
    return [{"component": c, "applicant_id": a} for c, a in sorted(rows)]


def _component_of(sel: Selection, code: str) -> tuple[str, bool]:
    """(name, pass_fail) of a scheme component; the code itself when the scheme lacks it."""
    if not sel.scheme:
        return code, False
    component = ScoringScheme.model_validate(sel.scheme).component(code)
    if component is None:
        return code, False
    return component.name, component.pass_fail


async def submit_score(
    session: AsyncSession,
    process_id: str,
    *,
    component: str,
    applicant_id: str,
    actor: Actor,
    score: float,
    justification: str | None,
    now: datetime,
    request_id: str,
) -> SelectionScore:
    """Record a score (``score.submitted``) or amend the one in force (``score.amended``).

    A submitted score is locked: changing it needs a justification, and the ledger keeps the old
    and the new value.
    """
    sel = await lock(session, process_id)
    kinds = ("score.submitted", "score.amended")
    if await _replayed(
        session, process_id, request_id, kinds, applicant_id, component=component, score=score
    ):
        found = await session.get(SelectionScore, (process_id, component, applicant_id, actor.id))
        assert found is not None
        return found
    await _check_score_gate(session, sel, component, applicant_id, actor, score)
    key = (process_id, component, applicant_id, actor.id)
    row = await session.get(SelectionScore, key, populate_existing=True)
    name, _ = _component_of(sel, component)
    if row is None:
        row = SelectionScore(
            process_id=process_id,
            component=component,
            applicant_id=applicant_id,
            scorer_id=actor.id,
            score=float(score),
            submitted_at=now,
            amendments=0,
        )
        session.add(row)
        kind = "score.submitted"
        payload: dict[str, Any] = {
            "component": component,
            "applicant_id": applicant_id,
            "score": float(score),
        }
    else:
        if justification is None or not justification.strip():
            raise RuleViolation(
                f"You already scored {applicant_id} on {name} ({row.score:g}); a submitted score "
                f"is locked and can only be amended with a justification of at least "
                f"{JUSTIFICATION_MIN} characters.",
                code="score_locked",
                score=row.score,
            )
        if not _long_enough(justification):
            raise RuleViolation(
                f"Amending your {name} score for {applicant_id} needs a justification of at "
                f"least {JUSTIFICATION_MIN} characters.",
                code="justification_required",
                minimum=JUSTIFICATION_MIN,
            )
        old = row.score
        row.score = float(score)
        row.amendments += 1
        row.amended_at = now
        kind = "score.amended"
        payload = {
            "component": component,
            "applicant_id": applicant_id,
            "score": float(score),
            "old": old,
            "new": float(score),
            "amendment": row.amendments,
        }
    await session.flush()
    entry = _entry(
        sel,
        kind=kind,
        actor=actor,
        request_id=request_id,
        now=now,
        subject=applicant_id,
        payload=payload,
        justification=justification,
    )
    await _append(session, entry, now)
    return row


async def _check_score_gate(
    session: AsyncSession,
    sel: Selection,
    component: str,
    applicant_id: str,
    actor: Actor,
    score: float,
) -> None:
    _require_stage(sel, (Stage.ASSESSMENT,), "submit a score")
    status = (sel.components or {}).get(component)
    name, pass_fail = _component_of(sel, component)
    if status is None:
        known = ", ".join(sorted(sel.components or {})) or "none"
        raise NotFound(
            f"{component!r} is not a component of selection {sel.code} (components: {known}).",
            code="unknown_component",
        )
    if status != "open":
        raise WrongStage(
            f"Component {name} of selection {sel.code} is {status}, not open for scores.",
            code="component_not_open",
            status=status,
        )
    if actor.id not in (sel.scorers or {}).get(component, []):
        raise NotYourStep(
            f"{actor.id} is not assigned to score {name} in selection {sel.code}.",
            code="not_assigned",
        )
    declaration = await session.get(
        SelectionDeclaration, (sel.process_id, actor.id), populate_existing=True
    )
    if declaration is None:
        raise RuleViolation(
            f"{actor.id} must declare conflicts of interest (or that there are none) before "
            f"scoring in selection {sel.code}.",
            code="declaration_required",
        )
    applicant = await _require_applicant(session, sel, applicant_id)
    if applicant.final_eligible is not True:
        raise RuleViolation(
            f"{applicant_id} was not screened in to selection {sel.code}, so cannot be scored.",
            code="applicant_not_eligible",
        )
    if applicant_id in declaration.conflicted:
        raise NotYourStep(
            f"{actor.id} declared a conflict of interest with {applicant_id} and may not score "
            "them.",
            code="conflict_of_interest",
        )
    if not math.isfinite(score) or not 0 <= score <= 100:
        raise RuleViolation(
            f"A {name} score must be between 0 and 100, not {score:g}.", code="invalid_score"
        )
    if pass_fail and score not in (0, 1):
        raise RuleViolation(
            f"{name} is pass/fail: score 1 for pass or 0 for fail, not {score:g}.",
            code="invalid_score",
        )


async def read_scores(
    session: AsyncSession,
    process_id: str,
    *,
    component: str,
    applicant_id: str,
    reader_id: str,
) -> list[SelectionScore]:
    """Every scorer's score of one applicant on one component, by scorer id; blind until scored.

    The reader sees them once they submitted their own score for that applicant and component, or
    once the component is closed. Nobody is exempt, the panel chair included.
    """
    sel = await get(session, process_id)
    if sel is None:
        raise NotFound(f"No selection {process_id!r}.", code="selection_not_found")
    status = (sel.components or {}).get(component)
    if status is None:
        raise NotFound(
            f"{component!r} is not a component of selection {sel.code}.", code="unknown_component"
        )
    stmt = (
        select(SelectionScore)
        .where(
            SelectionScore.process_id == process_id,
            SelectionScore.component == component,
            SelectionScore.applicant_id == applicant_id,
        )
        .order_by(SelectionScore.scorer_id)
    )
    rows = list((await session.scalars(stmt)).all())
    if status != "closed" and all(r.scorer_id != reader_id for r in rows):
        name, _ = _component_of(sel, component)
        raise NotYourStep(
            f"Scores of {applicant_id} on {name} stay hidden until you submit your own score for "
            "them or the component is closed.",
            code="scores_blind",
        )
    return rows


# --- worker side --------------------------------------------------------------------------------


async def close_registration(session: AsyncSession, process_id: str, closes_at: datetime) -> int:
    """Count the applicants of the window that closed at ``closes_at``, under the lock.

    The stage is left as the workflow writes it, but the window is marked counted: a registration
    that takes the lock after this is refused (``registration_closed``) until the window is
    extended past ``closes_at`` (:func:`update_gate` or the next :func:`write_view`).
    """
    sel = await lock(session, process_id)
    counted = sel.registration_counted_at
    if counted is None or closes_at > counted:
        sel.registration_counted_at = closes_at
    count = await count_applicants(session, process_id)
    sel.applicants = count
    await session.flush()
    return count


async def precheck_all(
    session: AsyncSession, process_id: str, req: PostLevelRequirements, closing_date: date
) -> PrecheckResult:
    """Run the automatic pre-check of every applicant (ages on ``closing_date``); keeps decisions."""
    await lock(session, process_id)
    stmt = select(SelectionApplicant).where(SelectionApplicant.process_id == process_id)
    applicants = list((await session.scalars(stmt)).all())
    eligible = 0
    for a in applicants:
        result = screen(_as_profile(a), req, closing_date)
        eligible += result.eligible
        a.auto_eligible = result.eligible
        a.auto_reasons = [r.model_dump() for r in result.reasons]
    await session.flush()
    return PrecheckResult(
        applicants=len(applicants), eligible=eligible, ineligible=len(applicants) - eligible
    )


async def screening_tally(session: AsyncSession, process_id: str) -> ScreeningTally:
    """Decided and undecided applicants, under the lock; ``published`` lists MS / TMS by id."""
    await lock(session, process_id)
    stmt = (
        select(
            SelectionApplicant.applicant_id,
            SelectionApplicant.decision,
            SelectionApplicant.final_eligible,
        )
        .where(SelectionApplicant.process_id == process_id)
        .order_by(SelectionApplicant.applicant_id)
    )
    rows = (await session.execute(stmt)).all()
    decided = [r for r in rows if r.decision is not None]
    undecided = [r.applicant_id for r in rows if r.decision is None]
    return ScreeningTally(
        applicants=len(rows),
        decided=len(decided),
        eligible=sum(1 for r in decided if r.final_eligible),
        undecided=undecided[:NAMED],
        published=[
            {
                "applicant_id": r.applicant_id,
                "eligible": bool(r.final_eligible),
                "result": "MS" if r.final_eligible else "TMS",
            }
            for r in decided
        ],
    )


async def _screened_in(session: AsyncSession, process_id: str) -> list[SelectionApplicant]:
    stmt = (
        select(SelectionApplicant)
        .where(
            SelectionApplicant.process_id == process_id,
            SelectionApplicant.final_eligible.is_(True),
        )
        .order_by(SelectionApplicant.applicant_id)
    )
    return list((await session.scalars(stmt)).all())


async def _counted_scores(
    session: AsyncSession, process_id: str, component: str | None
) -> list[SelectionScore]:
    """Scores that count: of screened-in applicants, by scorers not conflicted with them."""
    eligible = {a.applicant_id for a in await _screened_in(session, process_id)}
    conflicted = await conflicts(session, process_id)
    stmt = select(SelectionScore).where(SelectionScore.process_id == process_id)
    if component is not None:
        stmt = stmt.where(SelectionScore.component == component)
    stmt = stmt.order_by(
        SelectionScore.component, SelectionScore.applicant_id, SelectionScore.scorer_id
    )
    return [
        s
        for s in (await session.scalars(stmt)).all()
        if s.applicant_id in eligible and s.applicant_id not in conflicted.get(s.scorer_id, [])
    ]


def _sheet(s: SelectionScore) -> ScoreSheet:
    return ScoreSheet(
        applicant_id=s.applicant_id, component=s.component, scorer_id=s.scorer_id, score=s.score
    )


async def check_component(session: AsyncSession, process_id: str, component: str) -> ComponentCheck:
    """Under the lock: the (scorer, applicant) scores still missing, and the component's ranking.

    Every assigned scorer owes a score to every screened-in applicant they are not conflicted with.
    """
    sel = await lock(session, process_id)
    if component not in (sel.components or {}):
        raise NotFound(
            f"{component!r} is not a component of selection {sel.code}.", code="unknown_component"
        )
    eligible = [a.applicant_id for a in await _screened_in(session, process_id)]
    conflicted = await conflicts(session, process_id)
    scores = await _counted_scores(session, process_id, component)
    scored = {(s.scorer_id, s.applicant_id) for s in scores}
    missing = [
        (scorer, applicant)
        for scorer in sorted(set((sel.scorers or {}).get(component, [])))
        for applicant in eligible
        if applicant not in conflicted.get(scorer, []) and (scorer, applicant) not in scored
    ]
    return ComponentCheck(
        missing=missing[:MISSING_LISTED],
        missing_count=len(missing),
        ranking=component_ranking([_sheet(s) for s in scores], component),
    )


async def score_sheets(session: AsyncSession, process_id: str) -> list[ScoreSheet]:
    """The scores in force of screened-in applicants (conflicted scorers' scores left out)."""
    return [_sheet(s) for s in await _counted_scores(session, process_id, None)]


async def birth_dates(session: AsyncSession, process_id: str) -> dict[str, date]:
    """Birth dates of the screened-in applicants (the age tie-break; the roster of the ranking)."""
    return {a.applicant_id: a.birth_date for a in await _screened_in(session, process_id)}


# --- tasks --------------------------------------------------------------------------------------

_TASK_STAGES = (Stage.SCREENING, Stage.ASSESSMENT, Stage.SHORTLIST, Stage.APPOINTMENT)


def _due(sel: Selection, actor_id: str) -> datetime | None:
    """The earliest ``due_at`` the view's ``waiting_for`` gives this actor, if any."""
    dues = []
    for item in sel.waiting_for or []:
        if item.get("who") == actor_id and item.get("due_at"):
            dues.append(datetime.fromisoformat(str(item["due_at"])))
    return min(dues) if dues else None


def _task(
    sel: Selection, kind: str, title: str, action: str, count: int, actor_id: str
) -> dict[str, Any]:
    return {
        "kind": kind,
        "process_id": sel.process_id,
        "title": f"{title} — {sel.post_title} ({sel.code})",
        "action": f"/v1/selections/{sel.process_id}{action}",
        "due_at": _due(sel, actor_id),
        "count": count,
    }


async def tasks_for(session: AsyncSession, actor_id: str) -> list[dict[str, Any]]:
    """What ``actor_id`` has to do in running selections, for ``/v1/me/tasks``."""
    stmt = select(Selection).where(
        Selection.status == "in_progress", Selection.stage.in_([s.value for s in _TASK_STAGES])
    )
    running = list((await session.scalars(stmt.order_by(Selection.process_id))).all())
    if not running:
        return []
    member_of = set(
        (
            await session.scalars(
                select(SelectionPanelMember.process_id).where(
                    SelectionPanelMember.member_id == actor_id,
                    SelectionPanelMember.process_id.in_([s.process_id for s in running]),
                )
            )
        ).all()
    )
    tasks: list[dict[str, Any]] = []
    for sel in running:
        tasks.extend(await _tasks_in(session, sel, actor_id, sel.process_id in member_of))
    return tasks


async def _tasks_in(
    session: AsyncSession, sel: Selection, actor_id: str, on_panel: bool
) -> list[dict[str, Any]]:
    stage = sel.stage
    tasks: list[dict[str, Any]] = []
    if stage == Stage.SCREENING and on_panel:
        stmt = select(func.count()).where(
            SelectionApplicant.process_id == sel.process_id, SelectionApplicant.decision.is_(None)
        )
        undecided = int((await session.execute(stmt)).scalar_one())
        if undecided:
            title = "Decide administrative screening"
            tasks.append(_task(sel, "screening_decision", title, "/screening", undecided, actor_id))
    if stage in (Stage.SCREENING, Stage.ASSESSMENT):
        tasks.extend(await _scorer_tasks(session, sel, actor_id))
    if stage == Stage.SHORTLIST and on_panel:
        plenary = sel.plenary or {}
        recused = plenary.get("recused") or plenary.get("recused_members") or []
        if actor_id not in recused and actor_id not in (plenary.get("votes") or {}):
            title = "Vote on the shortlist"
            tasks.append(_task(sel, "plenary_vote", title, "/plenary/votes", 1, actor_id))
    if stage == Stage.APPOINTMENT and actor_id == sel.appointing_authority_id:
        title = "Appoint one of the shortlist"
        tasks.append(_task(sel, "appointment", title, "/appointment", 1, actor_id))
    return tasks


async def _scorer_tasks(
    session: AsyncSession, sel: Selection, actor_id: str
) -> list[dict[str, Any]]:
    assigned = _assigned(sel, actor_id)
    if not assigned:
        return []
    declaration = await get_declaration(session, sel.process_id, actor_id)
    if declaration is None:
        title = "Declare conflicts of interest"
        return [_task(sel, "conflict_declaration", title, "/declarations", 1, actor_id)]
    if sel.stage != Stage.ASSESSMENT:
        return []
    eligible = {a.applicant_id for a in await _screened_in(session, sel.process_id)}
    owed = eligible - set(declaration.conflicted)
    tasks = []
    for code in assigned:
        if (sel.components or {}).get(code) != "open":
            continue
        stmt = select(SelectionScore.applicant_id).where(
            SelectionScore.process_id == sel.process_id,
            SelectionScore.scorer_id == actor_id,
            SelectionScore.component == code,
        )
        left = len(owed - set((await session.scalars(stmt)).all()))
        if left:
            name, _ = _component_of(sel, code)
            action = f"/components/{code}/scores"
            tasks.append(_task(sel, "score", f"Score {name}", action, left, actor_id))
    return tasks

"""Outbound events: versioned payload schemas, and which ledger entries produce which events.

Every event is sent as one JSON object, the *envelope*::

    {"id": "evt_…", "type": "meritflow.process.stage_changed.v1",
     "timestamp": "2027-04-01T08:00:00.000000Z", "data": {…}}

``id`` is the event's own id: the same for every subscription and every attempt, derived from the
ledger entry and the type. The Standard Webhooks ``webhook-id`` header carries the *delivery* id
(one per subscription and event), which is what a receiver deduplicates on.

Versioning: a type's name ends in ``.vN``. Within a version fields are only added, never removed or
retyped; a breaking change is a new type (``….v2``) sent beside the old one for as long as
subscriptions ask for it.

Types (v1):

``meritflow.process.started.v1``
    A process was started (the ledger's ``*.started`` entry).
``meritflow.process.stage_changed.v1``
    The process moved from one stage to another (any entry whose stage after differs from before).
``meritflow.decision.recorded.v1``
    A decision on a step was accepted: approve, return or reject, by a person or automatically.
``meritflow.process.completed.v1``
    The process reached a terminal state; ``outcome`` says which (completed, rejected, ineligible,
    failed).

One ledger entry yields its events in the order above (started, decision, stage change,
completion), so a receiver that applies them in order sees the decision before its consequences.

Pure: the standard library and pydantic only (no clock, no I/O); the store maps rows to
:class:`EntryFacts` and back.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

PROCESS_STARTED: Final = "meritflow.process.started.v1"
STAGE_CHANGED: Final = "meritflow.process.stage_changed.v1"
DECISION_RECORDED: Final = "meritflow.decision.recorded.v1"
PROCESS_COMPLETED: Final = "meritflow.process.completed.v1"

TERMINAL_STATUSES = frozenset({"completed", "rejected", "ineligible", "failed", "cancelled"})
# The last word of the ledger kinds that record an accepted decision on a step (a person's, a rule's
# on a lapsed deadline, or a third-party review's verdict taken over by its parent process).
DECISION_KINDS = frozenset({"decision", "auto_approved", "review_concluded"})


# --- payload schemas ----------------------------------------------------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ActorRef(_Data):
    id: str
    role: str
    agency: str | None = None
    on_behalf_of: str | None = None


class LedgerRef(_Data):
    """Where the event comes from in the auditors' ledger; ``hash`` lets a receiver cross-check."""

    entry_id: str
    seq: int = Field(description="Position of the entry in the process's hash chain, from 1")
    hash: str = Field(description="sha-256 of the entry, as GET /v1/processes/{id}/ledger shows")


class ProcessRef(_Data):
    process_id: str = Field(description="The business key, e.g. promotion-<nip>-<YYYY-MM>")
    process_kind: str = Field(description="promotion, open_selection, review, …")
    agency: str | None = None
    subject: str | None = Field(None, description="The employee (NIP) or candidate concerned")


class ProcessStartedV1(ProcessRef):
    stage: str | None
    started_by: ActorRef
    rulebook_version: str | None = None
    details: dict[str, Any] = Field(
        default_factory=dict, description="Start parameters, e.g. period and promotion type"
    )
    ledger: LedgerRef


class StageChangedV1(ProcessRef):
    stage_before: str | None
    stage_after: str | None
    status: str = Field(description="The process status after the change")
    cause: str = Field(description="The ledger entry kind that moved it, e.g. promotion.decision")
    actor: ActorRef
    ledger: LedgerRef


class DecisionRecordedV1(ProcessRef):
    step: str | None
    decision: str = Field(description="approve | return | reject")
    automatic: bool = Field(description="True when a rule decided on a lapsed deadline")
    actor: ActorRef
    justification: str | None = None
    corrections: list[str] = Field(default_factory=list)
    stage_after: str | None
    ledger: LedgerRef


class ProcessCompletedV1(ProcessRef):
    outcome: str = Field(description="completed | rejected | ineligible | failed | cancelled")
    reason: str | None = None
    decree: dict[str, Any] | None = Field(None, description="Number, effective date, signer")
    stage: str | None
    ledger: LedgerRef


class _Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="The event id; the same for every subscription and attempt")
    timestamp: AwareDatetime = Field(description="When it happened (workflow time), UTC")

    @field_serializer("timestamp")
    def _utc(self, value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ProcessStartedEvent(_Envelope):
    type: Literal["meritflow.process.started.v1"] = PROCESS_STARTED
    data: ProcessStartedV1


class StageChangedEvent(_Envelope):
    type: Literal["meritflow.process.stage_changed.v1"] = STAGE_CHANGED
    data: StageChangedV1


class DecisionRecordedEvent(_Envelope):
    type: Literal["meritflow.decision.recorded.v1"] = DECISION_RECORDED
    data: DecisionRecordedV1


class ProcessCompletedEvent(_Envelope):
    type: Literal["meritflow.process.completed.v1"] = PROCESS_COMPLETED
    data: ProcessCompletedV1


Event = ProcessStartedEvent | StageChangedEvent | DecisionRecordedEvent | ProcessCompletedEvent

EVENT_TYPES: dict[str, tuple[type[_Envelope], str]] = {
    PROCESS_STARTED: (ProcessStartedEvent, "A process was started."),
    STAGE_CHANGED: (StageChangedEvent, "A process moved from one stage to another."),
    DECISION_RECORDED: (
        DecisionRecordedEvent,
        "A decision on a step was accepted (approve, return or reject; by a person or a rule).",
    ),
    PROCESS_COMPLETED: (
        ProcessCompletedEvent,
        "A process reached a terminal state (completed, rejected, ineligible, failed).",
    ),
}


def event_schema(event_type: str) -> dict[str, Any]:
    """The JSON schema of one event type's envelope (with its ``data``)."""
    model, _ = EVENT_TYPES[event_type]
    return model.model_json_schema(mode="serialization")


# --- from ledger entries to events --------------------------------------------------------------


class EntryFacts(BaseModel):
    """What the mapping needs from a stored ledger entry and the process status after it."""

    model_config = ConfigDict(frozen=True)

    entry_id: str
    seq: int
    hash: str
    process_id: str
    process_kind: str
    kind: str
    outcome: str
    stage_before: str | None
    stage_after: str | None
    actor: ActorRef
    subject: str | None
    agency: str | None
    payload: dict[str, Any]
    justification: str | None
    rulebook_version: str | None
    occurred_at: AwareDatetime
    status: str = Field(description="The process status after this entry (from the read model)")
    outcome_reason: str | None = None
    decree: dict[str, Any] | None = None


def event_id(entry_id: str, event_type: str) -> str:
    """Deterministic: the same entry and type give the same id, whoever computes it."""
    digest = hashlib.sha256(f"{entry_id}|{event_type}".encode()).hexdigest()
    return f"evt_{digest[:32]}"


def events_for_entry(facts: EntryFacts) -> list[Event]:
    """Zero or more events for one accepted ledger entry, in the order a receiver should apply them.

    Refused attempts produce none: they change nothing a subscriber acts on.
    """
    if facts.outcome != "accepted":
        return []
    events: list[Event] = []
    verb = facts.kind.rsplit(".", 1)[-1]
    if verb == "started":
        events.append(_started(facts))
    if verb in DECISION_KINDS:
        events.append(_decision(facts))
    moved = facts.stage_before is not None and facts.stage_after != facts.stage_before
    if moved:
        events.append(_stage_changed(facts))
    if moved and facts.status in TERMINAL_STATUSES:
        events.append(_completed(facts))
    return events


def _ref(facts: EntryFacts) -> dict[str, Any]:
    return {
        "process_id": facts.process_id,
        "process_kind": facts.process_kind,
        "agency": facts.agency,
        "subject": facts.subject,
        "ledger": LedgerRef(entry_id=facts.entry_id, seq=facts.seq, hash=facts.hash),
    }


def _envelope(facts: EntryFacts, event_type: str) -> dict[str, Any]:
    return {"id": event_id(facts.entry_id, event_type), "timestamp": facts.occurred_at}


def _started(facts: EntryFacts) -> ProcessStartedEvent:
    data = ProcessStartedV1(
        **_ref(facts),
        stage=facts.stage_after,
        started_by=facts.actor,
        rulebook_version=facts.rulebook_version,
        details=facts.payload,
    )
    return ProcessStartedEvent(**_envelope(facts, PROCESS_STARTED), data=data)


def _decision(facts: EntryFacts) -> DecisionRecordedEvent:
    payload = facts.payload
    corrections = payload.get("corrections") or []
    data = DecisionRecordedV1(
        **_ref(facts),
        step=payload.get("step"),
        decision=str(payload.get("decision", "")),
        automatic=bool(payload.get("automatic", False)),
        actor=facts.actor,
        justification=facts.justification,
        corrections=[str(c) for c in corrections],
        stage_after=facts.stage_after,
    )
    return DecisionRecordedEvent(**_envelope(facts, DECISION_RECORDED), data=data)


def _stage_changed(facts: EntryFacts) -> StageChangedEvent:
    data = StageChangedV1(
        **_ref(facts),
        stage_before=facts.stage_before,
        stage_after=facts.stage_after,
        status=facts.status,
        cause=facts.kind,
        actor=facts.actor,
    )
    return StageChangedEvent(**_envelope(facts, STAGE_CHANGED), data=data)


def _completed(facts: EntryFacts) -> ProcessCompletedEvent:
    reason = facts.outcome_reason or facts.payload.get("reason")
    data = ProcessCompletedV1(
        **_ref(facts),
        outcome=facts.status,
        reason=str(reason) if reason is not None else None,
        decree=facts.decree,
        stage=facts.stage_after,
    )
    return ProcessCompletedEvent(**_envelope(facts, PROCESS_COMPLETED), data=data)

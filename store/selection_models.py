"""ORM models of the open selection: the read model, its panel, applicants, declarations, scores.

The ``selections`` row is written in full by the workflow (``store.selections.write_view``) and
doubles as the gate of the writes the API makes straight in SQL: each of those starts by bumping
``lock_version`` (which takes the row lock), then reads ``stage``, ``components`` and ``scorers``.
``registration_counted_at`` is the one column the workflow's view never writes: the closing instant
up to which registrations were counted, so nothing can register into a window already counted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, UTCDateTime

_JSON = JSON(none_as_null=True)


class Selection(Base):
    """Read model of one open selection (``SelectionIdentity`` + ``SelectionViewData``)."""

    __tablename__ = "selections"
    __table_args__ = (UniqueConstraint("agency", "code", name="uq_selections_agency_code"),)

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str] = mapped_column(String(64))
    post_title: Mapped[str] = mapped_column(String(300))
    post_level: Mapped[str] = mapped_column(String(16), index=True)
    rulebook_version: Mapped[str] = mapped_column(String(64))
    appointing_authority_id: Mapped[str] = mapped_column(String(100), index=True)
    oversight_body: Mapped[str] = mapped_column(String(64))
    assessment_body: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    scheme: Mapped[dict[str, Any] | None] = mapped_column(_JSON)
    scheme_frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    scorers: Mapped[dict[str, Any]] = mapped_column(_JSON)
    components: Mapped[dict[str, Any]] = mapped_column(_JSON)
    registration_opens: Mapped[date | None] = mapped_column(Date)
    registration_closes: Mapped[date | None] = mapped_column(Date)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    applicants: Mapped[int] = mapped_column(Integer, default=0)
    eligible: Mapped[int] = mapped_column(Integer, default=0)
    shortlist: Mapped[list[dict[str, Any]] | None] = mapped_column(_JSON)
    plenary: Mapped[dict[str, Any] | None] = mapped_column(_JSON)
    plan_review_id: Mapped[str | None] = mapped_column(String(200))
    shortlist_review_id: Mapped[str | None] = mapped_column(String(200))
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(_JSON)
    appointee_id: Mapped[str | None] = mapped_column(String(100))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    waiting_for: Mapped[list[dict[str, Any]]] = mapped_column(_JSON)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SelectionPanelMember(Base):
    __tablename__ = "selection_panel"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    internal: Mapped[bool] = mapped_column(Boolean)
    affiliation: Mapped[str] = mapped_column(String(200))


class SelectionApplicant(Base):
    """One registration and its screening: the automatic pre-check, then the committee's call."""

    __tablename__ = "selection_applicants"
    # NULLs are distinct in a unique constraint on both backends: many applicants without a NIP.
    __table_args__ = (
        UniqueConstraint("process_id", "nip", name="uq_selection_applicants_process_nip"),
    )

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    applicant_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str | None] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    degree: Mapped[str] = mapped_column(String(8))
    years_experience: Mapped[float] = mapped_column(Float)
    years_senior_post: Mapped[float] = mapped_column(Float)
    birth_date: Mapped[date] = mapped_column(Date)
    grade: Mapped[str | None] = mapped_column(String(8))
    sanction_active: Mapped[bool] = mapped_column(Boolean, default=False)
    posts: Mapped[list[str]] = mapped_column(_JSON)
    source: Mapped[str] = mapped_column(String(8))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registered_by: Mapped[str] = mapped_column(String(100))
    auto_eligible: Mapped[bool | None] = mapped_column(Boolean)
    auto_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(_JSON)
    decision: Mapped[str | None] = mapped_column(String(16))
    final_eligible: Mapped[bool | None] = mapped_column(Boolean)
    decision_justification: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SelectionDeclaration(Base):
    """A scorer's conflict-of-interest declaration; later ones only add applicants."""

    __tablename__ = "selection_declarations"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    scorer_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    conflicted: Mapped[list[str]] = mapped_column(_JSON)
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SelectionScore(Base):
    """The score in force of one scorer for one applicant on one component."""

    __tablename__ = "selection_scores"
    __table_args__ = (Index("ix_selection_scores_scorer", "process_id", "scorer_id", "component"),)

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    component: Mapped[str] = mapped_column(String(32), primary_key=True)
    applicant_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    scorer_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    amendments: Mapped[int] = mapped_column(Integer, default=0)
    amended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SelectionAnnouncement(Base):
    __tablename__ = "selection_announcements"
    __table_args__ = (
        UniqueConstraint("process_id", "key", name="uq_selection_announcements_process_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    process_id: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[dict[str, Any]] = mapped_column(_JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())

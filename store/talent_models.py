"""ORM models of talent management: the HR inputs, reviews and their people, the pool, the
succession plans, the agencies' approvals, and the talent appointments.

The ``talent_reviews`` row is written in full by the review's workflow (``store.talent.reviews
.write_view``, the only writer of ``stage``) and doubles as the gate of the writes the action
pipeline makes straight in SQL (declarations, calibration moves, objections, answers): each of
those bumps ``lock_version`` first (the row lock), then reads the stage and the gate columns that
the stage-closing activities move (``calibration_open``, ``objections_close_at``,
``objections_closed``, ``finalized``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, UTCDateTime

_JSON = JSON(none_as_null=True)


class TalentProfile(Base):
    """Meritflow's own HR source of talent inputs (``domain.talent.records.TalentRecord``)."""

    __tablename__ = "talent_profiles"

    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    record: Mapped[dict[str, Any]] = mapped_column(_JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TalentApproval(Base):
    """An agency's merit index and the oversight body's approval, as recorded (newest counts)."""

    __tablename__ = "talent_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(_JSON)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CriticalPost(Base):
    __tablename__ = "talent_critical_posts"

    agency: Mapped[str] = mapped_column(String(64), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    post_level: Mapped[str] = mapped_column(String(16))
    job_family: Mapped[str | None] = mapped_column(String(64))
    critical: Mapped[bool] = mapped_column(Boolean, default=True)
    marked_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SuccessionEntry(Base):
    """One ranked successor of a critical post (``domain.talent.succession.Successor``)."""

    __tablename__ = "talent_succession"

    agency: Mapped[str] = mapped_column(String(64), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(_JSON)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PoolMember(Base):
    """Someone in an agency's talent pool (boxes 7-9 of their latest review)."""

    __tablename__ = "talent_pool"
    __table_args__ = (Index("ix_talent_pool_review", "review_id"),)

    agency: Mapped[str] = mapped_column(String(64), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    box: Mapped[int] = mapped_column(Integer)
    talent_score: Mapped[float] = mapped_column(Float)
    review_id: Mapped[str] = mapped_column(String(200))
    record: Mapped[dict[str, Any]] = mapped_column(_JSON)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TalentReview(Base):
    """Read model and gate of one talent review."""

    __tablename__ = "talent_reviews"
    __table_args__ = (UniqueConstraint("agency", "code", name="uq_talent_reviews_agency_code"),)

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    population: Mapped[dict[str, Any]] = mapped_column(_JSON)
    cutoff_date: Mapped[date] = mapped_column(Date)
    rulebook_version: Mapped[str] = mapped_column(String(64))
    committee: Mapped[list[dict[str, Any]]] = mapped_column(_JSON)
    stage: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(32))
    counts: Mapped[dict[str, Any]] = mapped_column(_JSON)
    waiting_for: Mapped[list[dict[str, Any]]] = mapped_column(_JSON)
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    # gate columns, moved by the activities that close a stage
    cut_off: Mapped[bool] = mapped_column(Boolean, default=False)
    calibration_open: Mapped[bool] = mapped_column(Boolean, default=True)
    objections_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    objections_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    finalized: Mapped[bool] = mapped_column(Boolean, default=False)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TalentPerson(Base):
    """One person of a review: the inputs at the cut-off, the scores, each box along the way."""

    __tablename__ = "talent_people"
    __table_args__ = (Index("ix_talent_people_box", "process_id", "box"),)

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True, index=True)
    agency: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    record: Mapped[dict[str, Any] | None] = mapped_column(_JSON)
    excluded_code: Mapped[str | None] = mapped_column(String(32))
    excluded_reason: Mapped[str | None] = mapped_column(Text)
    scores: Mapped[dict[str, Any] | None] = mapped_column(_JSON)
    talent_score: Mapped[float | None] = mapped_column(Float)
    computed_box: Mapped[int | None] = mapped_column(Integer)
    box: Mapped[int | None] = mapped_column(Integer)
    moved_by: Mapped[str | None] = mapped_column(String(100))
    move_justification: Mapped[str | None] = mapped_column(Text)
    published_box: Mapped[int | None] = mapped_column(Integer)
    final_box: Mapped[int | None] = mapped_column(Integer)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(_JSON)


class TalentDeclaration(Base):
    """A committee member's conflict-of-interest declaration (the NIPs they are recused for)."""

    __tablename__ = "talent_declarations"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    conflicted: Mapped[list[str]] = mapped_column(_JSON)
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TalentObjection(Base):
    __tablename__ = "talent_objections"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    grounds: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # filed | upheld | rejected
    answer: Mapped[str | None] = mapped_column(Text)
    new_box: Mapped[int | None] = mapped_column(Integer)
    answered_by: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TalentAppointment(Base):
    """Read model of one JPT post filled from the talent pool."""

    __tablename__ = "talent_appointments"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    post_id: Mapped[str] = mapped_column(String(64))
    post_title: Mapped[str] = mapped_column(String(300))
    post_level: Mapped[str] = mapped_column(String(16))
    vacated_on: Mapped[date] = mapped_column(Date)
    successor_nip: Mapped[str] = mapped_column(String(18), index=True)
    successor_name: Mapped[str] = mapped_column(String(200))
    appointing_authority_id: Mapped[str] = mapped_column(String(100))
    oversight_body: Mapped[str] = mapped_column(String(64))
    rulebook_version: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    decision: Mapped[dict[str, Any]] = mapped_column(_JSON)
    review_id: Mapped[str | None] = mapped_column(String(200))
    decree: Mapped[dict[str, Any] | None] = mapped_column(_JSON)
    selection_id: Mapped[str | None] = mapped_column(String(200))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

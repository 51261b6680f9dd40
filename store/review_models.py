"""ORM models of third-party review: bodies, reviewers, declared conflicts, reviews and their seats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, UTCDateTime


class ReviewBody(Base):
    __tablename__ = "review_bodies"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    accreditation_level: Mapped[str | None] = mapped_column(String(4))
    head_reviewer_id: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reviewer(Base):
    __tablename__ = "reviewers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    body_code: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReviewerConflict(Base):
    __tablename__ = "reviewer_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reviewer_id: Mapped[str] = mapped_column(String(200), index=True)
    person_id: Mapped[str] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    review_id: Mapped[str | None] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReviewView(Base):
    __tablename__ = "reviews"

    review_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(64), index=True)
    subject_id: Mapped[str] = mapped_column(String(200))
    parent_process_id: Mapped[str | None] = mapped_column(String(200), index=True)
    agency: Mapped[str | None] = mapped_column(String(32), index=True)
    body_code: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    quorum: Mapped[str] = mapped_column(String(32))
    required_reviewers: Mapped[int] = mapped_column(Integer)
    head_reviewer_id: Mapped[str | None] = mapped_column(String(200))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReviewSeat(Base):
    __tablename__ = "review_seats"
    __table_args__ = (Index("ix_review_seats_reviewer_status", "reviewer_id", "status"),)

    review_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    reviewer_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

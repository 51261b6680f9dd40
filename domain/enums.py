from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    HR_SYSTEM = "hr_system"
    SUPERVISOR = "supervisor"
    PROMOTION_BOARD = "promotion_board"
    AGENCY_HR = "agency_hr"
    BKN = "bkn"
    APPOINTING_AUTHORITY = "appointing_authority"
    REVIEWER = "reviewer"
    # Open selection: panel members (Pansel) and the assessors of an accredited assessment centre.
    # The role admits the caller; membership of the selection's panel or scorer list decides.
    SELECTION_COMMITTEE = "selection_committee"
    ASSESSOR = "assessor"
    # Talent management: the agency's talent committee (its seats are named per talent review) and
    # an employee reading their own box and filing their own objection (subject = their NIP).
    TALENT_COMMITTEE = "talent_committee"
    EMPLOYEE = "employee"
    AUDITOR = "auditor"
    ADMIN = "admin"


class PromotionType(StrEnum):
    REGULAR = "regular"
    STRUCTURAL = "structural"
    FUNCTIONAL = "functional"
    OUTSTANDING = "outstanding"


class Rating(StrEnum):
    """Performance rating (predikat kinerja, PermenPANRB 6/2022), best first."""

    VERY_GOOD = "very_good"
    GOOD = "good"
    NEEDS_IMPROVEMENT = "needs_improvement"
    POOR = "poor"
    VERY_POOR = "very_poor"


class Decision(StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"


class Step(StrEnum):
    """Approval chain steps of a rank promotion, in order."""

    SUPERVISOR = "supervisor"
    PROMOTION_BOARD = "promotion_board"
    AGENCY_HR = "agency_hr"
    BKN_TECHNICAL_APPROVAL = "bkn_technical_approval"
    APPOINTING_AUTHORITY = "appointing_authority"


class PromotionStatus(StrEnum):
    STARTING = "starting"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    INELIGIBLE = "ineligible"
    REJECTED = "rejected"
    FAILED = "failed"

"""Registration: the window's minimum length and what happens at closing with too few applicants.

Under PermenPANRB 15/2019 a post needs a minimum number of applicants; short of it the window is
extended a limited number of times, then the selection fails, or, under a rulebook with a floor,
proceeds with at least that many. All numbers are rulebook data; windows are in calendar days.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from domain.errors import RuleViolation
from domain.selection.rulebook import SelectionRulebook


class RegistrationDecision(StrEnum):
    PROCEED = "proceed"
    EXTEND = "extend"
    FAIL = "fail"
    PROCEED_AT_FLOOR = "proceed_at_floor"


def registration_decision(
    applicants: int, extensions_done: int, rb: SelectionRulebook
) -> RegistrationDecision:
    """What to do when the window closes with ``applicants`` for one post."""
    if applicants < 0 or extensions_done < 0:
        raise ValueError("applicants and extensions_done must not be negative")
    if applicants >= rb.min_applicants_per_post:
        return RegistrationDecision.PROCEED
    if extensions_done < rb.max_extensions:
        return RegistrationDecision.EXTEND
    floor = rb.floor_after_extensions
    if floor is not None and applicants >= floor:
        return RegistrationDecision.PROCEED_AT_FLOOR
    return RegistrationDecision.FAIL


def explain_registration_decision(
    applicants: int, extensions_done: int, rb: SelectionRulebook
) -> str:
    """A sentence for the ledger and the announcement: the decision and the numbers behind it."""
    decision = registration_decision(applicants, extensions_done, rb)
    counted = (
        f"{applicants} applicant(s) after {extensions_done} extension(s); rulebook {rb.version} "
        f"requires {rb.min_applicants_per_post}"
    )
    if decision is RegistrationDecision.PROCEED:
        return f"{counted}: the selection proceeds."
    if decision is RegistrationDecision.EXTEND:
        return (
            f"{counted}: registration is extended by {rb.extension_days} days "
            f"(extension {extensions_done + 1} of at most {rb.max_extensions})."
        )
    if decision is RegistrationDecision.PROCEED_AT_FLOOR:
        return (
            f"{counted}, or {rb.floor_after_extensions} once the extensions are used up: "
            "the selection proceeds at the floor."
        )
    return f"{counted}, and no extension is left: the selection fails."


def extended_close(closes: date, rb: SelectionRulebook) -> date:
    """The new closing date after one extension of the window that closed on ``closes``."""
    return closes + timedelta(days=rb.extension_days)


def window_days(opens: date, closes: date) -> int:
    """Calendar days in the window, both ends included: registration runs to the end of ``closes``."""
    return (closes - opens).days + 1


def validate_window(opens: date, closes: date, rb: SelectionRulebook) -> None:
    """Refuse a registration window shorter than the rulebook's minimum."""
    days = window_days(opens, closes)
    if days >= rb.registration_min_days:
        return
    raise RuleViolation(
        f"The registration window {opens.isoformat()} to {closes.isoformat()} spans {max(days, 0)} "
        f"calendar day(s), both ends included; rulebook {rb.version} requires at least "
        f"{rb.registration_min_days}.",
        code="registration_window_too_short",
        days=days,
        required=rb.registration_min_days,
    )

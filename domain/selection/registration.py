"""Registration: the window, who may still register, and what happens at closing with too few.

Under PermenPANRB 15/2019 a post needs a minimum number of applicants; short of it the window is
extended a limited number of times, then the selection fails, or, under a rulebook with a floor,
proceeds with at least that many. All numbers are rulebook data.

A legal rulebook counts calendar days: the window is announced as dates, opens at the start of its
first day and closes at the end of its last (WIB), and an extension adds days to the last one. A
training rulebook counts minutes: the window is announced as instants (opening at once when no
opening is given) and an extension adds minutes to the closing instant.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain import reasons
from domain.calendar import WIB
from domain.errors import RuleViolation, WrongStage
from domain.selection.rulebook import SelectionRulebook, WindowUnit
from domain.selection.stages import Stage

_BEFORE_REGISTRATION = frozenset({Stage.PLANNING, Stage.PLAN_REVIEW, Stage.ANNOUNCEMENT})


class RegistrationDecision(StrEnum):
    PROCEED = "proceed"
    EXTEND = "extend"
    FAIL = "fail"
    PROCEED_AT_FLOOR = "proceed_at_floor"


class RegistrationWindow(BaseModel):
    """When registration opens and closes; ``opens``/``closes`` are its WIB calendar dates."""

    model_config = ConfigDict(frozen=True)

    opens_at: AwareDatetime
    closes_at: AwareDatetime  # the first instant at which registration is closed
    opens: date
    closes: date


def start_of(d: date) -> datetime:
    """00:00 WIB on ``d``."""
    return datetime.combine(d, time(0, 0), tzinfo=WIB)


def window_of_dates(opens: date, closes: date) -> RegistrationWindow:
    """A window of calendar days: from the start of ``opens`` to the end of ``closes`` (WIB)."""
    return RegistrationWindow(
        opens_at=start_of(opens),
        closes_at=start_of(closes + timedelta(days=1)),
        opens=opens,
        closes=closes,
    )


def window_of_instants(opens_at: datetime, closes_at: datetime) -> RegistrationWindow:
    return RegistrationWindow(
        opens_at=opens_at,
        closes_at=closes_at,
        opens=opens_at.astimezone(WIB).date(),
        closes=closes_at.astimezone(WIB).date(),
    )


def announced_window(
    rb: SelectionRulebook,
    *,
    opens: date | None,
    closes: date | None,
    opens_at: datetime | None,
    closes_at: datetime | None,
    now: datetime,
) -> RegistrationWindow:
    """The window an announcement sets, refused when it breaks a rule of ``rb``.

    Days: ``opens`` and ``closes`` are required, ``opens`` not before today (WIB), the window at
    least ``registration_min_length`` days, both ends included. Minutes: ``closes_at`` is required,
    ``opens_at`` defaults to ``now`` and may not lie more than one minute in the past, and the window
    lasts at least ``registration_min_length`` minutes.
    """
    if rb.window_unit is WindowUnit.DAYS:
        return _window_in_days(rb, opens, closes, opens_at, closes_at, now)
    return _window_in_minutes(rb, opens, closes, opens_at, closes_at, now)


def _window_in_days(
    rb: SelectionRulebook,
    opens: date | None,
    closes: date | None,
    opens_at: datetime | None,
    closes_at: datetime | None,
    now: datetime,
) -> RegistrationWindow:
    if opens_at is not None or closes_at is not None:
        given = "opens_at" if opens_at is not None else "closes_at"
        raise RuleViolation(
            f"Rulebook {rb.version} counts the registration window in calendar days: send the "
            "dates opens and closes, not instants.",
            code="window_in_days",
            field=given,
        )
    missing = [
        {"field": name, "message": "required"}
        for name, value in (("opens", opens), ("closes", closes))
        if value is None
    ]
    if opens is None or closes is None:
        raise RuleViolation(
            "The announcement needs the registration window's dates opens and closes.",
            code="validation_error",
            fields=missing,
        )
    today = now.astimezone(WIB).date()
    if opens < today:
        raise RuleViolation(
            f"Registration cannot open in the past ({opens.isoformat()}; today is "
            f"{today.isoformat()} WIB).",
            code="registration_window_in_past",
            field="opens",
        )
    validate_window(opens, closes, rb)
    return window_of_dates(opens, closes)


def _window_in_minutes(
    rb: SelectionRulebook,
    opens: date | None,
    closes: date | None,
    opens_at: datetime | None,
    closes_at: datetime | None,
    now: datetime,
) -> RegistrationWindow:
    if opens is not None or closes is not None:
        raise RuleViolation(
            f"Rulebook {rb.version} is a training rulebook counting minutes: send closes_at (and "
            "optionally opens_at) as instants, not dates.",
            code="window_in_minutes",
            field="opens" if opens is not None else "closes",
        )
    if closes_at is None:
        raise RuleViolation(
            "The announcement needs the instant registration closes (closes_at).",
            code="validation_error",
            field="closes_at",
        )
    start = opens_at or now
    if start < now - timedelta(minutes=1):
        raise RuleViolation(
            f"Registration cannot open in the past ({start.isoformat()}; it is now "
            f"{now.isoformat()}).",
            code="registration_window_in_past",
            field="opens_at",
        )
    if closes_at - start < rb.registration_min:
        minutes = max((closes_at - start).total_seconds() / 60, 0)
        raise RuleViolation(
            f"The registration window lasts {minutes:g} minute(s); rulebook {rb.version} requires "
            f"at least {rb.registration_min_length}.",
            code="registration_window_too_short",
            field="closes_at",
            required=rb.registration_min_length,
        )
    return window_of_instants(start, closes_at)


def extended(window: RegistrationWindow, rb: SelectionRulebook) -> RegistrationWindow:
    """The window after one extension of the rulebook's length."""
    if rb.window_unit is WindowUnit.DAYS:
        return window_of_dates(window.opens, window.closes + rb.extension)
    return window_of_instants(window.opens_at, window.closes_at + rb.extension)


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
        unit = "days" if rb.window_unit is WindowUnit.DAYS else "minutes"
        return (
            f"{counted}: registration is extended by {rb.extension_length} {unit} "
            f"(extension {extensions_done + 1} of at most {rb.max_extensions})."
        )
    if decision is RegistrationDecision.PROCEED_AT_FLOOR:
        return (
            f"{counted}, or {rb.floor_after_extensions} once the extensions are used up: "
            "the selection proceeds at the floor."
        )
    return reasons.REGISTRATION_FAILED.format(
        applicants=applicants,
        extensions=extensions_done,
        version=rb.version,
        required=rb.min_applicants_per_post,
    )


def extended_close(closes: date, rb: SelectionRulebook) -> date:
    """The new closing date after one extension of the window that closed on ``closes``."""
    return closes + rb.extension


def window_days(opens: date, closes: date) -> int:
    """Calendar days in the window, both ends included: registration runs to the end of ``closes``."""
    return (closes - opens).days + 1


def validate_window(opens: date, closes: date, rb: SelectionRulebook) -> None:
    """Refuse a window of calendar days shorter than the rulebook's minimum."""
    days = window_days(opens, closes)
    if days >= rb.registration_min_length:
        return
    raise RuleViolation(
        f"The registration window {opens.isoformat()} to {closes.isoformat()} spans {max(days, 0)} "
        f"calendar day(s), both ends included; rulebook {rb.version} requires at least "
        f"{rb.registration_min_length}.",
        code="registration_window_too_short",
        field="closes",
        days=days,
        required=rb.registration_min_length,
    )


def check_registration_open(
    stage: str, closes_at: datetime | None, counted_at: datetime | None, now: datetime
) -> None:
    """Refuse a registration unless the window is open: at the registration stage, before the
    closing instant, and not yet counted (the count at closing shuts it at once)."""
    if stage in _BEFORE_REGISTRATION:
        raise WrongStage(
            f"Registration has not opened yet: the selection is at the {stage} stage.",
            code="registration_not_open",
            current=stage,
        )
    if stage != Stage.REGISTRATION:
        raise WrongStage(
            f"Registration is closed: the selection is at the {stage} stage.",
            code="registration_closed",
            current=stage,
        )
    if closes_at is not None and (
        now >= closes_at or (counted_at is not None and counted_at >= closes_at)
    ):
        raise WrongStage(
            f"Registration closed at {closes_at.isoformat()}; applicants were counted and no "
            "registration is accepted after the closing time.",
            code="registration_closed",
            closed_at=closes_at.isoformat(),
        )

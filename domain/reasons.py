"""The sentences workflows write as a process's outcome reason, and how to read one back.

A reason is stored as the English sentence (in the read models, the ledger's payloads and the
workflows' histories, so the words must not change: a history replays only if the same sentence is
built again). Each sentence is one template here, filled with ``str.format``; :func:`parse` finds
the template and its arguments in a stored sentence, so that the console can show it in the
reader's language (``web/reasons.py``) even for runs that wrote it before this module existed.

A reason a person typed (a rejection's justification, a cancellation's reason) matches no template
and is shown as typed. Arguments named in :data:`NESTED` hold another reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache


def N_(text: str) -> str:  # noqa: N802 - gettext's "mark for the catalog" convention
    return text


# Processes
CANCELLED = N_("cancelled")
REQUESTER_CANCELLED = N_("the process that asked for this review was cancelled")
PERTEK_UNREVIEWED = N_("technical approval could not be reviewed: {why}")
SUCCESSOR_NOT_APPROVED = N_("The oversight review did not approve the successor: {why}.")
NOT_APPROVED_BY_BODY = N_("the oversight body did not approve")
PLAN_REVIEW_FAILED = N_("The plan review did not approve: {why}.")
SHORTLIST_REVIEW_FAILED = N_("The shortlist review did not approve: {why}.")
REJECTED_BY_BODY = N_("the oversight body rejected it")
NOBODY_READ = N_("Nobody in the population could be read at the cut-off.")
NOBODY_SCORED = N_("Nobody in the population could be scored.")
NOBODY_SCREENED_IN = N_("No applicant passed administrative screening.")
SHORTLIST_SHORT = N_(
    "Only {passed} applicant(s) passed every cut-off; rulebook {version} needs at least {floor} "
    "names for the appointing authority."
)
PLENARY_REFUSED = N_("The plenary did not approve the shortlist ({yes} for, {no} against).")
REGISTRATION_FAILED = N_(
    "{applicants} applicant(s) after {extensions} extension(s); rulebook {version} requires "
    "{required}, and no extension is left: the selection fails."
)

# Reviews: their outcome, and why a body could not review
AUTO_APPROVED = N_("no verdict within {within}: approved automatically")
BY_HEAD = N_("decided by the head of the body after escalation")
ANY_ONE = N_("the first verdict decides (any one)")
MAJORITY = N_("{count} of {required} reviewers: majority")
UNANIMOUS = N_("all {required} reviewers approved: unanimous")
NO_QUORUM = N_("no {quorum} approval among {required} verdicts")
BODY_NOT_FOUND = N_("No active review body {body}.")
WRONG_BODY_KIND = N_("{body} is a {kind} body; this review needs {needed}.")
NOT_ACCREDITED = N_("{body} is accredited not at all; this review needs {required} or better.")
UNDER_ACCREDITED = N_("{body} is accredited {level}; this review needs {required} or better.")

# Durations inside a reason (``domain.durations.describe``)
WORKING_DAYS = (N_("{n} working day"), N_("{n} working days"))
MINUTES = (N_("{n} minute"), N_("{n} minutes"))

TEMPLATES: tuple[str, ...] = (
    CANCELLED,
    REQUESTER_CANCELLED,
    PERTEK_UNREVIEWED,
    SUCCESSOR_NOT_APPROVED,
    NOT_APPROVED_BY_BODY,
    PLAN_REVIEW_FAILED,
    SHORTLIST_REVIEW_FAILED,
    REJECTED_BY_BODY,
    NOBODY_READ,
    NOBODY_SCORED,
    NOBODY_SCREENED_IN,
    SHORTLIST_SHORT,
    PLENARY_REFUSED,
    REGISTRATION_FAILED,
    AUTO_APPROVED,
    BY_HEAD,
    ANY_ONE,
    MAJORITY,
    UNANIMOUS,
    NO_QUORUM,
    BODY_NOT_FOUND,
    NOT_ACCREDITED,
    UNDER_ACCREDITED,
    WRONG_BODY_KIND,
)
# Arguments that are themselves a reason, the one that is a duration, and those that are codes.
NESTED = frozenset({"why"})
DURATION = "within"
_BODY_KINDS = {
    "oversight": N_("oversight"),
    "assessment_centre": N_("assessment centre"),
    "technical_approval": N_("technical approval"),
}
CODES: dict[str, dict[str, str]] = {
    "quorum": {"any_one": N_("any one"), "majority": N_("majority"), "unanimous": N_("unanimous")},
    "kind": _BODY_KINDS,
    "needed": _BODY_KINDS,
}

_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Reason:
    template: str
    args: Mapping[str, str]


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts, last = [], 0
    for m in _FIELD.finditer(template):
        parts.append(re.escape(template[last : m.start()]))
        parts.append(f"(?P<{m.group(1)}>.+?)")
        last = m.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts), re.DOTALL)


def parse(text: str) -> Reason | None:
    """The template and arguments that ``text`` was written from; None for a typed reason."""
    for template in TEMPLATES:
        m = _pattern(template).fullmatch(text)
        if m is not None:
            return Reason(template, m.groupdict())
    return None


def parse_duration(text: str) -> tuple[str, int] | None:
    """``"5 working days"`` → its template and 5; None when it is not a duration."""
    for form in (*WORKING_DAYS, *MINUTES):
        m = _pattern(form).fullmatch(text)
        if m is not None and m.group("n").isdigit():
            return form, int(m.group("n"))
    return None

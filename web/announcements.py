"""A selection's published announcements as a person reads them: each stage's results as a table
of every participant by rank, with their scores and whether they proceed (PP 11/2017 art.
121(2)), and the announcement's other facts in words.

The bodies are the workflow's, already scrubbed of personal data (``actions.queries.public``);
this module only lays them out. Titles and labels are catalog strings, shown in the person's
language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from actions.schemas.selections import AnnouncementRead
from web.i18n import N_

TITLES = {
    "Vacancy announced": N_("Vacancy announced"),
    "Registration extended": N_("Registration extended"),
    "Registration closed": N_("Registration closed"),
    "Administrative screening results": N_("Administrative screening results"),
    "Integrated ranking": N_("Integrated ranking"),
    "Shortlist proposed to the appointing authority": N_(
        "Shortlist proposed to the appointing authority"
    ),
    "Appointment": N_("Appointment"),
    "Selection cancelled": N_("Selection cancelled"),
    "Selection failed": N_("Selection failed"),
}
COMPONENT_PREFIX, COMPONENT_TITLE = "Results: ", N_("Results: %(component)s")
FACTS = {
    "post": N_("Post"),
    "opens": N_("Registration opens"),
    "closes": N_("Registration closes"),
    "closes_at": N_("Registration closes at"),
    "text": N_("Announcement"),
    "applicants": N_("Applicants"),
    "eligible": N_("Eligible"),
    "extension": N_("Extension"),
    "reason": N_("Reason"),
    "outcome": N_("Outcome"),
    "component": N_("Component"),
    "applicant_id": N_("Appointed"),
}
DATES, INSTANTS = frozenset({"opens", "closes"}), frozenset({"closes_at", "opens_at"})
RANK, PARTICIPANT, SCORE, TOTAL = N_("Rank"), N_("Participant"), N_("Score"), N_("Total")
RESULT, PROCEEDS, CUTOFFS = N_("Result"), N_("Proceeds"), N_("Met the cut-offs")
YES, NO = N_("yes"), N_("no")


@dataclass
class Shaped:
    key: str
    title: str  # a catalog msgid when known, else the title as published
    stage: str
    published_at: Any
    params: dict[str, str] = field(default_factory=dict)  # the title's parameters
    columns: list[str] = field(default_factory=list)  # msgids, or component codes
    rows: list[list[Any]] = field(default_factory=list)
    proceeds: list[bool] = field(default_factory=list)  # per row: proceeds to the next stage
    names: list[str] = field(default_factory=list)  # a plain list (the shortlist)
    facts: list[tuple[str, Any]] = field(default_factory=list)


def shape(a: AnnouncementRead) -> Shaped:
    out = Shaped(a.key, TITLES.get(a.title, a.title), a.stage, a.published_at)
    if a.title.startswith(COMPONENT_PREFIX):  # one component's results, named by the scheme
        out.title, out.params = COMPONENT_TITLE, {"component": a.title[len(COMPONENT_PREFIX) :]}
    body = dict(a.body)
    if isinstance(body.get("results"), list):  # screening: MS / TMS
        out.columns = [PARTICIPANT, RESULT, PROCEEDS]
        for r in body.pop("results"):
            ok = bool(r.get("eligible"))
            out.rows.append([r.get("applicant_id"), r.get("result", "")])
            out.proceeds.append(ok)
    elif isinstance(body.get("ranking"), list) and "proposed" in body:  # the integrated ranking
        proposed = set(body.pop("proposed") or [])
        ranking = body.pop("ranking")
        codes = sorted({c for r in ranking for c in (r.get("component_scores") or {})})
        out.columns = [RANK, PARTICIPANT, *codes, TOTAL, CUTOFFS, PROCEEDS]
        for r in ranking:
            scores = r.get("component_scores") or {}
            out.rows.append(
                [r.get("rank"), r.get("applicant_id")]
                + [scores.get(c) for c in codes]
                + [r.get("total"), YES if r.get("passed") else NO]
            )
            out.proceeds.append(r.get("applicant_id") in proposed)
    elif isinstance(body.get("ranking"), list):  # one component's results
        out.columns = [RANK, PARTICIPANT, SCORE]
        for r in body.pop("ranking"):
            out.rows.append([r.get("rank"), r.get("applicant_id"), r.get("score")])
    if isinstance(body.get("shortlist"), list):
        names = body.pop("shortlist")
        if names and all(isinstance(n, dict) for n in names):  # ranked names with their totals
            out.columns = [RANK, PARTICIPANT, TOTAL]
            out.rows = [[n.get("rank"), n.get("applicant_id"), n.get("total")] for n in names]
        else:
            out.names = [str(n) for n in names]
    for k, v in body.items():
        if isinstance(v, str | int | float) and v != "":
            out.facts.append((FACTS.get(k, k), _when(k, v)))
    return out


def _when(key: str, value: Any) -> Any:
    """A date or an instant as one (the template formats it in the person's locale)."""
    try:
        if key in DATES:
            return date.fromisoformat(str(value))
        if key in INSTANTS:
            return datetime.fromisoformat(str(value))
    except ValueError:
        pass
    return value

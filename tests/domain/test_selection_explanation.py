"""explain_selection: the ranking recomputed from the record and checked against what was published.

Each case builds a small record the way the workflow and its activities write it (ledger rows as
``entry_to_dict`` gives them, announcement bodies by key), then perhaps tampers with it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.eligibility import Reason
from domain.explanation import LedgerCheck
from domain.selection.explanation import (
    ApplicantRecord,
    SelectionExplanation,
    explain_selection,
    ranking_digest,
)
from domain.selection.ranking import ScoreSheet, component_ranking, rank, shortlist
from domain.selection.scheme import Component, ScoringScheme

RULEBOOK = "PermenPANRB-15-2019"
T0 = datetime(2031, 3, 1, 2, 0, tzinfo=UTC)
SCHEME = ScoringScheme(
    components=[
        Component(code="assessment", name="Assessment centre", weight=60, cutoff=50),
        Component(code="interview", name="Interview", weight=40),
        Component(code="health", name="Health", weight=0, pass_fail=True),
    ],
    tie_break=["assessment", "age"],
)
# applicant -> (assessment, interview, health), one scorer each
BASE = {
    "A1": (90.0, 80.0, 1.0),  # 86
    "A2": (85.0, 85.0, 1.0),  # 85
    "A3": (70.0, 70.0, 1.0),  # 70
    "A4": (60.0, 80.0, 1.0),  # 68
}
OK = LedgerCheck(entries=0, verified=True)


@dataclass
class Record:
    """A selection's record: ledger rows, scores in force, births, screening, announcements."""

    scores: dict[str, tuple[float, float, float]]
    births: dict[str, date] = field(default_factory=dict)
    screened_out: list[str] = field(default_factory=list)
    # (applicant, component, new score): amended after submission, with a justification
    amendments: list[tuple[str, str, float]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    published: dict[str, dict[str, Any]] = field(default_factory=dict)
    sheets: list[ScoreSheet] = field(default_factory=list)

    def add(self, kind: str, actor: str = "system:selection", **payload: Any) -> dict[str, Any]:
        seq = len(self.rows) + 1
        row = {
            "seq": seq,
            "entry_id": f"p:{seq}",
            "process_id": "p",
            "process_kind": "selection",
            "kind": kind,
            "outcome": "accepted",
            "actor_id": actor,
            "actor_role": "system" if actor.startswith("system") else "selection_committee",
            "actor_agency": None,
            "on_behalf_of": None,
            "agency": "KEMENPANRB",
            "subject": payload.get("applicant_id"),
            "payload": payload,
            "justification": payload.pop("_why", None),
            "rulebook_version": RULEBOOK,
            "occurred_at": (T0 + timedelta(minutes=seq)).isoformat(),
            "stage_before": None,
            "stage_after": payload.pop("_stage", None),
        }
        self.rows.append(row)
        return row

    def build(self) -> Record:
        """Write the record the way the workflow, the store and the activities do."""
        self.add("selection.started", "hr-1")
        self.add("scheme.set", "hr-1", scheme=SCHEME.model_dump(mode="json"), scorers={})
        everyone = sorted(self.scores)
        births = {a: self.births.get(a, date(1975, 1, 1)) for a in everyone}
        for a in everyone:
            self.add(
                "screening.decided", "sec", applicant_id=a, eligible=a not in self.screened_out
            )
        in_force: dict[tuple[str, str], float] = {}
        for a in everyone:
            if a in self.screened_out:
                continue
            for code, score in zip(
                ("assessment", "interview", "health"), self.scores[a], strict=True
            ):
                self.add(
                    "score.submitted", f"s-{code}", component=code, applicant_id=a, score=score
                )
                in_force[(a, code)] = score
        for n, (a, code, new) in enumerate(self.amendments, start=1):
            old = in_force[(a, code)]
            in_force[(a, code)] = new
            self.add(
                "score.amended",
                f"s-{code}",
                component=code,
                applicant_id=a,
                score=new,
                old=old,
                new=new,
                amendment=n,
                _why="transcription error",
            )
        self.sheets = [
            ScoreSheet(applicant_id=a, component=c, scorer_id=f"s-{c}", score=s)
            for (a, c), s in sorted(in_force.items())
        ]
        self.births = {a: b for a, b in births.items() if a not in self.screened_out}
        for code in ("assessment", "interview", "health"):
            ranking = [
                {"rank": i + 1, "applicant_id": a, "score": s}
                for i, (a, s) in enumerate(component_ranking(self.sheets, code))
            ]
            key = f"component-{code}-0"
            self.published[key] = {"component": code, "ranking": ranking}
            self.add(
                "component.closed",
                "sec",
                component=code,
                ranked=len(ranking),
                digest=ranking_digest(ranking),
                announcement=key,
            )
        ranked = rank(self.sheets, SCHEME, self.births)
        proposed = [r.applicant_id for r in shortlist(ranked, 3)]
        rows = [r.model_dump(mode="json") for r in ranked]
        fields = ("applicant_id", "rank", "total", "passed", "component_scores")
        self.published["ranking-0"] = {
            "ranking": [{k: r[k] for k in fields} for r in rows],
            "proposed": proposed,
        }
        self.add(
            "shortlist.proposed",
            passed=sum(r.passed for r in ranked),
            proposed=proposed,
            digest=ranking_digest(rows),
            announcement="ranking-0",
            recused_members=[],
        )
        self.add("plenary.closed", "chair", plenary={"approved": True}, _why="agreed")
        self.add(
            "selection.appointed",
            "ppk-1",
            applicant_id=proposed[0],
            _why="fits the post",
            _stage="completed",
        )
        return self

    def explain(self) -> SelectionExplanation:
        return explain_selection(
            "p",
            self.rows,
            sheets=self.sheets,
            birth_dates=self.births,
            applicants=[
                ApplicantRecord(
                    applicant_id=a,
                    auto_eligible=a not in self.screened_out,
                    auto_reasons=[
                        Reason(code="degree", met=a not in self.screened_out, message="S2 needed")
                    ],
                    decision="confirmed",
                    final_eligible=a not in self.screened_out,
                    decided_by="sec",
                    decided_at=T0,
                )
                for a in sorted(self.scores)
            ],
            published=self.published,
            ledger=OK,
        )


def _by_id(ex: SelectionExplanation) -> dict[str, Any]:
    return {a.applicant_id: a for a in ex.applicants}


def test_the_digest_binds_the_content_not_the_key_order() -> None:
    rows: list[dict[str, object]] = [{"b": 1.5, "a": "é"}, {"rank": 1}]
    digest = ranking_digest(rows)
    assert len(digest) == 64
    assert digest == ranking_digest([{"a": "é", "b": 1.5}, {"rank": 1}])
    assert digest != ranking_digest([{"b": 1.5, "a": "e"}, {"rank": 1}])
    assert digest != ranking_digest(list(reversed(rows)))


@dataclass
class Case:
    name: str
    scores: dict[str, tuple[float, float, float]]
    births: dict[str, date] = field(default_factory=dict)
    screened_out: list[str] = field(default_factory=list)
    amendments: list[tuple[str, str, float]] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # the ranked (passed) applicants, best first
    expect: dict[str, dict[str, Any]] = field(default_factory=dict)
    sentence: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        "plain order",
        BASE,
        order=["A1", "A2", "A3", "A4"],
        expect={
            "A1": {"rank": 1, "total": 86.0, "shortlisted": True},
            "A4": {"shortlisted": False},
        },
        sentence={
            "A1": "Rank 1 with a total of 86 (Assessment centre 90, Interview 80, Health pass)"
        },
    ),
    Case(
        "tie broken by the assessment tie-break",
        # A2: 80*.6 + 90*.4 = 84; A5: 90*.6 + 75*.4 = 84, A5 has the better assessment
        {**BASE, "A2": (80.0, 90.0, 1.0), "A5": (90.0, 75.0, 1.0)},
        order=["A1", "A5", "A2", "A3", "A4"],
        expect={
            "A5": {"rank": 2, "total": 84.0, "tie_broken_by": "assessment"},
            "A2": {"rank": 3, "total": 84.0, "tie_broken_by": "assessment"},
        },
        sentence={"A5": "the tie-break on Assessment centre (90) settles its place"},
    ),
    Case(
        "tie broken by age",
        {**BASE, "A5": (90.0, 80.0, 1.0)},
        births={"A1": date(1980, 5, 5), "A5": date(1970, 1, 1)},
        order=["A5", "A1", "A2", "A3", "A4"],
        expect={"A5": {"rank": 1, "tie_broken_by": "age"}, "A1": {"rank": 2}},
        sentence={"A5": "the age tie-break (born 1970-01-01) settles its place"},
    ),
    Case(
        "cut-off and pass/fail failures",
        {**BASE, "A5": (40.0, 95.0, 1.0), "A6": (95.0, 95.0, 0.0)},
        order=["A1", "A2", "A3", "A4"],
        expect={
            "A5": {"rank": None, "passed": False, "failed_cutoffs": ["assessment"]},
            "A6": {"rank": None, "passed": False, "failed_cutoffs": ["health"]},
        },
        sentence={
            "A5": "Assessment centre 40 is under the cut-off 50",
            "A6": "Health: fail",
        },
    ),
    Case(
        "the amended score is the one used",
        BASE,
        amendments=[("A4", "interview", 100.0)],  # 60*.6 + 100*.4 = 76
        order=["A1", "A2", "A4", "A3"],
        expect={"A4": {"rank": 3, "total": 76.0, "shortlisted": True}},
    ),
    Case(
        "a screened-out applicant is explained, not ranked",
        {**BASE, "A9": (99.0, 99.0, 1.0)},
        screened_out=["A9"],
        order=["A1", "A2", "A3", "A4"],
        expect={"A9": {"ranked": False, "rank": None}},
        sentence={"A9": "screened out by the committee, confirming the pre-check (S2 needed)"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_ranking_is_recomputed_and_matches_what_was_published(case: Case) -> None:
    record = Record(
        case.scores,
        births=dict(case.births),
        screened_out=case.screened_out,
        amendments=case.amendments,
    ).build()
    ex = record.explain()
    assert ex.published_matches and ex.scores_match_ledger, ex.differences
    assert ex.first_difference is None and ex.differences == []
    ranked = [a for a in ex.applicants if a.rank is not None]
    assert [a.applicant_id for a in ranked] == case.order
    applicants = _by_id(ex)
    for applicant, expected in case.expect.items():
        got = applicants[applicant].model_dump()
        assert {k: got[k] for k in expected} == expected, applicant
    for applicant, words in case.sentence.items():
        assert words in applicants[applicant].explanation, applicants[applicant].explanation
    assert ex.scheme == SCHEME and ex.scheme_source == "ledger"
    assert [c.matches for c in ex.checks] == [True, True, True, True]
    assert {c.announcement for c in ex.checks} == {
        "component-assessment-0",
        "component-interview-0",
        "component-health-0",
        "ranking-0",
    }
    for a in ex.applicants:
        assert a.screening is not None and a.screening.decided_by == "sec"
    assert ex.outcome.status == "completed" and ex.outcome.appointee_id == case.order[0]


def test_the_amendment_is_shown_on_the_score_in_force() -> None:
    record = Record(BASE, amendments=[("A4", "interview", 100.0)]).build()
    a4 = _by_id(record.explain())["A4"]
    interview = next(s for s in a4.scores if s.component == "interview")
    assert (interview.score, interview.amendments) == (100.0, 1)
    assert interview.ledger_seq == next(
        r["seq"] for r in record.rows if r["kind"] == "score.amended"
    )


def _swap_first_two(body: dict[str, Any]) -> None:
    ranking = body["ranking"]
    ranking[0]["applicant_id"], ranking[1]["applicant_id"] = (
        ranking[1]["applicant_id"],
        ranking[0]["applicant_id"],
    )


def _ledger_payload(kind: str, **where: Any) -> Any:
    def pick(record: Record) -> dict[str, Any]:
        return next(
            r["payload"]
            for r in record.rows
            if r["kind"] == kind and all(r["payload"].get(k) == v for k, v in where.items())
        )

    return pick


TAMPERINGS = [
    (
        "a published total raised",
        lambda r: r.published["ranking-0"]["ranking"][2].update(total=99.0),
        "ranking",
        "ranking-0: position 3 (A3): total published 99, recomputed 70",
    ),
    (
        "two published names swapped",
        lambda r: _swap_first_two(r.published["ranking-0"]),
        "ranking",
        "ranking-0: position 1 (A1): applicant_id published A2, recomputed A1",
    ),
    (
        "a published row dropped",
        lambda r: r.published["ranking-0"]["ranking"].pop(),
        "ranking",
        "ranking-0: 3 rows published, 4 recomputed; position 4 (A4) is only recomputed",
    ),
    (
        "the published proposal changed",
        lambda r: r.published["ranking-0"].update(proposed=["A1", "A2", "A4"]),
        "proposed",
        "published proposed A1, A2, A4, recomputed A1, A2, A3",
    ),
    (
        "a published component score changed",
        lambda r: r.published["component-interview-0"]["ranking"][0].update(score=10.0),
        "component",
        "component-interview-0: position 1 (A2): score published 10, recomputed 85",
    ),
    (
        "the ledger's ranking digest replaced",
        lambda r: _ledger_payload("shortlist.proposed")(r).update(digest="0" * 64),
        "ranking_digest",
        f"the ledger binds digest {'0' * 64}",
    ),
    (
        "the ledger's component digest replaced",
        lambda r: _ledger_payload("component.closed", component="health")(r).update(
            digest="f" * 64
        ),
        "component",
        "component.closed health",
    ),
]


@pytest.mark.parametrize(
    ("tamper", "kind", "words"),
    [t[1:] for t in TAMPERINGS],
    ids=[t[0] for t in TAMPERINGS],
)
def test_a_tampered_publication_is_named(tamper: Any, kind: str, words: str) -> None:
    record = Record(BASE).build()
    untouched = copy.deepcopy(record.published)
    tamper(record)
    ex = record.explain()
    assert ex.published_matches is False and ex.scores_match_ledger is True
    assert [d.kind for d in ex.differences] == [kind], ex.differences
    assert ex.first_difference is not None and words in ex.first_difference, ex.first_difference
    assert [c.matches for c in ex.checks].count(False) == 1
    # the applicants' places are still the recomputed ones, not the tampered ones
    assert [a.applicant_id for a in ex.applicants] == ["A1", "A2", "A3", "A4"]
    assert untouched != record.published or kind in ("ranking_digest", "component")


def test_a_score_changed_behind_the_ledgers_back_is_named() -> None:
    record = Record(BASE).build()
    record.sheets = [
        s.model_copy(update={"score": 20.0})
        if (s.applicant_id, s.component) == ("A1", "interview")
        else s
        for s in record.sheets
    ]
    ex = record.explain()
    assert ex.scores_match_ledger is False and ex.published_matches is False
    assert ex.differences[0].kind == "score"
    seq = next(
        r["seq"]
        for r in record.rows
        if r["kind"] == "score.submitted"
        and (r["payload"]["applicant_id"], r["payload"]["component"]) == ("A1", "interview")
    )
    assert ex.first_difference == (
        "interview score of A1 by s-interview: the score in force is 20, the ledger's last entry "
        f"(seq {seq}) says 80"
    )


def test_stage_decisions_leave_out_the_candidate_entries() -> None:
    ex = Record(BASE).build().explain()
    kinds = [d.kind for d in ex.stage_decisions]
    assert kinds == [
        "selection.started",
        "scheme.set",
        "component.closed",
        "component.closed",
        "component.closed",
        "shortlist.proposed",
        "plenary.closed",
        "selection.appointed",
    ]
    appointed = ex.stage_decisions[-1]
    assert (appointed.actor.id, appointed.justification) == ("ppk-1", "fits the post")
    assert appointed.at == T0 + timedelta(minutes=appointed.seq)


def test_a_later_ranking_supersedes_the_earlier_one() -> None:
    record = Record(BASE).build()
    # a return: the interview is closed again and the list proposed again, after an amendment
    first = copy.deepcopy(record.published)
    record.published["ranking-0"]["ranking"][0]["total"] = 1.0  # the old list no longer counts
    again = Record(BASE, amendments=[("A4", "interview", 100.0)]).build()
    rows = record.rows + [
        {**r, "seq": r["seq"] + len(record.rows), "entry_id": f"q:{r['seq']}"}
        for r in again.rows
        if r["kind"] in ("score.amended", "component.closed", "shortlist.proposed")
    ]
    for r in rows[len(record.rows) :]:
        key = r["payload"].get("announcement")
        if key:
            r["payload"] = {**r["payload"], "announcement": key.replace("-0", "-1")}
    published = {
        **record.published,
        **{k.replace("-0", "-1"): v for k, v in again.published.items()},
    }
    ex = explain_selection(
        "p",
        rows,
        sheets=again.sheets,
        birth_dates=again.births,
        applicants=[],
        published=published,
        ledger=OK,
    )
    assert ex.published_matches, ex.differences
    assert [(c.announcement, c.matches) for c in ex.checks if c.what == "integrated ranking"] == [
        ("ranking-0", None),
        ("ranking-1", True),
    ]
    assert first["ranking-0"] != record.published["ranking-0"]
    assert _by_id(ex)["A4"].rank == 3

"""The public announcement bodies laid out for people: every participant by rank, with their
scores and whether they proceed; dates as dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from actions.schemas.selections import AnnouncementRead
from web.announcements import PROCEEDS, shape

NOW = datetime(2027, 3, 1, 3, tzinfo=UTC)


def announced(title: str, body: dict[str, Any]) -> AnnouncementRead:
    return AnnouncementRead(key="k", stage="assessment", title=title, body=body, published_at=NOW)


def test_the_integrated_ranking_says_who_proceeds() -> None:
    body = {
        "ranking": [
            {"applicant_id": "a1", "rank": 1, "total": 89.0, "passed": True,
             "component_scores": {"interview": 89.0}},
            {"applicant_id": "a4", "rank": 2, "total": 50.0, "passed": False,
             "component_scores": {"interview": 50.0}},
        ],
        "proposed": ["a1"],
    }  # fmt: skip
    s = shape(announced("Integrated ranking", body))
    assert s.columns[-1] == PROCEEDS and "interview" in s.columns
    assert s.rows == [[1, "a1", 89.0, 89.0, "yes"], [2, "a4", 50.0, 50.0, "no"]]
    assert s.proceeds == [True, False]


def test_screening_components_shortlist_and_dates() -> None:
    screening = shape(
        announced(
            "Administrative screening results",
            {"applicants": 2, "results": [
                {"applicant_id": "a1", "eligible": True, "result": "MS"},
                {"applicant_id": "a2", "eligible": False, "result": "TMS"},
            ]},
        )
    )  # fmt: skip
    assert screening.rows == [["a1", "MS"], ["a2", "TMS"]] and screening.proceeds == [True, False]
    component = shape(
        announced(
            "Results: Wawancara", {"ranking": [{"rank": 1, "applicant_id": "a1", "score": 90}]}
        )
    )
    assert (component.title, component.params) == (
        "Results: %(component)s",
        {"component": "Wawancara"},
    )
    names = shape(announced("Shortlist proposed to the appointing authority", {"shortlist": [
        {"applicant_id": "a1", "rank": 1, "total": 89.0}]}))  # fmt: skip
    assert names.rows == [[1, "a1", 89.0]]
    vacancy = shape(
        announced(
            "Vacancy announced",
            {"opens": "2027-03-01", "closes_at": "2027-03-02T10:00:00+07:00", "text": ""},
        )
    )
    assert dict(vacancy.facts) == {
        "Registration opens": date(2027, 3, 1),
        "Registration closes at": datetime.fromisoformat("2027-03-02T10:00:00+07:00"),
    }

"""One registration per applicant id and per NIP, every duplicate of a batch named at once."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import RuleViolation
from domain.selection.applicants import duplicates, refuse_duplicates
from domain.selection.screening import ApplicantProfile


def p(applicant_id: str, nip: str | None = None) -> ApplicantProfile:
    return ApplicantProfile(
        applicant_id=applicant_id,
        nip=nip,
        name=applicant_id,
        degree="S2",
        years_experience=10,
        years_senior_post=3,
        birth_date=date(1975, 1, 1),
        grade="IV/b",
    )


NIP1, NIP2, NIP3 = "197501012000031001", "197501012000031002", "197501012000031003"


def test_each_kind_of_duplicate_is_found_with_its_row_and_what_it_clashes_with():
    batch = [p("B-1", NIP2), p("OLD", NIP3), p("B-2", NIP1), p("B-1"), p("B-3", NIP2), p("B-4")]
    found = duplicates({"OLD": NIP1}, batch)
    assert [(d["index"], d["field"], d["conflict"], d["with"]) for d in found] == [
        (1, "applicant_id", "registered", None),
        (2, "nip", "registered", "OLD"),
        (3, "applicant_id", "listed_twice", 0),
        (4, "nip", "listed_twice", "B-1"),
    ]
    assert duplicates({"OLD": None}, [p("NEW"), p("X")]) == []


def test_a_batch_is_refused_naming_every_row_and_field():
    found = duplicates({"OLD": NIP1}, [p("OLD"), p("B-2", NIP1)])
    with pytest.raises(RuleViolation) as err:
        refuse_duplicates("JPT-1", found, batch=True)
    assert err.value.code == "applicant_exists"
    assert [f["field"] for f in err.value.fields] == ["row 1, applicant_id", "row 2, nip"]
    assert "Nothing was imported into selection JPT-1: 2 duplicate(s)" in err.value.message
    with pytest.raises(RuleViolation) as err:
        refuse_duplicates("JPT-1", duplicates({"OLD": None}, [p("OLD")]), batch=False)
    assert [f["field"] for f in err.value.fields] == ["applicant_id"]
    refuse_duplicates("JPT-1", [], batch=True)

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from domain.employee import EmployeeRecord, RatingRecord, Sanction
from domain.enums import Rating

NIP = "198503152010011001"


def _record(**overrides: Any) -> EmployeeRecord:
    fields: dict[str, Any] = {
        "nip": NIP,
        "name": "Siti Rahmawati",
        "agency": "KEMENPANRB",
        "grade": "III/b",
        "rank_since": date(2022, 4, 1),
        "education": "S1",
    }
    return EmployeeRecord(**(fields | overrides))


def test_minimal_record_has_documented_defaults():
    record = _record()
    assert record.position == ""
    assert record.position_kind == "executor"
    assert record.supervisor_nip is None
    assert record.ratings == []
    assert record.sanctions == []
    assert record.trainings == []
    assert record.credit_points == 0
    assert record.has_position_decree is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nip", "19850315201001100"),  # 17 digits
        ("nip", "1985031520100110011"),  # 19 digits
        ("nip", "19850315201001100x"),
        ("nip", "١٩٨٥٠٣١٥٢٠١٠٠١١٠٠١"),  # Arabic-Indic digits are not a NIP
        ("supervisor_nip", "12345"),
        ("name", ""),
        ("name", "x" * 201),
        ("agency", ""),
        ("agency", "A" * 33),
        ("grade", "III/e"),
        ("grade", "3/b"),
        ("education", "S4"),
        ("education", "s1"),
        ("position_kind", "manager"),
        ("credit_points", -1),
    ],
)
def test_invalid_fields_are_rejected(field, value):
    with pytest.raises(ValidationError):
        _record(**{field: value})


@pytest.mark.parametrize(
    "education", ["SD", "SMP", "SMA", "D1", "D2", "D3", "D4", "S1", "S2", "S3"]
)
def test_every_education_level_is_accepted(education):
    assert _record(education=education).education == education


def test_supervisor_nip_accepts_eighteen_digits():
    assert _record(supervisor_nip="197001011995031002").supervisor_nip == "197001011995031002"


def test_rating_for_returns_the_year_or_none():
    record = _record(
        ratings=[
            RatingRecord(year=2024, rating=Rating.GOOD),
            RatingRecord(year=2025, rating=Rating.VERY_GOOD),
        ]
    )
    assert record.rating_for(2025) is Rating.VERY_GOOD
    assert record.rating_for(2024) is Rating.GOOD
    assert record.rating_for(2023) is None


def test_two_ratings_for_one_year_are_rejected():
    with pytest.raises(ValidationError):
        _record(
            ratings=[
                RatingRecord(year=2025, rating=Rating.GOOD),
                RatingRecord(year=2025, rating=Rating.POOR),
            ]
        )


def test_record_is_immutable():
    record = _record()
    with pytest.raises(ValidationError):
        record.grade = "III/c"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("sanction", "day", "active"),
    [
        (
            Sanction(kind="x", start=date(2025, 1, 1), end=date(2025, 12, 31)),
            date(2024, 12, 31),
            False,
        ),
        (
            Sanction(kind="x", start=date(2025, 1, 1), end=date(2025, 12, 31)),
            date(2025, 1, 1),
            True,
        ),
        (
            Sanction(kind="x", start=date(2025, 1, 1), end=date(2025, 12, 31)),
            date(2025, 12, 31),
            True,
        ),
        (
            Sanction(kind="x", start=date(2025, 1, 1), end=date(2025, 12, 31)),
            date(2026, 1, 1),
            False,
        ),
        (Sanction(kind="x", start=date(2025, 1, 1)), date(2030, 1, 1), True),
        (Sanction(kind="x", start=date(2025, 1, 1)), date(2024, 12, 31), False),
    ],
)
def test_sanction_active_on_is_inclusive_of_both_ends(sanction, day, active):
    assert sanction.active_on(day) is active


def test_sanction_cannot_end_before_it_starts():
    with pytest.raises(ValidationError):
        Sanction(kind="x", start=date(2025, 2, 1), end=date(2025, 1, 31))

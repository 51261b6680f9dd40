"""Civil-service grades (golongan/ruang) I/a … IV/e.

Grades are compared by position in ``GRADES``, never as strings: "IV/a" < "III/d" as text, but
it is the higher grade.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

from domain.errors import RuleViolation

GRADES: tuple[str, ...] = tuple(
    f"{group}/{room}" for group in ("I", "II", "III", "IV") for room in "abcd"
) + ("IV/e",)


def _known_grade(value: str) -> str:
    if value not in GRADES:
        raise ValueError(f"unknown grade {value!r}; expected one of I/a … IV/e")
    return value


# A grade field of a record sent in: its schema lists the grades, so a client (and a fuzzer) knows
# which strings are one before the server says so.
Grade = Annotated[
    str, AfterValidator(_known_grade), WithJsonSchema({"type": "string", "enum": list(GRADES)})
]

_INDEX: dict[str, int] = {grade: i for i, grade in enumerate(GRADES)}


def grade_index(grade: str) -> int:
    """Position of ``grade`` in the ladder, so grades can be compared and stepped."""
    try:
        return _INDEX[grade]
    except KeyError:
        raise RuleViolation(
            f"{grade!r} is not a civil-service grade; expected one of I/a … IV/e.",
            code="unknown_grade",
        ) from None


def next_grade(grade: str) -> str | None:
    """The grade one step up, or None at IV/e, where no rank promotion is possible."""
    i = grade_index(grade)
    return GRADES[i + 1] if i + 1 < len(GRADES) else None

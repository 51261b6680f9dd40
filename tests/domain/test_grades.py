import pytest

from domain.errors import RuleViolation
from domain.grades import GRADES, grade_index, next_grade


def test_grades_run_from_i_a_to_iv_e_in_order():
    assert len(GRADES) == 17
    assert GRADES[:5] == ("I/a", "I/b", "I/c", "I/d", "II/a")
    assert GRADES[-6:] == ("III/d", "IV/a", "IV/b", "IV/c", "IV/d", "IV/e")


@pytest.mark.parametrize(
    ("lower", "higher"),
    [("I/d", "II/a"), ("II/d", "III/a"), ("III/d", "IV/a"), ("III/a", "IV/a"), ("IV/d", "IV/e")],
)
def test_grade_index_orders_by_ladder_not_text(lower, higher):
    assert grade_index(lower) < grade_index(higher)


@pytest.mark.parametrize(
    ("grade", "expected"),
    [("I/a", "I/b"), ("I/d", "II/a"), ("II/d", "III/a"), ("III/d", "IV/a"), ("IV/e", None)],
)
def test_next_grade(grade, expected):
    assert next_grade(grade) == expected


@pytest.mark.parametrize("bad", ["", "V/a", "III/e", "iii/a", "III-a", " III/a"])
def test_unknown_grade_is_a_rule_violation(bad):
    with pytest.raises(RuleViolation) as exc:
        grade_index(bad)
    assert exc.value.code == "unknown_grade"
    with pytest.raises(RuleViolation):
        next_grade(bad)

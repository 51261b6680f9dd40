"""How a vacated post is filled: a JPT post by talent management or open selection (the rules of
``domain.talent.filling``, tested in ``test_talent_rules.py``), any other post within the agency."""

from __future__ import annotations

from datetime import date

import pytest

from domain.selection.rulebook import POST_LEVELS
from domain.talent.filling import decide
from domain.talent.rulebook import get_talent_rulebook
from domain.vacancies import POST_KINDS, from_decision, is_jpt, within_agency


@pytest.mark.parametrize("level", POST_LEVELS)
def test_a_jpt_post_is_for_the_rules_to_route(level: str) -> None:
    assert is_jpt(level)
    d = decide(
        post_level=level,
        filled_by=None,
        approval=None,
        has_plan=False,
        candidates=[],
        rb=get_talent_rulebook("BKN-TM-2025.2"),
        on=date(2027, 1, 4),
    )
    filling = from_decision(d)
    assert filling.route == "open_selection" and "UU 5/2014" in filling.legal_basis
    assert "No talent-management approval" in filling.reason


@pytest.mark.parametrize("level", [k for k in POST_KINDS if k not in POST_LEVELS])
def test_other_posts_are_filled_within_the_agency(level: str) -> None:
    assert not is_jpt(level)
    filling = within_agency(level)
    assert filling.route == "within_agency"
    assert level in filling.reason and "not a high leadership post" in filling.reason

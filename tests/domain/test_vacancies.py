"""How a vacated post is filled: open selection for a JPT post, another way otherwise."""

from __future__ import annotations

import pytest

from domain.selection.rulebook import POST_LEVELS
from domain.vacancies import POST_KINDS, how_filled


@pytest.mark.parametrize("level", POST_LEVELS)
def test_a_jpt_post_is_filled_by_open_selection(level: str) -> None:
    filling = how_filled(level)
    assert filling.open_selection and filling.route == "open_selection"
    assert "UU 5/2014" in filling.legal_basis


@pytest.mark.parametrize("level", POST_LEVELS)
def test_an_approved_talent_pool_fills_a_jpt_post_without_selection(level: str) -> None:
    filling = how_filled(level, "talent_management")
    assert not filling.open_selection and filling.route == "talent_management"
    assert filling.legal_basis == "UU 5/2014 Pasal 111" and "talent pool" in filling.reason


@pytest.mark.parametrize("level", [k for k in POST_KINDS if k not in POST_LEVELS])
@pytest.mark.parametrize("filled_by", ["open_selection", "talent_management"])
def test_other_posts_are_filled_within_the_agency(level: str, filled_by: str) -> None:
    filling = how_filled(level, filled_by)  # type: ignore[arg-type]
    assert not filling.open_selection and filling.route == "within_agency"
    assert level in filling.reason and "not a high leadership post" in filling.reason

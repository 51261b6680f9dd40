"""The score sheet is blind in both languages: a refusal a scorer meets there names no applicant,
although the pipeline's own sentence names the applicant's id."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.errors import Conflict, DomainError, NotPermitted, RuleViolation
from domain.selection.scoring import (
    require_not_conflicted,
    require_scores_visible,
    require_screened_in,
)
from web.i18n import Formatter
from web.refusals import CODES


def _raised(check: Callable[[], object]) -> DomainError:
    with pytest.raises((Conflict, NotPermitted, RuleViolation)) as caught:
        check()
    return caught.value


@pytest.mark.parametrize("locale", ["id", "en"])
def test_refusals_on_the_score_sheet_name_nobody(locale: str) -> None:
    fmt = Formatter(locale)
    for err in (
        _raised(lambda: require_not_conflicted(["cand-0042"], "cand-0042", "m1")),
        _raised(lambda: require_screened_in(False, "cand-0042")),
        _raised(lambda: require_scores_visible("open", False, "cand-0042 on interview")),
    ):
        assert "cand-0042" in err.message  # the pipeline's sentence, for the API and the ledger
        assert err.code in CODES
        shown = fmt.refusal(err)
        assert "cand-0042" not in shown and shown != err.message

"""Rows that open a process, inserted by many starters at once: one wins, no one fails.

A selection's and a talent review's table have two unique keys, the process id and the agency's
code, and the code makes the id. Under concurrent inserts PostgreSQL may meet the race on either
index, so the insert must let both of them stop it (CI once saw the code's index fail a loser).
"""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from store import selections as sel
from store.talent import reviews
from tests.helpers.selection_store import NOW, Sessions, make_selection, uid
from tests.helpers.selection_store import db as db  # a fixture

STARTERS = 10


def _review(code: str) -> reviews.ReviewIdentity:
    return reviews.ReviewIdentity(
        agency="KEMENKEU",
        code=code,
        title="Talent review",
        population={},
        cutoff_date=date(2027, 1, 1),
        rulebook_version="PermenPANRB-3-2020",
        committee=[],
    )


async def _race(db: Sessions, insert: object) -> list[bool | BaseException]:
    async def one() -> bool:
        async with db.begin() as s:
            return await insert(s)  # type: ignore[operator, no-any-return]

    return await asyncio.gather(*(one() for _ in range(STARTERS)), return_exceptions=True)


@pytest.mark.parametrize("round_", range(5))
async def test_concurrent_selection_starts_insert_one_row(db: Sessions, round_: int) -> None:
    x = await make_selection(db)
    code = uid("RACE")
    pid = f"selection-KEMENKEU-{code}"
    identity = x.identity.model_copy(update={"code": code})
    answers = await _race(db, lambda s: sel.insert_if_absent(s, pid, identity, NOW))
    assert answers.count(True) == 1 and answers.count(False) == STARTERS - 1, answers


@pytest.mark.parametrize("round_", range(5))
async def test_concurrent_talent_review_starts_insert_one_row(db: Sessions, round_: int) -> None:
    code = uid("RACE")
    pid = f"talent-review-KEMENKEU-{code}"
    identity = _review(code)
    answers = await _race(db, lambda s: reviews.insert_if_absent(s, pid, identity, NOW))
    assert answers.count(True) == 1 and answers.count(False) == STARTERS - 1, answers


async def test_the_agency_code_index_stops_an_insert_too(db: Sessions) -> None:
    """The deterministic half of the race: the code is taken, under another id. Naming only the
    process id's index would make this an IntegrityError; the insert does nothing instead."""
    x = await make_selection(db)
    async with db.begin() as s:
        assert await sel.insert_if_absent(s, f"{x.pid}-other", x.identity, NOW) is False
    code = uid("TR")
    async with db.begin() as s:
        assert await reviews.insert_if_absent(s, f"talent-review-A-{code}", _review(code), NOW)
    async with db.begin() as s:
        assert not await reviews.insert_if_absent(s, f"talent-review-B-{code}", _review(code), NOW)

"""The caller the matrix cannot express: a selection panel member who declared a conflict of
interest with one applicant. The policy table decides by role and scope, and this member passes
both; the refusal is per applicant, so it is tried here on the two actions that name one
(screening and scoring), against the conflicted applicant and against another.

Refused: 403 ``conflict_of_interest`` with a sentence, and exactly one refusal in the selection's
ledger, about that applicant, by that member. The same member on another applicant: accepted.
The selection is seeded straight into its read model (``tests/helpers/selection_seed.py``): both
actions are candidate-level writes that the read model gates, so no workflow needs to run.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from actions import policy
from infra.settings import Settings
from infra.tokens import mint_token
from tests.helpers.app_client import app_client
from tests.helpers.selection_seed import SCHEME, SCORERS, Seed

MEMBER = "m1"  # a panel member who also scores the interview (SCORERS)
CONFLICTED, OTHER = "a2", "a1"


@pytest_asyncio.fixture
async def http(
    dev_env: WorkflowEnvironment, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings, dev_env.client) as c:
        yield c


@pytest.fixture
def seed(sessions: async_sessionmaker[AsyncSession]) -> Seed:
    return Seed(sessions, f"COI-{uuid.uuid4().hex[:8]}")


def as_member(settings: Settings, seed: Seed, sub: str = MEMBER) -> dict[str, str]:
    token = mint_token(settings, role="selection_committee", sub=sub, agency=seed.agency)
    return {"Authorization": f"Bearer {token}"}


async def declare(http: httpx.AsyncClient, settings: Settings, seed: Seed) -> None:
    body = {"conflicted": [CONFLICTED], "reason": f"{CONFLICTED} is my former student"}
    url = f"/v1/selections/{seed.pid}/declarations"
    r = await http.post(url, json=body, headers=as_member(settings, seed))
    assert r.status_code == 201 and r.json()["conflicted"] == [CONFLICTED], r.text


async def refusals(http: httpx.AsyncClient, settings: Settings, seed: Seed) -> list[Any]:
    token = mint_token(settings, role="auditor", sub="aud", agency=None)
    r = await http.get(
        f"/v1/processes/{seed.pid}/ledger", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text
    return [e for e in r.json()["entries"] if e["outcome"] == "refused"]


def assert_refused_for_the_conflict(r: httpx.Response) -> None:
    assert r.status_code == policy.FORBIDDEN, r.text
    body = r.json()
    assert body["error"] == "conflict_of_interest", body
    assert MEMBER in body["detail"] and CONFLICTED in body["detail"], body


async def assert_one_refusal_recorded(
    http: httpx.AsyncClient, settings: Settings, seed: Seed, action: str
) -> None:
    found = [
        (e["actor_id"], e["subject"], e["payload"]["action"])
        for e in await refusals(http, settings, seed)
        if e["payload"].get("error") == "conflict_of_interest"
    ]
    assert found == [(MEMBER, CONFLICTED, action)], found


async def test_a_conflicted_member_may_not_screen_that_applicant(
    http: httpx.AsyncClient, settings: Settings, seed: Seed
) -> None:
    await seed.screening(3, scheme=SCHEME, scorers=SCORERS)
    await declare(http, settings, seed)
    h = as_member(settings, seed)
    url = f"/v1/selections/{seed.pid}/screening/{{}}"
    r = await http.put(url.format(CONFLICTED), json={"eligible": True}, headers=h)
    assert_refused_for_the_conflict(r)
    await assert_one_refusal_recorded(http, settings, seed, "selection.decide_screening")
    r = await http.put(url.format(OTHER), json={"eligible": True}, headers=h)
    assert r.status_code == 200 and r.json()["decided_by"] == MEMBER, r.text
    # Another member, not conflicted, decides the applicant the first may not.
    r = await http.put(
        url.format(CONFLICTED), json={"eligible": True}, headers=as_member(settings, seed, "m3")
    )
    assert r.status_code == 200, r.text


async def test_a_conflicted_member_may_not_score_that_applicant(
    http: httpx.AsyncClient, settings: Settings, seed: Seed
) -> None:
    await seed.screening(3, scheme=SCHEME, scorers=SCORERS)
    await declare(http, settings, seed)
    for i in (1, 2, 3):
        await seed.decide(f"a{i}")
    await seed.at(
        "assessment",
        scheme_frozen=True,
        components={"assessment": "open", "interview": "open"},
        eligible=3,
    )
    h = as_member(settings, seed)
    url = f"/v1/selections/{seed.pid}/components/interview/scores/{{}}"
    r = await http.put(url.format(CONFLICTED), json={"score": 80}, headers=h)
    assert_refused_for_the_conflict(r)
    await assert_one_refusal_recorded(http, settings, seed, "selection.submit_score")
    r = await http.put(url.format(OTHER), json={"score": 80}, headers=h)
    assert r.status_code == 200 and r.json()["scorer_id"] == MEMBER, r.text

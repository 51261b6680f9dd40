"""Exactly once under races: identical requests fired together start one process, accept one
event, and every other copy gets the documented answer.

- 10 identical starts (promotion, selection) without a key: one 201, the others 200 with the same
  process (the business key names it);
- the same with one ``Idempotency-Key``: one 201; the others the stored answer (200,
  ``Idempotent-Replayed``) or, while the first is still applied, 409 ``request_in_progress`` with
  ``Retry-After`` (then, sent again, the stored answer);
- 10 CloudEvents with one (source, id): one 202, the others 200 ``duplicate`` or 409
  ``request_in_progress``;
- in every case one process per business key, one start in its ledger and no refusal (a copy of
  one request is not a refused attempt). The 30 racing decisions (one shared ``X-Request-Id``, and
  30 distinct ones: one accepted, 29 refusals each recorded once) are tests/e2e/test_request_ids.py.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import cloudevents as ce
from store import ledger
from store.event_models import InboundEvent
from store.selection_models import Selection
from tests.conftest import new_nip
from tests.helpers.promotion_api import AGENCY, Api, new_employee, started

COPIES = 10
REPORT = Path("data/reports/races.jsonl")  # one line per race: docs/reliability-authz.md
IN_PROGRESS = (409, "request_in_progress")


async def _fire(
    api: Api, url: str, body: Any, role: str, headers: dict[str, str], agency: str | None = AGENCY
) -> list[Any]:
    h = {**api.auth(role, f"{role}-1", agency), **headers}
    return list(
        await asyncio.gather(*(api.http.post(url, json=body, headers=h) for _ in range(COPIES)))
    )


def _record(race: str, answers: list[httpx.Response], processes: int) -> None:
    answered = Counter(f"{a.status_code} {a.json().get('error') or ''}".strip() for a in answers)
    line = {"race": race, "copies": len(answers), "answers": dict(answered), "processes": processes}
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with REPORT.open("a") as fh:
        fh.write(json.dumps(line) + "\n")


def _settled(answers: list[httpx.Response], *, keyed: bool, created: int = 201) -> str:
    """One request created the process; every other copy answers the same process: unkeyed with
    200, keyed either still in progress (409 + Retry-After) or, once the first finished, with the
    first answer replayed (its status, ``Idempotent-Replayed: true``): its id."""

    def replayed(a: httpx.Response) -> bool:
        return a.headers.get("Idempotent-Replayed") == "true"

    originals = [a for a in answers if a.status_code == created and not replayed(a)]
    assert len(originals) == 1, [(a.status_code, a.text) for a in answers]
    first = originals[0]
    pid = str(first.json().get("id") or first.json().get("process_id"))
    for a in answers:
        if a is first:
            continue
        if keyed and (a.status_code, a.json().get("error")) == IN_PROGRESS:
            assert int(a.headers["Retry-After"]) >= 1
            continue
        if keyed:
            assert replayed(a) and a.status_code == created, a.text
        else:
            assert a.status_code == 200, a.text
        assert str(a.json().get("id") or a.json().get("process_id")) == pid
    return pid


async def _ledger(sessions: async_sessionmaker[AsyncSession], pid: str) -> list[Any]:
    async with sessions() as s:
        return list(await ledger.entries(s, pid))


async def _one_start(
    api: Api, sessions: async_sessionmaker[AsyncSession], pid: str, kind: str
) -> None:
    rows: list[Any] = []
    for _ in range(600):  # the start is in the ledger once the workflow made it durable
        rows = await _ledger(sessions, pid)
        if any(r.kind == kind for r in rows):
            break
        await asyncio.sleep(0.1)
    assert [r.kind for r in rows].count(kind) == 1, [r.kind for r in rows]
    assert not [r for r in rows if r.outcome == "refused"]
    description = await api.http.get(
        f"/v1/processes/{pid}/ledger/verify", headers=api.auth("auditor")
    )
    assert description.status_code == 200 and description.json()["ok"], description.text


async def test_ten_identical_promotion_starts_make_one_promotion(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    for keyed in (False, True):
        rec = await new_employee(api)
        body = {"nip": rec["nip"], "period": "2027-04-01", "type": "regular"}
        headers = {"Idempotency-Key": uuid.uuid4().hex} if keyed else {}
        answers = await _fire(api, "/v1/promotions", body, "hr_system", headers)
        pid = _settled(answers, keyed=keyed)
        await _one_start(api, sessions, pid, "promotion.started")
        _record(f"promotion start, key={keyed}", answers, processes=1)
        if keyed:  # once settled, every copy gets the first answer
            again = (await _fire(api, "/v1/promotions", body, "hr_system", headers))[0]
            assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
            assert again.json()["id"] == pid


async def test_ten_identical_selection_starts_make_one_selection(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    for keyed in (False, True):
        code = f"RACE-{uuid.uuid4().hex[:8]}"
        body = {
            "code": code,
            "post_title": "Kepala Dinas",
            "post_level": "pratama",
            "appointing_authority_id": "ppk-1",
        }
        headers = {"Idempotency-Key": uuid.uuid4().hex} if keyed else {}
        answers = await _fire(api, "/v1/selections", body, "agency_hr", headers)
        pid = _settled(answers, keyed=keyed)
        await _one_start(api, sessions, pid, "selection.started")
        async with sessions() as s:
            stmt = select(func.count()).where(Selection.agency == AGENCY, Selection.code == code)
            assert (await s.execute(stmt)).scalar_one() == 1
        _record(f"selection start, key={keyed}", answers, processes=1)


async def test_ten_copies_of_one_cloudevent_are_accepted_once(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    event = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": f"//simpeg.test/{uuid.uuid4().hex[:8]}",
        "type": ce.PERIOD_OPENED,
        "datacontenttype": "application/json",
        "data": {"agency": f"RACE{new_nip()[-6:]}", "period": "2027-04-01"},
    }
    # A national HR system (no agency claim) opens the period of an agency of its own naming.
    answers = await _fire(api, "/v1/events", event, "hr_system", {}, agency=None)
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(202) == 1, [(a.status_code, a.text) for a in answers]
    first = next(a for a in answers if a.status_code == 202)
    pid = first.json()["process_id"]
    for a in answers:
        if a is not first and a.status_code == 409:
            assert a.json()["error"] == "request_in_progress" and a.headers["Retry-After"]
        elif a is not first:
            assert a.status_code == 200 and a.json()["duplicate"] is True, a.text
            assert a.json()["process_id"] == pid
    async with sessions() as s:
        stmt = select(func.count()).where(
            InboundEvent.source == event["source"], InboundEvent.event_id == event["id"]
        )
        assert (await s.execute(stmt)).scalar_one() == 1
    rows = await _ledger(sessions, pid)
    assert not [r for r in rows if r.outcome == "refused"], [r.payload for r in rows]
    _record("cloudevent, one (source, id)", answers, processes=1)


async def test_thirty_decisions_under_one_idempotency_key_decide_once(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The key, not only ``X-Request-Id``: 30 copies of the supervisor's approval under one
    ``Idempotency-Key`` apply once; the others are the first answer or still in progress."""
    rec = await new_employee(api)
    pid = await started(api, rec)
    approve = {"decision": "approve", "justification": "file checked", "step": "supervisor"}
    h = {**api.auth("supervisor", rec["supervisor_nip"]), "Idempotency-Key": uuid.uuid4().hex}
    url = f"/v1/promotions/{pid}/decisions"
    answers = list(
        await asyncio.gather(*(api.http.post(url, json=approve, headers=h) for _ in range(30)))
    )
    ok = [a for a in answers if a.status_code == 200]
    assert ok and all(a.json() == ok[0].json() for a in ok)
    for a in answers:
        if a.status_code != 200:
            assert (a.status_code, a.json()["error"]) == IN_PROGRESS, a.text
            assert int(a.headers["Retry-After"]) >= 1
    again = await api.http.post(url, json=approve, headers=h)
    assert again.status_code == 200 and again.json() == ok[0].json()
    rows = await _ledger(sessions, pid)
    assert [r.payload["step"] for r in rows if r.kind == "promotion.decision"] == ["supervisor"]
    assert not [r for r in rows if r.outcome == "refused"]
    _record("promotion decision x30, one Idempotency-Key", answers, processes=1)

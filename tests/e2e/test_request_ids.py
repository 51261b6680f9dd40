"""A request id names one request (principal, action, process, body), never an action slot.

- the same request sent again gets the first answer, and changes nothing;
- a copy that arrives while the first is still being applied gets 409 ``request_in_progress``
  with Retry-After, and no ledger entry (it is the same attempt);
- the same id on another request (another principal, step or body) is refused 422
  ``request_id_reused`` and recorded: it never silently returns someone else's answer;
- distinct attempts that race are each answered and each refusal recorded exactly once.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from store import ledger
from tests.helpers.promotion_api import Api, new_employee, started

APPROVE = {"decision": "approve", "justification": "file checked", "step": "supervisor"}


async def _post(api: Api, pid: str, body: Any, role: str, sub: str, rid: str) -> httpx.Response:
    headers = {**api.auth(role, sub), "X-Request-Id": rid}
    return await api.http.post(f"/v1/promotions/{pid}/decisions", json=body, headers=headers)


async def _entries(sessions: Any, pid: str) -> list[Any]:
    async with sessions() as s:
        return list(await ledger.entries(s, pid))


async def test_another_request_under_a_used_id_is_refused_not_answered_for(
    api: Api, sessions: Any
) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    rid = f"req-{uuid.uuid4().hex}"
    first = await _post(api, pid, APPROVE, "supervisor", rec["supervisor_nip"], rid)
    assert first.status_code == 200, first.text
    assert first.json()["pending"]["step"] == "promotion_board"
    # The same request again: the first answer, nothing applied twice.
    again = await _post(api, pid, APPROVE, "supervisor", rec["supervisor_nip"], rid)
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    # The board's reject under the supervisor's id: refused and recorded, not the old answer.
    reject = {"decision": "reject", "justification": "quota", "step": "promotion_board"}
    reused = await _post(api, pid, reject, "promotion_board", "board-1", rid)
    assert reused.status_code == 422, reused.text
    body = reused.json()
    assert body["error"] == "request_id_reused" and body["fields"][0]["field"] == "X-Request-Id"
    rows = await _entries(sessions, pid)
    decisions = [r for r in rows if r.kind == "promotion.decision"]
    assert [r.payload["step"] for r in decisions] == ["supervisor"]
    refused = [r for r in rows if r.outcome == "refused"]
    assert [(r.payload["error"], r.actor_role) for r in refused] == [
        ("request_id_reused", "promotion_board")
    ]
    # The board's decision under a fresh id goes through.
    r = await _post(api, pid, reject, "promotion_board", "board-1", uuid.uuid4().hex)
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text


async def test_thirty_copies_of_one_request_apply_once_and_agree(api: Api, sessions: Any) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    rid = uuid.uuid4().hex
    sup = rec["supervisor_nip"]
    answers = await asyncio.gather(
        *(_post(api, pid, APPROVE, "supervisor", sup, rid) for _ in range(30))
    )
    ok = [a for a in answers if a.status_code == 200]
    racing = [a for a in answers if a.status_code != 200]
    assert ok and all(a.json() == ok[0].json() for a in ok)
    assert all(a.status_code == 409 for a in racing), [a.text for a in racing]
    assert all(a.json()["error"] == "request_in_progress" for a in racing)
    assert all(int(a.headers["Retry-After"]) >= 1 for a in racing)
    # Each racing copy, asked again, gets the same answer as the first.
    for _ in racing:
        again = await _post(api, pid, APPROVE, "supervisor", sup, rid)
        assert again.status_code == 200 and again.json() == ok[0].json()
    rows = await _entries(sessions, pid)
    assert [r.payload["step"] for r in rows if r.kind == "promotion.decision"] == ["supervisor"]
    assert not [r for r in rows if r.outcome == "refused"]


async def test_thirty_distinct_attempts_one_accepted_every_refusal_recorded_once(
    api: Api, sessions: Any
) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    sup = rec["supervisor_nip"]
    rids = [uuid.uuid4().hex for _ in range(30)]
    answers = await asyncio.gather(*(_post(api, pid, APPROVE, "supervisor", sup, r) for r in rids))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 29, [a.text for a in answers if a.status_code != 409]
    refused_ids = {rid for rid, a in zip(rids, answers, strict=True) if a.status_code == 409}
    rows = await _entries(sessions, pid)
    assert [r.payload["step"] for r in rows if r.kind == "promotion.decision"] == ["supervisor"]
    recorded = [r.payload["request_id"] for r in rows if r.outcome == "refused"]
    assert sorted(recorded) == sorted(refused_ids)
    # Sent again, each refused attempt gets its refusal again and adds no entry.
    rid = next(iter(refused_ids))
    again = await _post(api, pid, APPROVE, "supervisor", sup, rid)
    assert again.status_code == 409 and again.json()["error"] != "request_in_progress"
    assert len([r for r in await _entries(sessions, pid) if r.outcome == "refused"]) == 29

"""Reviews through the HTTP API: registration, refusals with codes in the ledger, the inbox."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.helpers.promotion_api import AGENCY, Api, new_employee, open_review, started

ADMIN: tuple[str, str, None] = ("admin", "admin", None)


async def refusals(api: Api, review_id: str) -> list[dict[str, Any]]:
    entries = (await api.get(f"/v1/processes/{review_id}/ledger", "auditor", None)).json()[
        "entries"
    ]
    return [e for e in entries if e["outcome"] == "refused"]


async def test_registration_is_validated_and_admin_only(api: Api) -> None:
    r = await api.post("/v1/review-bodies", {"code": "x", "name": "n", "kind": "oversight"}, *ADMIN)
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "code"
    r = await api.post(
        "/v1/review-bodies",
        {"code": "AC-1", "name": "Centre", "kind": "assessment_centre", "accreditation_level": "Z"},
        *ADMIN,
    )
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "accreditation_level"
    r = await api.post(
        "/v1/review-bodies", {"code": "AC-1", "name": "Centre", "kind": "oversight"}, "agency_hr"
    )
    assert r.status_code == 403 and r.json()["error"] == "forbidden_role"
    r = await api.post("/v1/review-bodies/NOPE/reviewers", {"id": "r", "name": "R"}, *ADMIN)
    assert r.status_code == 404 and r.json()["error"] == "body_not_found"
    bodies = (await api.get("/v1/review-bodies", "auditor")).json()
    assert "BKN" in [b["code"] for b in bodies]


async def test_unassigned_and_recused_reviewers_are_refused_and_recorded(api: Api) -> None:
    # a second BKN reviewer so that a recusal has a substitute
    r = await api.post(
        "/v1/review-bodies/BKN/reviewers", {"id": "bkn-second", "name": "Second"}, *ADMIN
    )
    assert r.status_code == 201
    rec = await new_employee(api)
    pid = await started(api, rec)
    review = await open_review(api, pid)
    rid, seated = review["id"], review["seats"][0]["reviewer_id"]

    r = await api.post(
        f"/v1/reviews/{rid}/verdicts",
        {"verdict": "approve", "justification": "ok"},
        "reviewer",
        "not-on-this-review",
        None,
    )
    assert r.status_code == 409 and r.json()["error"] == "not_assigned"
    r = await api.post(
        f"/v1/reviews/{rid}/verdicts",
        {"verdict": "approve", "justification": "ok"},
        "reviewer",
        seated,
        None,
    )
    assert r.status_code == 422 and r.json()["error"] == "conflict_declaration_required"
    r = await api.post(
        f"/v1/reviews/{rid}/verdicts",
        {"verdict": "return", "justification": "ok"},
        "auditor",
        "aud",
        None,
    )
    assert r.status_code == 403 and r.json()["error"] == "forbidden_role"

    r = await api.post(
        f"/v1/reviews/{rid}/conflict-declarations",
        {"has_conflict": True, "reason": "the employee is my cousin"},
        "reviewer",
        seated,
        None,
    )
    assert r.status_code == 200 and r.json()["seats"][0]["status"] in ("recused", "assigned")
    r = await api.post(
        f"/v1/reviews/{rid}/verdicts",
        {"verdict": "approve", "justification": "ok"},
        "reviewer",
        seated,
        None,
    )
    assert r.status_code == 409 and r.json()["error"] == "recused"

    codes = [e["payload"]["error"] for e in await refusals(api, rid)]
    assert codes == ["not_assigned", "conflict_declaration_required", "forbidden_role", "recused"]
    verify = (await api.get(f"/v1/processes/{rid}/ledger/verify", "auditor", None)).json()
    assert verify["ok"] is True

    substitute = None
    for _ in range(2400):
        seats = (await api.get(f"/v1/reviews/{rid}", "admin", None)).json()["seats"]
        substitute = next((s["reviewer_id"] for s in seats if s["status"] == "assigned"), None)
        if substitute:
            break
        await asyncio.sleep(0.05)
    assert substitute and substitute != seated
    tasks = (await api.get("/v1/me/tasks", "reviewer", None, sub=substitute)).json()["items"]
    assert any(t["process_id"] == rid and t["kind"] == "review_conflict_declaration" for t in tasks)


async def test_one_request_declares_no_conflict_and_gives_the_verdict(api: Api) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    review = await open_review(api, pid)
    rid, seated = review["id"], review["seats"][0]["reviewer_id"]
    body = {"verdict": "approve", "justification": "pertek: file verified"}
    r = await api.post(
        f"/v1/reviews/{rid}/verdicts", {**body, "declares_no_conflict": True}, "reviewer", seated
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["status"] == "concluded" and answer["outcome"] == "approve"
    assert answer["process"]["process_id"] == pid and answer["process"]["pending_step"] not in (
        None,
        "bkn_technical_approval",
    )
    entries = (await api.get(f"/v1/processes/{rid}/ledger")).json()["entries"]
    kinds = [e["kind"] for e in entries]
    assert kinds[-3:] == ["review.no_conflict_declared", "review.verdict", "review.concluded"]
    declared, verdict = entries[-3], entries[-2]
    assert declared["actor_id"] == verdict["actor_id"] == seated
    assert declared["update_id"] == verdict["update_id"] is not None
    for process in (rid, pid):
        report = (await api.get(f"/v1/audit/processes/{process}/reconciliation")).json()
        assert report["ok"] is True and report["differences"] == [], report
        verify = (await api.get(f"/v1/processes/{process}/ledger/verify")).json()
        assert verify["ok"] is True


async def test_a_declaration_sent_twice_is_refused_and_recorded_and_the_verdict_still_given(
    api: Api,
) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    review = await open_review(api, pid)
    rid, seated = review["id"], review["seats"][0]["reviewer_id"]
    r = await api.post(
        f"/v1/reviews/{rid}/conflict-declarations", {"has_conflict": False}, "reviewer", seated
    )
    assert r.status_code == 200, r.text
    body = {"verdict": "approve", "justification": "ok", "declares_no_conflict": True}
    r = await api.post(f"/v1/reviews/{rid}/verdicts", body, "reviewer", seated)
    assert r.status_code == 409 and r.json()["error"] == "already_declared", r.text
    assert "already declared" in r.json()["detail"]
    assert [e["payload"]["error"] for e in await refusals(api, rid)] == ["already_declared"]
    r = await api.post(
        f"/v1/reviews/{rid}/verdicts", {**body, "declares_no_conflict": False}, "reviewer", seated
    )
    assert r.status_code == 200 and r.json()["status"] == "concluded", r.text
    kinds = [e["kind"] for e in (await api.get(f"/v1/processes/{rid}/ledger")).json()["entries"]]
    assert kinds.count("review.no_conflict_declared") == 1 and kinds.count("review.verdict") == 1


async def test_inbox_lists_waiting_actions_soonest_first_with_the_same_authorization(
    api: Api,
) -> None:
    supervisor = f"1970{uuid.uuid4().int % 10**14:014d}"
    pids = []
    for _ in range(2):
        rec = await new_employee(api, supervisor_nip=supervisor)
        pids.append(await started(api, rec))
    tasks = (await api.get("/v1/me/tasks", "supervisor", AGENCY, sub=supervisor)).json()["items"]
    mine = [t for t in tasks if t["process_id"] in pids]
    assert len(mine) == 2 and all(t["kind"] == "promotion_decision" for t in mine)
    dues = [t["due_at"] for t in tasks if t["due_at"]]
    assert dues == sorted(dues)
    other = (await api.get("/v1/me/tasks", "supervisor", AGENCY, sub="197001010000000001")).json()[
        "items"
    ]
    assert not [t for t in other if t["process_id"] in pids]
    other_agency = (await api.get("/v1/me/tasks", "promotion_board", "OTHER")).json()["items"]
    assert not [t for t in other_agency if t["process_id"] in pids]
    board = (await api.get("/v1/me/tasks", "promotion_board", AGENCY)).json()["items"]
    assert not [t for t in board if t["process_id"] in pids]  # not the board's turn yet

"""One open selection from start to appointment, through the HTTP API only, on a real Temporal server.

A time-skipping test server (the registration window is 15 days) with the real worker and database:
create → panel → scheme → plan to the oversight body, whose reviewers approve through
``/v1/reviews`` → announcement → registrations (one by one and by CSV) → the window closes →
screening → declarations and scores for every component → components closed → plenary → oversight
approves the shortlist → appointment. The public announcements and ``/v1/me/tasks`` are checked on
the way.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from domain.calendar import WIB
from infra.settings import Settings
from server import create_app
from tests.conftest import skip_days
from tests.helpers.selection_api import (
    CSV_HEADER,
    GIVEN,
    NIPS,
    PANEL,
    SCHEME,
    SCORERS,
    SECRETARIAT,
    SelectionApi,
    oversight_approves,
    oversight_body,
)
from worker import build_worker


def pending(sel: dict[str, Any]) -> tuple[str, str, str, list[str]]:
    """An action's answer: its stage, and the step pending next (what, whose role, and who)."""
    p = sel["pending"]
    assert p is not None, sel
    return sel["stage"], p["step"], p["role"], p["actors"]


@pytest_asyncio.fixture
async def stack(
    ts_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[SelectionApi]:
    app = create_app(settings, client=ts_env.client)
    async with build_worker(ts_env.client, sessions, settings), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as http:
            yield SelectionApi(http, settings, f"E2E-{uuid.uuid4().hex[:8].upper()}")


async def test_a_selection_end_to_end_through_http(
    stack: SelectionApi, ts_env: WorkflowEnvironment
) -> None:
    api = stack
    body_code, _ = await oversight_body(api)

    # ---- start (idempotent by agency and code) --------------------------------------------------
    create = {
        "code": "JPT-2027-01",
        "post_title": "Kepala Biro Umum",
        "post_level": "pratama",
        "appointing_authority_id": "ppk-1",
        "oversight_body": body_code,
    }
    r = await api.call("POST", "/v1/selections", create, role="agency_hr", sub="hr-1")
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert pid == f"selection-{api.agency}-JPT-2027-01" and r.json()["stage"] == "planning"
    again = await api.call("POST", "/v1/selections", create, role="agency_hr", sub="hr-1")
    assert again.status_code == 200 and again.json()["id"] == pid, again.text
    listed = await api.ok("GET", "/v1/selections?stage=planning", role="agency_hr", sub="hr-1")
    assert [s["id"] for s in listed["items"]] == [pid]

    # ---- planning ---------------------------------------------------------------------------
    members = [m | {"affiliation": "Universitas Indonesia"} for m in PANEL]
    sel = await api.ok(
        "PUT", f"/v1/selections/{pid}/panel", {"members": members}, role="agency_hr", sub="hr-1"
    )
    assert pending(sel) == ("planning", "set_scheme", "agency_hr", [])
    panel = await api.ok("GET", f"/v1/selections/{pid}/panel", role="agency_hr", sub="hr-1")
    assert [m["id"] for m in panel["members"]][:2] == ["chair", "secretary"]
    sel = await api.ok(
        "PUT", f"/v1/selections/{pid}/scheme", {"scheme": SCHEME, "scorers": SCORERS}
    )
    assert pending(sel) == ("planning", "submit_plan", "agency_hr", [])
    sel = await api.ok("POST", f"/v1/selections/{pid}/plan/submit")
    assert pending(sel) == ("plan_review", "plan_review", "reviewer", [])
    assert sel["pending"]["review_id"] == sel["plan_review_id"] is not None
    sel = await api.until(pid, lambda b: b["plan_review_id"] is not None)
    await oversight_approves(api, sel["plan_review_id"])
    sel = await api.until(pid, lambda b: b["stage"] == "announcement")
    assert sel["scheme_frozen"] is True

    # ---- announcement and registration ------------------------------------------------------
    today = datetime.now(UTC).astimezone(WIB).date()
    window = {"opens": today.isoformat(), "closes": (today + timedelta(days=14)).isoformat()}
    sel = await api.ok("POST", f"/v1/selections/{pid}/announcement", window | {"text": "Dibuka"})
    assert pending(sel) == ("registration", "register_applicant", "agency_hr", [])
    assert sel["pending"]["due_at"] == sel["registration"]["closes_at"] is not None
    for i in (1, 2):
        applicant = {
            "applicant_id": f"a{i}",
            "nip": NIPS[f"a{i}"],
            "name": f"Pelamar {i}",
            "degree": "S2",
            "years_experience": 12,
            "years_senior_post": 4,
            "birth_date": f"1976-0{i}-15",
            "grade": "IV/b",
        }
        await api.ok(
            "POST", f"/v1/selections/{pid}/applicants", applicant, role="hr_system", sub="simpeg"
        )
    rows = "".join(
        f"a{i},{NIPS[f'a{i}']},Pelamar {i},S2,11,3,1976-0{i}-15,IV/b,{'true' if i == 5 else 'false'}\n"
        for i in (3, 4, 5)
    )
    r = await api.http.post(
        f"/v1/selections/{pid}/applicants/import",
        content=(CSV_HEADER + rows).encode(),
        headers={**api.auth("agency_hr", "hr-1", api.agency), "Content-Type": "text/csv"},
    )
    assert r.status_code == 201 and r.json()["imported"] == 3, r.text
    public = await api.public(pid)
    assert public.status_code == 200 and [a["key"] for a in public.json()["items"]][:1] == [
        "announcement"
    ]

    # ---- the window closes (15 days, WIB) ---------------------------------------------------
    await skip_days(ts_env, 16)
    sel = await api.until(pid, lambda b: b["stage"] == "screening")
    late = await api.call(
        "POST",
        f"/v1/selections/{pid}/applicants",
        {
            "applicant_id": "late",
            "nip": None,
            "name": "Terlambat",
            "degree": "S2",
            "years_experience": 12,
            "years_senior_post": 4,
            "birth_date": "1976-01-01",
            "grade": "IV/b",
        },
        role="agency_hr",
        sub="hr-1",
    )
    assert late.status_code == 409 and late.json()["error"] == "registration_closed", late.text

    # ---- screening ----------------------------------------------------------------------------
    tasks = await api.tasks("m1")
    assert any(t["kind"] == "screening_decision" and t["process_id"] == pid for t in tasks), tasks
    screening = await api.ok("GET", f"/v1/selections/{pid}/screening", sub="chair")
    auto = {x["applicant_id"]: x["auto_eligible"] for x in screening["items"]}
    assert auto == {"a1": True, "a2": True, "a3": True, "a4": True, "a5": False}, screening
    for applicant_id, eligible in auto.items():
        await api.ok(
            "PUT",
            f"/v1/selections/{pid}/screening/{applicant_id}",
            {"eligible": eligible},
            sub="chair",
        )
    sel = await api.ok("POST", f"/v1/selections/{pid}/screening/close")
    assert pending(sel) == ("assessment", "close_component", "selection_committee", SECRETARIAT)
    sel = await api.until(pid, lambda b: b["stage"] == "assessment")
    assert set(sel["components"].values()) == {"open"}, sel

    # ---- assessment: declare, then score every component -----------------------------------------
    tasks = await api.tasks("as-1", role="assessor")
    assert [t["kind"] for t in tasks if t["process_id"] == pid] == ["conflict_declaration"], tasks
    scorer_roles = {
        "as-1": "assessor",
        "as-2": "assessor",
        "chair": "selection_committee",
        "m1": "selection_committee",
        "m2": "selection_committee",
    }
    for scorer, role in scorer_roles.items():
        agency = None if role == "assessor" else True
        await api.ok(
            "POST",
            f"/v1/selections/{pid}/declarations",
            {"conflicted": [], "reason": "no relation to any applicant"},
            role=role,
            sub=scorer,
            agency=agency,
        )
    tasks = await api.tasks("as-1", role="assessor")
    assert [t["kind"] for t in tasks if t["process_id"] == pid] == ["score"], tasks
    for component, scorers in SCORERS.items():
        for scorer in scorers:
            role = scorer_roles[scorer]
            agency = None if role == "assessor" else True
            for applicant_id, (assessment, interview) in GIVEN.items():
                score = {"assessment": assessment, "interview": interview, "health": 1}[component]
                await api.ok(
                    "PUT",
                    f"/v1/selections/{pid}/components/{component}/scores/{applicant_id}",
                    {"score": score},
                    role=role,
                    sub=scorer,
                    agency=agency,
                )
    seen = await api.ok(
        "GET",
        f"/v1/selections/{pid}/components/assessment/scores/a1",
        role="assessor",
        sub="as-1",
        agency=None,
    )
    assert [x["score"] for x in seen["items"]] == [90, 90]
    for component in SCORERS:
        sel = await api.ok("POST", f"/v1/selections/{pid}/components/{component}/close")
    # The last component's answer: the shortlist proposed, every voting member's vote pending.
    assert pending(sel)[:3] == ("shortlist", "plenary_vote", "selection_committee")
    assert {"chair", "secretary", "m1", "m3"} <= set(sel["pending"]["actors"])
    sel = await api.until(pid, lambda b: b["stage"] == "shortlist")

    # ---- shortlist and plenary ----------------------------------------------------------------
    shortlist = await api.ok("GET", f"/v1/selections/{pid}/shortlist", sub="chair")
    assert [x["applicant_id"] for x in shortlist["shortlist"]] == ["a1", "a2", "a3"], shortlist
    assert any(t["kind"] == "plenary_vote" for t in await api.tasks("m3"))
    for member in ("chair", "secretary", "m1", "m3"):
        sel = await api.ok(
            "POST", f"/v1/selections/{pid}/plenary/votes", {"approve": True}, sub=member
        )
        assert member not in sel["pending"]["actors"] + [sel["pending"]["actor_id"]], sel
    sel = await api.ok("POST", f"/v1/selections/{pid}/plenary/close", sub="chair")
    assert pending(sel) == ("oversight_review", "shortlist_review", "reviewer", [])
    assert sel["pending"]["review_id"] == sel["shortlist_review_id"] is not None
    sel = await api.until(pid, lambda b: b["shortlist_review_id"] is not None)
    await oversight_approves(api, sel["shortlist_review_id"])
    sel = await api.until(pid, lambda b: b["stage"] == "appointment")

    # ---- appointment --------------------------------------------------------------------------
    assert any(t["kind"] == "appointment" for t in await api.tasks("ppk-1", "appointing_authority"))
    fourth = await api.call(
        "POST",
        f"/v1/selections/{pid}/appointment",
        {"applicant_id": "a4", "reason": "strong interview"},
        role="appointing_authority",
        sub="ppk-1",
    )
    assert fourth.status_code == 422 and fourth.json()["error"] == "not_shortlisted", fourth.text
    sel = await api.ok(
        "POST",
        f"/v1/selections/{pid}/appointment",
        {"applicant_id": "a2", "reason": "best fit for the bureau's reform agenda"},
        role="appointing_authority",
        sub="ppk-1",
    )
    assert (sel["stage"], sel["status"], sel["pending"]) == ("completed", "completed", None), sel
    sel = await api.until(pid, lambda b: b["stage"] == "completed")
    assert sel["appointee_id"] == "a2" and sel["status"] == "completed", sel

    # ---- the record ---------------------------------------------------------------------------
    ledger = await api.ok("GET", f"/v1/processes/{pid}/ledger", role="auditor", sub="aud")
    kinds = [e["kind"] for e in ledger["entries"]]
    assert "applicants.imported" in kinds and kinds.count("applicant.registered") == 2
    assert kinds.count("score.submitted") == len(GIVEN) * 5
    refused = [e["payload"]["error"] for e in ledger["entries"] if e["outcome"] == "refused"]
    assert refused == ["registration_closed", "not_shortlisted"], refused
    verify = await api.ok("GET", f"/v1/processes/{pid}/ledger/verify", role="auditor", sub="aud")
    assert verify["ok"] is True
    public = await api.public(pid)
    assert public.status_code == 200
    keys = [a["key"] for a in public.json()["items"]]
    assert keys[0] == "announcement" and keys[-1] == "appointment", keys
    text = public.text
    assert all(nip not in text for nip in NIPS.values()) and "1976-0" not in text
    assert "as-1" not in text and '"birth_date"' not in text

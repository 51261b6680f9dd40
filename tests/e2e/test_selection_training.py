"""A whole open selection on the training rulebook, through the public HTTP API, in real time.

The dev server (no time skipping), the real worker, the real database: panel → scheme → plan
approved by the oversight body's reviewers → announcement with a registration window of minutes
→ too few applicants at closing, so the window is extended once → screening → declarations and
scores → components closed → plenary → shortlist approved → appointment. The public
announcements are read without a token at every stage they change. The training rulebook counts
minutes where the legal one counts days, so the whole walk takes a few minutes of wall time.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from server import create_app
from tests.helpers.selection_api import (
    CSV_HEADER,
    GIVEN,
    NIPS,
    PANEL,
    SCHEME,
    SCORERS,
    SelectionApi,
    oversight_approves,
    oversight_body,
)
from worker import build_worker

TRAINING = "PermenPANRB-15-2019-training"
# Registration closes this long after the announcement: at least the rulebook's one minute, with
# room for the registrations that come before the first closing.
WINDOW = timedelta(seconds=75)
# Well under the 15 minutes the issue allows; a few minutes on an idle machine.
WALL_CLOCK_BUDGET = 10 * 60


@pytest_asyncio.fixture
async def stack(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[SelectionApi]:
    app = create_app(settings, client=dev_env.client)
    async with build_worker(dev_env.client, sessions, settings), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as http:
            yield SelectionApi(http, settings, f"TRN-{uuid.uuid4().hex[:8].upper()}")


def applicant(i: int) -> dict[str, Any]:
    return {
        "applicant_id": f"a{i}",
        "nip": NIPS[f"a{i}"],
        "name": f"Pelamar {i}",
        "degree": "S2",
        "years_experience": 12,
        "years_senior_post": 4,
        "birth_date": f"1976-0{i}-15",
        "grade": "IV/b",
    }


async def published(api: SelectionApi, pid: str) -> list[str]:
    r = await api.public(pid)  # no token
    assert r.status_code == 200, r.text
    return [a["key"] for a in r.json()["items"]]


async def until_published(api: SelectionApi, pid: str, key: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while key not in (keys := await published(api, pid)):
        assert time.monotonic() < deadline, keys
        await asyncio.sleep(0.2)


@pytest.mark.timeout(WALL_CLOCK_BUDGET + 120)
async def test_a_training_selection_from_panel_to_appointment_in_minutes(
    stack: SelectionApi,
) -> None:
    api, started = stack, time.monotonic()
    body_code, _ = await oversight_body(api)
    create = {
        "code": "JPT-LATIHAN-1",
        "post_title": "Kepala Biro Umum",
        "post_level": "pratama",
        "appointing_authority_id": "ppk-1",
        "oversight_body": body_code,
        "rulebook_version": TRAINING,
    }
    r = await api.call("POST", "/v1/selections", create, role="agency_hr", sub="hr-1")
    assert r.status_code == 201 and r.json()["rulebook_version"] == TRAINING, r.text
    pid = r.json()["id"]

    # ---- planning, and the oversight body's approval of the plan -----------------------------
    members = [m | {"affiliation": "Universitas Indonesia"} for m in PANEL]
    await api.ok("PUT", f"/v1/selections/{pid}/panel", {"members": members}, role="agency_hr")
    await api.ok("PUT", f"/v1/selections/{pid}/scheme", {"scheme": SCHEME, "scorers": SCORERS})
    await api.ok("POST", f"/v1/selections/{pid}/plan/submit")
    sel = await api.until(pid, lambda b: b["plan_review_id"] is not None)
    await oversight_approves(api, sel["plan_review_id"])
    await api.until(pid, lambda b: b["stage"] == "announcement")

    # ---- a window of minutes: dates are refused, an instant is taken ----------------------------
    today = datetime.now(UTC).date().isoformat()
    r = await api.call(
        "POST", f"/v1/selections/{pid}/announcement", {"opens": today, "closes": today}
    )
    assert r.status_code == 422 and r.json()["error"] == "window_in_minutes", r.text
    closes_at = datetime.now(UTC) + WINDOW
    sel = await api.ok(
        "POST",
        f"/v1/selections/{pid}/announcement",
        {"closes_at": closes_at.isoformat(), "text": "Pendaftaran dibuka (latihan)"},
    )
    assert sel["stage"] == "registration", sel
    assert await published(api, pid) == ["announcement"]
    for i in (1, 2, 3):
        await api.ok(
            "POST", f"/v1/selections/{pid}/applicants", applicant(i), role="hr_system", sub="simpeg"
        )

    # ---- three of the four the rulebook needs: extended by one minute ----------------------------
    sel = await api.until(pid, lambda b: b["registration"]["extensions"] == 1, seconds=300)
    assert sel["stage"] == "registration"
    extended_to = datetime.fromisoformat(sel["registration"]["closes_at"])
    assert abs(extended_to - (closes_at + timedelta(minutes=1))) < timedelta(seconds=1)
    # the window's gate moves with the count; the announcement follows once the decision is recorded
    await until_published(api, pid, "registration-extended-1")
    rows = "".join(
        f"a{i},{NIPS[f'a{i}']},Pelamar {i},S2,11,3,1976-0{i}-15,IV/b,{'true' if i == 5 else 'false'}\n"
        for i in (4, 5)
    )
    r = await api.http.post(
        f"/v1/selections/{pid}/applicants/import",
        content=(CSV_HEADER + rows).encode(),
        headers={**api.auth("agency_hr", "hr-1", api.agency), "Content-Type": "text/csv"},
    )
    assert r.status_code == 201 and r.json()["imported"] == 2, r.text
    sel = await api.until(pid, lambda b: b["stage"] == "screening", seconds=300)
    assert sel["counts"]["applicants"] == 5

    # ---- screening ------------------------------------------------------------------------------
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
    await api.ok("POST", f"/v1/selections/{pid}/screening/close")
    await api.until(pid, lambda b: b["stage"] == "assessment")

    # ---- assessment -------------------------------------------------------------------------------
    roles = {"as-1": "assessor", "as-2": "assessor"}
    for scorer in ("as-1", "as-2", "chair", "m1", "m2"):
        role = roles.get(scorer, "selection_committee")
        agency = None if role == "assessor" else True
        await api.ok(
            "POST",
            f"/v1/selections/{pid}/declarations",
            {"conflicted": [], "reason": "tidak ada hubungan dengan pelamar"},
            role=role,
            sub=scorer,
            agency=agency,
        )
    for component, scorers in SCORERS.items():
        for scorer in scorers:
            role = roles.get(scorer, "selection_committee")
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
    for component in SCORERS:
        await api.ok("POST", f"/v1/selections/{pid}/components/{component}/close")
    await api.until(pid, lambda b: b["stage"] == "shortlist")

    # ---- plenary, the oversight body's approval of the shortlist, appointment ---------------------
    for member in ("chair", "secretary", "m1", "m3"):
        await api.ok("POST", f"/v1/selections/{pid}/plenary/votes", {"approve": True}, sub=member)
    await api.ok("POST", f"/v1/selections/{pid}/plenary/close", sub="chair")
    sel = await api.until(pid, lambda b: b["shortlist_review_id"] is not None)
    await oversight_approves(api, sel["shortlist_review_id"])
    await api.until(pid, lambda b: b["stage"] == "appointment")
    await api.ok(
        "POST",
        f"/v1/selections/{pid}/appointment",
        {"applicant_id": "a1", "reason": "nilai tertinggi dan visi reformasi birokrasi"},
        role="appointing_authority",
        sub="ppk-1",
    )
    sel = await api.until(pid, lambda b: b["stage"] == "completed")
    assert (sel["appointee_id"], sel["status"]) == ("a1", "completed")

    # ---- what the public saw, and the record -------------------------------------------------------
    keys = await published(api, pid)
    for key in (
        "announcement",
        "registration-extended-1",
        "registration-closed",
        "screening-0",
        "component-assessment-0",
        "ranking-0",
        "shortlist-0",
        "appointment",
    ):
        assert key in keys, keys
    public = await api.public(pid)
    assert all(nip not in public.text for nip in NIPS.values()) and "1976-0" not in public.text
    verify = await api.ok("GET", f"/v1/processes/{pid}/ledger/verify", role="auditor", sub="aud")
    assert verify["ok"] is True
    ledger = await api.ok("GET", f"/v1/processes/{pid}/ledger", role="auditor", sub="aud")
    kinds = [e["kind"] for e in ledger["entries"]]
    assert kinds.count("registration.extended") == 1 and "selection.appointed" in kinds
    assert all(e["rulebook_version"] == TRAINING for e in ledger["entries"])
    assert time.monotonic() - started < WALL_CLOCK_BUDGET

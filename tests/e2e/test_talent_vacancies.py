"""A vacated JPT post through the HTTP API, a real worker and the Temporal dev server: filled from
the talent pool (the oversight body reviews the successor, the appointing authority appoints), or
by open selection when the rules say so, and the refusals on the way (an expired approval, a
successor who no longer qualifies on the day of appointment). Each branch is in the ledger.

The pool is seeded straight into its table: it is a talent review's output, and the review itself
is walked in ``tests/workflows/test_talent_review.py``. Everything else goes through the API.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain import cloudevents as ce
from store.talent_models import PoolMember
from tests.helpers.browser import browser
from tests.helpers.period_api import cloud_event, exists, send
from tests.helpers.promotion_api import Api

TODAY = datetime.now(UTC).date()
PPK = "ppk-talent"


class Agency:
    def __init__(self, api: Api, sessions: Any) -> None:
        self.api, self.sessions = api, sessions
        self.code = f"AG{uuid.uuid4().hex[:8].upper()}"
        self.body = f"OVS-{uuid.uuid4().hex[:6].upper()}"
        self.post = f"KADIS-{uuid.uuid4().hex[:4]}"

    async def oversight_body(self) -> None:
        body = {"code": self.body, "name": "Oversight", "kind": "oversight"}
        r = await self.api.post("/v1/review-bodies", body, "admin", "admin", None)
        assert r.status_code == 201, r.text
        for i in range(3):
            who = {"id": f"{self.body.lower()}-r{i}", "name": f"Reviewer {i}"}
            url = f"/v1/review-bodies/{self.body}/reviewers"
            assert (await self.api.post(url, who, "admin", "admin", None)).status_code == 201

    async def approval(self, valid_until: date) -> None:
        body = {
            "agency": self.code,
            "merit_category": "very_good",
            "merit_score": 342.5,
            "merit_evaluated_on": "2026-06-01",
            "letter_number": "B-777/KASN/2026",
            "approved_on": "2026-01-10",
            "valid_until": valid_until.isoformat(),
            "oversight_body": self.body,
        }
        r = await self.api.post("/v1/talent/approvals", body, "bkn", "bkn-1", None)
        assert r.status_code == 201, r.text

    def record(self, i: int, **kw: Any) -> dict[str, Any]:
        return {
            "nip": f"19750101200001{i:04d}",
            "name": f"Successor {i}",
            "agency": self.code,
            "job_family": "finance",
            "position_level": "administrator",
            "grade": "IV/b",
            "education": "S2",
            "birth_date": "1975-01-01",
            "years_experience": 15,
            "years_senior_post": 4,
            "ratings": [
                {"year": 2024, "rating": "very_good"},
                {"year": 2025, "rating": "very_good"},
            ],
            "competency_score": 90,
            "competency_assessed_on": "2026-06-01",
            "potential_score": 90,
            "trainings": ["PKA", "PKN II"],
            **kw,
        }

    async def put(self, record: dict[str, Any]) -> None:
        r = await self.api.post("/v1/talent/records", record, "agency_hr", "hr", self.code)
        assert r.status_code == 200, r.text

    async def pool(self, *members: tuple[dict[str, Any], int]) -> None:
        async with self.sessions() as session, session.begin():
            for record, box in members:
                await self.put(record)
                session.add(
                    PoolMember(
                        agency=self.code,
                        nip=record["nip"],
                        name=record["name"],
                        box=box,
                        talent_score=90 - len(record["name"]) % 3,
                        review_id="seeded",
                        record={**record, "integrity": [], "awards": 0, "team_assignments": 0},
                        joined_at=datetime.now(UTC),
                    )
                )
        body = {
            "post_id": self.post,
            "title": "Kepala Dinas Keuangan",
            "post_level": "pratama",
            "job_family": "finance",
        }
        r = await self.api.post("/v1/talent/critical-posts", body, "agency_hr", "hr", self.code)
        assert r.status_code == 200, r.text
        assert r.json()["successors"], r.json()

    async def vacate(self) -> Any:
        data = {
            "post_id": self.post,
            "vacated_on": TODAY.isoformat(),
            "post_level": "pratama",
            "post_title": "Kepala Dinas Keuangan",
            "appointing_authority_id": PPK,
            "oversight_body": self.body,
            "rulebook_version": "PermenPANRB-15-2019-training",
            "talent_rulebook_version": "BKN-TM-2025.2-training",
        }
        r = await send(self.api, cloud_event(ce.POST_VACATED, data), self.code)
        assert r.status_code == 202, r.text
        return r.json()

    async def routed(self) -> dict[str, Any]:
        r = await self.api.get(
            f"/v1/processes/talent-records-{self.code}/ledger", "auditor", self.code
        )
        assert r.status_code == 200, r.text
        entries = r.json()["entries"]
        return next(e for e in entries if e["kind"] == "vacancy.routed")["payload"]["decision"]

    async def appointment(self, pid: str, stage: str) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for _ in range(2400):
            r = await self.api.get(f"/v1/talent-appointments/{pid}", "agency_hr", self.code)
            body = r.json()
            if r.status_code == 200 and body["stage"] == stage:
                return body
            await asyncio.sleep(0.05)
        raise AssertionError(body)

    async def approve_successor(self, review_id: str) -> None:
        review: dict[str, Any] = {}
        for _ in range(2400):
            r = await self.api.get(f"/v1/reviews/{review_id}", "admin", None)
            review = r.json()
            if r.status_code == 200 and review["status"] == "open" and review["seats"]:
                break
            await asyncio.sleep(0.05)
        for seat in review["seats"][:2]:  # a majority of three concludes
            who = seat["reviewer_id"]
            url = f"/v1/reviews/{review_id}"
            r = await self.api.post(
                f"{url}/conflict-declarations", {"has_conflict": False}, "reviewer", who, None
            )
            assert r.status_code == 200, r.text
            r = await self.api.post(
                f"{url}/verdicts",
                {"verdict": "approve", "justification": "procedure followed"},
                "reviewer",
                who,
                None,
            )
            assert r.status_code == 200, r.text

    async def appoint(self, pid: str) -> Any:
        url = f"/v1/talent-appointments/{pid}/appointment"
        return await self.api.post(
            url, {"decree_number": "821/123/2026"}, "appointing_authority", PPK, self.code
        )


async def ready(api: Api, sessions: Any, valid_until: date = date(2027, 6, 30)) -> Agency:
    agency = Agency(api, sessions)
    await agency.oversight_body()
    await agency.approval(valid_until)
    return agency


async def test_a_qualified_successor_is_reviewed_and_appointed(api: Api, sessions) -> None:
    agency = await ready(api, sessions)
    old = agency.record(1, birth_date="1966-01-01")  # 60: past the JPT Pratama age of 56
    fit = agency.record(2)
    await agency.pool((old, 9), (fit, 9), (agency.record(3), 8))
    answer = await agency.vacate()
    pid = f"talent-appointment-{agency.code}-{agency.post}-{TODAY:%Y%m%d}"
    assert answer["process_kind"] == "talent_appointment" and answer["process_id"] == pid
    decision = await agency.routed()
    assert decision["route"] == "talent_management" and decision["successor"]["nip"] == fit["nip"]
    assert decision["passed_over"][0]["nip"] == old["nip"]
    assert all(c["met"] for c in decision["checks"])
    body = await agency.appointment(pid, "oversight_review")
    await agency.approve_successor(f"review-successor-{pid}-1")
    await agency.appointment(pid, "appointment")
    r = await api.post(
        f"/v1/talent-appointments/{pid}/appointment",
        {"decree_number": "X"},
        "appointing_authority",
        "someone-else",
        agency.code,
    )
    assert r.status_code == 403 and r.json()["error"] == "not_appointing_authority", r.text
    # The appointing authority reads why in Bahasa Indonesia and appoints through the page.
    ppk = browser(api)
    await ppk.sign_in("appointing_authority", "Pejabat", PPK, agency.code)
    page = (await ppk.get(f"/talent-appointments/{pid}")).text
    assert "<strong>Penetapan</strong>" in page
    assert f"Diisi dari talent pool: {fit['nip']} adalah suksesor peringkat teratas" in page
    assert "Instansi menyerahkan keputusan pada aturan." in page
    assert f"{old['nip']} (peringkat 1): tidak memenuhi syarat: " in page
    assert "Filled from" not in page and "not eligible" not in page
    assert "1 percobaan yang ditolak tercatat." in page, page
    r = await ppk.post(
        f"/talent-appointments/{pid}/appointment",
        {"decree_number": "821/123/2026", "request_id": ppk.request_id()},
    )
    assert r.status_code == 200 and "<strong>Ditetapkan</strong>" in r.text, r.text
    body = (await api.get(f"/v1/talent-appointments/{pid}", "agency_hr", agency.code)).json()
    assert body["stage"] == "appointed" and body["decree"]["successor"] == fit["nip"]
    explained = (await api.get(f"/v1/processes/{pid}/explanation", "auditor", agency.code)).json()
    kinds = [s["kind"] for s in explained["steps"]]
    assert kinds[0] == "talent_appointment.started" and kinds[-1] == "talent_appointment.appointed"
    assert explained["decision"]["route"] == "talent_management"
    assert [s["kind"] for s in explained["refusals"]] == ["talent_appointment.appointment_refused"]


async def test_no_qualified_successor_starts_an_open_selection(
    api: Api, sessions, dev_env: WorkflowEnvironment
) -> None:
    agency = await ready(api, sessions)
    await agency.pool((agency.record(4), 8))
    answer = await agency.vacate()
    sid = f"selection-{agency.code}-{agency.post}-{TODAY:%Y%m%d}"
    assert answer["process_kind"] == "selection" and answer["process_id"] == sid, answer
    assert "No successor in box 9" in answer["detail"]
    decision = await agency.routed()
    assert [c["code"] for c in decision["checks"] if not c["met"]] == ["qualified_successor"]
    assert decision["passed_over"][0]["why"] == "in box 8, not box 9"
    assert (await api.get(f"/v1/selections/{sid}", "agency_hr", agency.code)).status_code == 200
    await dev_env.client.get_workflow_handle(sid).terminate("test finished")


async def test_an_expired_approval_sends_the_post_to_open_selection(
    api: Api, sessions, dev_env: WorkflowEnvironment
) -> None:
    agency = await ready(api, sessions, valid_until=date(2026, 1, 31))
    await agency.pool((agency.record(5), 9))
    answer = await agency.vacate()
    assert answer["process_kind"] == "selection", answer
    decision = await agency.routed()
    assert [c["code"] for c in decision["checks"] if not c["met"]] == ["approval_current"]
    assert "valid until 2026-01-31" in decision["reason"]
    pid = f"talent-appointment-{agency.code}-{agency.post}-{TODAY:%Y%m%d}"
    assert not await exists(dev_env, pid)
    await dev_env.client.get_workflow_handle(answer["process_id"]).terminate("test finished")


async def test_refusals_at_appointment_then_the_fall_back_to_open_selection(
    api: Api, sessions, dev_env: WorkflowEnvironment
) -> None:
    agency = await ready(api, sessions)
    successor = agency.record(6)
    await agency.pool((successor, 9))
    pid = (await agency.vacate())["process_id"]
    await agency.approve_successor(f"review-successor-{pid}-1")
    await agency.appointment(pid, "appointment")
    # The approval lapses (a newer record of it expired) ...
    await agency.approval(date(2026, 6, 30))
    r = await agency.appoint(pid)
    assert r.status_code == 422 and r.json()["error"] == "talent_approval_expired", r.text
    await agency.approval(date(2027, 6, 30))
    # ... then the successor is sanctioned before the decree: no longer eligible that day.
    sanction = [{"severity": "heavy", "start": "2026-11-01", "end": None}]
    await agency.put({**successor, "integrity": sanction})
    r = await agency.appoint(pid)
    assert r.status_code == 422 and r.json()["error"] == "successor_no_longer_eligible", r.text
    assert "disciplinary sanction is active" in r.json()["detail"]
    r = await api.post(
        f"/v1/talent-appointments/{pid}/fall-back",
        {"reason": "The successor was sanctioned on 1 November"},
        "appointing_authority",
        PPK,
        agency.code,
    )
    assert r.status_code == 200, r.text
    body = await agency.appointment(pid, "fell_back")
    sid = f"selection-{agency.code}-{agency.post}-{TODAY:%Y%m%d}"
    assert body["selection_id"] == sid
    sel = await api.get(f"/v1/selections/{sid}", "agency_hr", agency.code)
    assert sel.status_code == 200 and sel.json()["stage"] == "planning", sel.text
    trail = (await api.get(f"/v1/processes/{pid}/ledger", "auditor", agency.code)).json()["entries"]
    errors = [e["payload"]["error"] for e in trail if e["outcome"] == "refused"]
    assert errors == ["talent_approval_expired", "successor_no_longer_eligible"]
    assert trail[-1]["kind"] == "talent_appointment.selection_started"
    await dev_env.client.get_workflow_handle(sid).terminate("test finished")

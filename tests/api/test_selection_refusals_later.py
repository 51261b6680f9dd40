"""The open selection's refusals over HTTP, continued: acting on another selection or agency, the
shortlist and the appointment, the public announcements, values off the rulebook's scale, and
replayed requests. Same set-up and rule as tests/api/test_selection_refusals.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.selection_contracts import AnnouncementData
from store import selections
from tests.helpers.selection_http import (
    Http,
    assert_in_ledger,
    assert_refused,
)
from tests.helpers.selection_http import (
    http as http,  # a fixture
)
from tests.helpers.selection_http import (
    seed as seed,  # a fixture
)
from tests.helpers.selection_seed import SCHEME, Seed, profile

# ---- acting on another selection ------------------------------------------------------------


async def test_a_committee_member_of_one_selection_cannot_act_on_another(
    http: Http, sessions: async_sessionmaker[AsyncSession]
) -> None:
    a = await Seed(sessions, http.agency).assessing()
    b = await Seed(sessions, http.agency).at("screening")  # B has no panel seat for anyone
    # The chair of A decides on B's applicant, declares on B. (Closing B's screening is the
    # workflow's to refuse: tests/api/test_selection_authorization.py.)
    r = await http.call("PUT", f"/v1/selections/{b.pid}/screening/a1", {"eligible": True})
    assert_refused(r, 403, "not_panel_member")
    await assert_in_ledger(http, b.pid, "not_panel_member", "chair")
    await b.at(
        "assessment", scorers={"interview": ["someone-else"]}, components={"interview": "open"}
    )
    r = await http.call(
        "POST", f"/v1/selections/{b.pid}/declarations", {"conflicted": []}, sub="m1"
    )
    assert_refused(r, 403, "not_assigned")
    await assert_in_ledger(http, b.pid, "not_assigned", "m1")
    # Nothing of this touched A: its ledger holds no refusal.
    assert await http.refused(a.pid) == []


async def test_another_agency_cannot_act_on_the_selection(http: Http, seed: Seed) -> None:
    await seed.with_panel()
    await seed.registered(1)
    other = "OTHER-AGENCY"
    body = profile(5).model_dump(mode="json")
    r = await http.call(
        "POST", f"/v1/selections/{seed.pid}/applicants", body, role="agency_hr", agency=other
    )
    # Another agency's selection does not exist for the caller: 404, as for reading it.
    assert_refused(r, 404, "not_found")
    await assert_in_ledger(http, seed.pid, "not_found", "chair")
    # A panel seat does not carry across agencies either.
    r = await http.call("POST", f"/v1/selections/{seed.pid}/screening/close", agency=other)
    assert_refused(r, 404, "not_found")
    r = await http.call(
        "POST", f"/v1/selections/{seed.pid}/cancel", {"reason": "x"}, role="appointing_authority",
        sub="ppk-1", agency=other,
    )  # fmt: skip
    assert_refused(r, 404, "not_found")
    # Reading: the selection does not exist for them.
    r = await http.call("GET", f"/v1/selections/{seed.pid}", role="agency_hr", agency=other)
    assert_refused(r, 404, "not_found")


# ---- shortlist and appointment ------------------------------------------------------------------


def ranked(n: int) -> list[dict[str, Any]]:
    return [
        {
            "applicant_id": f"a{i}",
            "component_scores": {"assessment": 90 - i, "interview": 80 - i},
            "total": 86 - i,
            "passed": True,
            "failed": [],
            "rank": i,
            "tie_broken_by": None,
        }
        for i in range(1, n + 1)
    ]


async def test_only_the_named_appointing_authority_appoints(http: Http, seed: Seed) -> None:
    """A fourth name or an outsider as appointee is the workflow's to refuse (422
    ``not_shortlisted``: tests/e2e); who may appoint is decided here, before any workflow."""
    await seed.with_panel()
    await seed.at("appointment", shortlist=ranked(3), scheme=SCHEME, scheme_frozen=True)
    r = await http.call(
        "GET", f"/v1/selections/{seed.pid}/shortlist", role="appointing_authority", sub="ppk-1"
    )
    assert [x["applicant_id"] for x in r.json()["shortlist"]] == ["a1", "a2", "a3"]
    url = f"/v1/selections/{seed.pid}/appointment"
    choice = {"applicant_id": "a1", "reason": "x"}
    # Another role, even picking a shortlisted name; another appointing authority.
    r = await http.call("POST", url, choice, role="agency_hr", sub="hr-1")
    assert_refused(r, 403, "forbidden_role")
    await assert_in_ledger(http, seed.pid, "forbidden_role", "hr-1")
    r = await http.call("POST", url, choice, role="appointing_authority", sub="ppk-2")
    assert_refused(r, 403, "not_appointing_authority")
    await assert_in_ledger(http, seed.pid, "not_appointing_authority", "ppk-2")
    r = await http.call("POST", url, {"applicant_id": ""}, role="appointing_authority", sub="ppk-1")
    assert_refused(r, 422, "validation_error")
    assert {f["field"] for f in r.json()["fields"]} == {"applicant_id", "reason"}


async def test_only_the_appointing_authority_cancels(http: Http, seed: Seed) -> None:
    await seed.at("planning")
    url = f"/v1/selections/{seed.pid}/cancel"
    r = await http.call("POST", url, {"reason": "no"}, role="agency_hr", sub="hr-1")
    assert_refused(r, 403, "forbidden_role")
    await assert_in_ledger(http, seed.pid, "forbidden_role", "hr-1")
    # the authority's id with another role is not the authority
    r = await http.call("POST", url, {"reason": "no"}, role="auditor", sub="ppk-1")
    assert_refused(r, 403, "forbidden_role")
    await assert_in_ledger(http, seed.pid, "forbidden_role", "ppk-1")


# ---- public -----------------------------------------------------------------------------------


async def test_public_announcements_need_no_token_and_show_no_personal_data(
    http: Http, seed: Seed
) -> None:
    await seed.at("screening")
    body = {
        "applicants": [
            {
                "applicant_id": "a1",
                "name": "Ani",
                "nip": "197501012000031001",
                "eligible": True,
                "birth_date": "1975-01-01",
                "reasons": [{"message": "born 1975-01-01"}],
            },
        ],
        "note": "Peserta 197501012000031001 lulus",
        "scores": [
            {"applicant_id": "a1", "score": 80.5, "scorer_id": "as-1", "justification": "x"}
        ],
    }
    async with seed.sessions() as s, s.begin():
        await selections.publish(
            s,
            seed.pid,
            AnnouncementData(
                key="screening", stage="screening", title="Hasil seleksi administrasi", body=body
            ),
            datetime.now(UTC),
        )
    r = await http.client.get(f"/v1/public/selections/{seed.pid}/announcements")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["post_title"] == "Kepala Biro Umum"
    text = r.text
    assert "197501012000031001" not in text and "1975-01-01" not in text
    assert "as-1" not in text and "birth_date" not in text and '"nip"' not in text
    item = data["items"][0]
    assert item["body"]["applicants"] == [{"applicant_id": "a1", "name": "Ani", "eligible": True}]
    assert item["body"]["scores"] == [{"applicant_id": "a1", "score": 80.5}]
    r = await http.client.get("/v1/public/selections/selection-NOPE-none/announcements")
    assert_refused(r, 404, "not_found")


async def test_a_score_off_the_rulebook_s_scale_names_the_field(http: Http, seed: Seed) -> None:
    await seed.assessing()
    url = f"/v1/selections/{seed.pid}/components/assessment/scores/a1"
    r = await http.call("PUT", url, {"score": 101}, role="assessor", sub="as-1", agency=None)
    assert_refused(r, 422, "invalid_score")
    assert r.json()["fields"][0]["field"] == "score"
    await assert_in_ledger(http, seed.pid, "invalid_score", "as-1")
    # an assessor's id with the committee's role is not that assessor
    r = await http.call(
        "POST",
        f"/v1/selections/{seed.pid}/declarations",
        {"conflicted": []},
        role="selection_committee",
        sub="as-1",
    )
    assert_refused(r, 403, "wrong_role_for_seat")


async def test_an_unknown_applicant_or_component_in_the_path_is_404(http: Http, seed: Seed) -> None:
    await seed.assessing()
    for scorer in ("as-1",):
        r = await http.call(
            "POST",
            f"/v1/selections/{seed.pid}/declarations",
            {"conflicted": []},
            role="assessor",
            sub=scorer,
            agency=None,
        )
        assert r.status_code == 201, r.text
    base = f"/v1/selections/{seed.pid}/components"
    r = await http.call(
        "PUT", f"{base}/assessment/scores/ghost", {"score": 70}, role="assessor", sub="as-1",
        agency=None,
    )  # fmt: skip
    assert_refused(r, 404, "applicant_not_found")
    r = await http.call(
        "PUT", f"{base}/essay/scores/a1", {"score": 70}, role="assessor", sub="as-1", agency=None
    )
    assert_refused(r, 404, "unknown_component")
    r = await http.call("POST", f"{base}/Not-A-Code/close", sub="secretary")
    assert_refused(r, 404, "unknown_component")


async def test_a_replayed_request_gets_the_first_answer_and_a_reused_id_is_refused(
    http: Http, seed: Seed
) -> None:
    await seed.registered(0)
    url = f"/v1/selections/{seed.pid}/applicants"
    body = profile(7).model_dump(mode="json")
    first = await http.call("POST", url, body, role="agency_hr", headers={"X-Request-Id": "rq-7"})
    again = await http.call("POST", url, body, role="agency_hr", headers={"X-Request-Id": "rq-7"})
    assert first.status_code == again.status_code == 201, again.text
    assert first.json() == again.json()
    other = profile(8).model_dump(mode="json")
    r = await http.call("POST", url, other, role="agency_hr", headers={"X-Request-Id": "rq-7"})
    assert_refused(r, 422, "request_id_reused")
    rows = (await http.call("GET", url, role="agency_hr")).json()
    assert [a["applicant_id"] for a in rows["items"]] == ["a7"]
    registered = [e for e in (await http.ledger(seed.pid)) if e["kind"] == "applicant.registered"]
    assert len(registered) == 1

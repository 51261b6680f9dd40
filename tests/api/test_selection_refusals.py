"""The open selection's refusals over HTTP: each a 4xx with its code and a ``refused`` ledger entry.

The status follows the one rule (README, ``api/errors.py``): 404 for what the caller may not see
(another agency's selection), 403 for a visible selection the caller's role or seat may not act
on, 409 for the wrong stage or state, 422 for values that break a rule (naming the fields).

The selection rows are seeded straight through ``store.selections`` at the stage each refusal needs
(the read model is the gate of the candidate-level SQL writes), so no workflow runs here: every
refusal below is decided by the pipeline (visibility, role, authority, values) or by the store's
gate. Refusals that only the workflow can decide (panel seats, stage order) are in
tests/api/test_selection_authorization.py; the full path is tests/e2e/test_selection_api.py. A dev
server is behind the app only because the app needs a Temporal client.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.selection.rulebook import get_selection_rulebook
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
from tests.helpers.selection_seed import PANEL, RULEBOOK, Seed, profile

# ---- planning ---------------------------------------------------------------------------------


def _members(spec: list[tuple[str, str, bool]]) -> list[dict[str, Any]]:
    return [
        {"id": i, "name": i.title(), "role": r, "internal": n, "affiliation": "Universitas X"}
        for i, r, n in spec
    ]


@pytest.mark.parametrize(
    ("members", "code"),
    [
        (PANEL[:4], "panel_size"),  # 4: below 5
        (PANEL + [("m4", "member", False)], "panel_not_odd"),
        ([(i, r, True) for i, r, _ in PANEL], "internal_share"),  # 5 of 5 internal > 45%
        ([("c2", "member", False)] + PANEL[1:], "chair_required"),
    ],
)
async def test_wrong_panel_composition_is_refused_with_the_rule_named(
    http: Http, seed: Seed, members: list[tuple[str, str, bool]], code: str
) -> None:
    await seed.at("planning")
    r = await http.call(
        "PUT",
        f"/v1/selections/{seed.pid}/panel",
        {"members": _members(members)},
        role="agency_hr",
        sub="hr-1",
    )
    assert_refused(r, 422, code)
    assert r.json()["fields"][0]["field"] == "members"
    await assert_in_ledger(http, seed.pid, code, "hr-1")


@pytest.mark.parametrize("role", ["auditor", "hr_system", "appointing_authority", "bkn"])
async def test_roles_that_do_not_plan_are_refused_before_anything_else(
    http: Http, seed: Seed, role: str
) -> None:
    await seed.at("planning")
    await seed.with_panel()
    # the chair's id does not make an auditor (or anyone else) the chair
    r = await http.call(
        "PUT", f"/v1/selections/{seed.pid}/panel", {"members": _members(PANEL)}, role=role
    )
    assert_refused(r, 403, "forbidden_role")
    await assert_in_ledger(http, seed.pid, "forbidden_role", "chair")


# ---- registration -----------------------------------------------------------------------------


async def test_registration_after_closing_is_refused(http: Http, seed: Seed) -> None:
    await seed.registered(1)
    await seed.at("screening")
    body = profile(9).model_dump(mode="json")
    r = await http.call(
        "POST", f"/v1/selections/{seed.pid}/applicants", body, role="hr_system", sub="simpeg"
    )
    assert_refused(r, 409, "registration_closed")
    await assert_in_ledger(http, seed.pid, "registration_closed", "simpeg")
    rows = (
        await http.call("GET", f"/v1/selections/{seed.pid}/applicants", role="agency_hr")
    ).json()
    assert [a["applicant_id"] for a in rows["items"]] == ["a1"]


async def test_registration_after_the_closing_instant_is_refused(http: Http, seed: Seed) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    await seed.at(
        "registration",
        registration_opens=date.today() - timedelta(days=20),
        registration_closes=past.date(),
        registration_closes_at=past,
    )
    body = profile(1).model_dump(mode="json")
    r = await http.call("POST", f"/v1/selections/{seed.pid}/applicants", body, role="agency_hr")
    assert_refused(r, 409, "registration_closed")
    await assert_in_ledger(http, seed.pid, "registration_closed", "chair")


async def test_registration_before_opening_is_refused(http: Http, seed: Seed) -> None:
    await seed.at("announcement")
    body = profile(1).model_dump(mode="json")
    r = await http.call("POST", f"/v1/selections/{seed.pid}/applicants", body, role="agency_hr")
    assert_refused(r, 409, "registration_not_open")


async def test_duplicate_registration_is_refused(http: Http, seed: Seed) -> None:
    await seed.registered(1)
    body = profile(1).model_dump(mode="json")
    r = await http.call("POST", f"/v1/selections/{seed.pid}/applicants", body, role="agency_hr")
    assert_refused(r, 422, "applicant_exists")


CSV_HEADER = "applicant_id,nip,name,degree,years_experience,years_senior_post,birth_date,grade,sanction_active\n"


async def test_csv_with_bad_rows_names_line_and_column_and_writes_nothing(
    http: Http, seed: Seed
) -> None:
    await seed.registered(0)
    csv = (
        CSV_HEADER
        + "c1,,Ani,S1,6,2,1975-03-01,IV/a,false\n"
        + "c2,,Budi,S9,6,2,1975-03-01,IV/a,false\n"
        + "c3,,Citra,S1,lots,2,1975-02-30,IV/a,maybe\n"
    )
    r = await http.client.post(
        f"/v1/selections/{seed.pid}/applicants/import",
        content=csv.encode(),
        headers={**http.headers("agency_hr", "hr-1", http.agency), "Content-Type": "text/csv"},
    )
    assert_refused(r, 422, "csv_invalid")
    fields = {f["field"] for f in r.json()["fields"]}
    assert fields == {
        "line 3, degree",
        "line 4, years_experience",
        "line 4, birth_date",
        "line 4, sanction_active",
    }, r.json()
    await assert_in_ledger(http, seed.pid, "csv_invalid", "hr-1")
    rows = (
        await http.call("GET", f"/v1/selections/{seed.pid}/applicants", role="agency_hr")
    ).json()
    assert rows["items"] == []


async def test_csv_over_ten_thousand_rows_is_413(http: Http, seed: Seed) -> None:
    await seed.registered(0)
    rows = "".join(f"r{i},,N,S1,6,2,1975-03-01,,false\n" for i in range(10_001))
    r = await http.client.post(
        f"/v1/selections/{seed.pid}/applicants/import",
        content=(CSV_HEADER + rows).encode(),
        headers={**http.headers("agency_hr", "hr-1", http.agency), "Content-Type": "text/csv"},
    )
    assert_refused(r, 413, "csv_too_many_rows")
    await assert_in_ledger(http, seed.pid, "csv_too_many_rows", "hr-1")


async def test_a_csv_over_the_app_wide_limit_is_read_and_one_over_five_megabytes_is_413(
    http: Http, seed: Seed
) -> None:
    """The app takes 1 MiB bodies; the import route takes its own 5 MB, and refuses above it."""
    await seed.registered(0)
    assert http.settings.max_body_bytes == 1_048_576  # the default
    filler = "x" * 150
    rows = "".join(f"r{i},,{filler} {i},S2,10,3,1972-05-01,IV/b,false\n" for i in range(9_000))
    body = (CSV_HEADER + rows).encode()
    assert 1_048_576 < len(body) < 5 * 1024 * 1024
    headers = {**http.headers("agency_hr", "hr-1", http.agency), "Content-Type": "text/csv"}
    url = f"/v1/selections/{seed.pid}/applicants/import"
    r = await http.client.post(url, content=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 9_000

    rows = "".join(f"q{i},,{filler},S1,6,2,1975-03-01,,false\n" for i in range(33_000))
    body = (CSV_HEADER + rows).encode()
    assert len(body) > 5 * 1024 * 1024
    r = await http.client.post(url, content=body, headers=headers)
    assert_refused(r, 413, "csv_too_large")
    await assert_in_ledger(http, seed.pid, "csv_too_large", "hr-1")
    # an ordinary route keeps the app-wide limit, refused on the declared length
    r = await http.client.post(
        f"/v1/selections/{seed.pid}/applicants",
        content=b"{" + b" " * 1_048_576 + b"}",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert_refused(r, 413, "body_too_large")


async def test_csv_import_registers_every_row(http: Http, seed: Seed) -> None:
    await seed.registered(0)
    csv = CSV_HEADER + "".join(
        f"c{i},,Name {i},S2,10,3,1972-05-0{i},IV/b,{'true' if i == 3 else 'false'}\n"
        for i in range(1, 4)
    )
    r = await http.client.post(
        f"/v1/selections/{seed.pid}/applicants/import",
        content=csv.encode(),
        headers={**http.headers("agency_hr", "hr-1", http.agency), "Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 3
    rows = (
        await http.call("GET", f"/v1/selections/{seed.pid}/applicants", role="agency_hr")
    ).json()
    assert [a["applicant_id"] for a in rows["items"]] == ["c1", "c2", "c3"]
    assert rows["items"][2]["sanction_active"] is True and rows["items"][0]["source"] == "csv"


# ---- screening and assessment -----------------------------------------------------------------


async def test_an_override_needs_a_justification(http: Http, seed: Seed) -> None:
    await seed.with_panel()
    await seed.registered(1)
    await seed.at("screening", applicants=1)
    req = get_selection_rulebook(RULEBOOK).requirements_for("pratama")
    async with seed.sessions() as s, s.begin():
        await selections.precheck_all(s, seed.pid, req, date.today())
    url = f"/v1/selections/{seed.pid}/screening/a1"
    r = await http.call("PUT", url, {"eligible": False}, sub="m1")
    assert_refused(r, 422, "justification_required")
    await assert_in_ledger(http, seed.pid, "justification_required", "m1")
    r = await http.call("PUT", url, {"eligible": True}, sub="outsider")
    assert_refused(r, 403, "not_panel_member")


async def test_scoring_before_declaring_conflicts_is_refused(http: Http, seed: Seed) -> None:
    await seed.assessing()
    url = f"/v1/selections/{seed.pid}/components/assessment/scores/a1"
    r = await http.call("PUT", url, {"score": 80}, role="assessor", sub="as-1", agency=None)
    assert_refused(r, 409, "declaration_required")  # not yet: declare first
    await assert_in_ledger(http, seed.pid, "declaration_required", "as-1")


async def test_reading_others_scores_before_submitting_is_refused(http: Http, seed: Seed) -> None:
    await seed.assessing()
    for scorer in ("as-1", "as-2"):
        r = await http.call(
            "POST",
            f"/v1/selections/{seed.pid}/declarations",
            {"conflicted": [], "reason": "none"},
            role="assessor",
            sub=scorer,
            agency=None,
        )
        assert r.status_code == 201, r.text
    url = f"/v1/selections/{seed.pid}/components/assessment/scores/a1"
    r = await http.call("PUT", url, {"score": 81.5}, role="assessor", sub="as-1", agency=None)
    assert r.status_code == 200, r.text
    r = await http.call("GET", url, role="assessor", sub="as-2", agency=None)
    assert_refused(r, 403, "scores_blind")
    await assert_in_ledger(http, seed.pid, "scores_blind", "as-2")
    r = await http.call("GET", url, sub="chair")  # the chair is no exception
    assert_refused(r, 403, "scores_blind")
    # Having scored, the second assessor sees both.
    r = await http.call("PUT", url, {"score": 70}, role="assessor", sub="as-2", agency=None)
    assert r.status_code == 200, r.text
    r = await http.call("GET", url, role="assessor", sub="as-2", agency=None)
    assert r.status_code == 200, r.text
    assert sorted(x["score"] for x in r.json()["items"]) == [70, 81.5]
    # A submitted score is locked; an amendment needs a justification.
    r = await http.call("PUT", url, {"score": 75}, role="assessor", sub="as-2", agency=None)
    assert_refused(r, 422, "score_locked")
    r = await http.call(
        "PUT",
        url,
        {"score": 75, "justification": "arithmetic slip on the sheet"},
        role="assessor",
        sub="as-2",
        agency=None,
    )
    assert r.status_code == 200 and r.json()["amendments"] == 1, r.text


async def test_a_conflicted_scorer_is_refused(http: Http, seed: Seed) -> None:
    await seed.assessing()
    r = await http.call(
        "POST",
        f"/v1/selections/{seed.pid}/declarations",
        {"conflicted": ["a2"], "reason": "a2 is my cousin"},
        role="assessor",
        sub="as-1",
        agency=None,
    )
    assert r.status_code == 201 and r.json()["conflicted"] == ["a2"], r.text
    url = f"/v1/selections/{seed.pid}/components/assessment/scores/a2"
    r = await http.call("PUT", url, {"score": 90}, role="assessor", sub="as-1", agency=None)
    assert_refused(r, 403, "conflict_of_interest")
    await assert_in_ledger(http, seed.pid, "conflict_of_interest", "as-1")


async def test_an_assessor_only_scores_their_component(http: Http, seed: Seed) -> None:
    await seed.assessing()
    r = await http.call(
        "POST",
        f"/v1/selections/{seed.pid}/declarations",
        {"conflicted": []},
        role="assessor",
        sub="as-1",
        agency=None,
    )
    assert r.status_code == 201, r.text
    url = f"/v1/selections/{seed.pid}/components/interview/scores/a1"
    r = await http.call("PUT", url, {"score": 90}, role="assessor", sub="as-1", agency=None)
    assert_refused(r, 403, "not_assigned")
    await assert_in_ledger(http, seed.pid, "not_assigned", "as-1")

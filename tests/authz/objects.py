"""The objects the matrix points its routes at, created once per module through the API as their
owners would (all in the agency ``OWN``): an employee, a promotion, a selection with its panel
and a plan review whose first reviewer declared a conflict, a webhook subscription, a signed
checkpoint, a talent review. A path parameter without an object gets an id that names nothing
(``missing``): every caller must then get 401 or 404, never a 2xx."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from infra.settings import Settings
from tests.authz.principals import OWN
from tests.conftest import employee
from tests.helpers.selection_setup import PANEL, headers, open_review, oversight_body, until

TRAINING = "PermenPANRB-15-2019-training"


@dataclass
class Objects:
    # path parameter value by (path prefix, parameter name); agency None: national object
    values: dict[str, str] = field(default_factory=dict)
    agencies: dict[str, str | None] = field(default_factory=dict)
    conflicted_reviewer: str | None = None

    def put(self, key: str, value: str, agency: str | None = OWN) -> None:
        self.values[key], self.agencies[key] = value, agency


def _ok(r: httpx.Response) -> Any:
    assert r.status_code in (200, 201, 202), f"{r.request.method} {r.request.url}: {r.text}"
    return r.json()


async def create(http: httpx.AsyncClient, settings: Settings) -> Objects:
    objs = Objects()
    hr = headers(settings, "agency_hr", "hr-1")
    admin = headers(settings, "admin", "admin", None)
    rec = employee(agency=OWN)
    _ok(await http.post("/v1/employees", json=rec, headers=hr))
    objs.put("nip", rec["nip"])
    body = {"nip": rec["nip"], "period": "2027-04-01", "type": "regular"}
    start = await http.post(
        "/v1/promotions", json=body, headers=headers(settings, "hr_system", "s")
    )
    objs.put("promotion", _ok(start)["id"])
    objs.put("entry", await _first_entry(http, objs.values["promotion"], admin))

    body_code, _ = await oversight_body(http, settings)
    objs.put("review_body", body_code, None)
    create_sel = {
        "code": f"M-{uuid.uuid4().hex[:8]}",
        "post_title": "Kepala Biro Umum",
        "post_level": "pratama",
        "appointing_authority_id": "ppk-1",
        "oversight_body": body_code,
        "rulebook_version": TRAINING,
    }
    pid = str(_ok(await http.post("/v1/selections", json=create_sel, headers=hr))["id"])
    objs.put("selection", pid)
    members = [
        {"id": m, "name": n, "role": r, "internal": i, "affiliation": "Universitas Indonesia"}
        for m, n, r, i in PANEL
    ]
    _ok(await http.put(f"/v1/selections/{pid}/panel", json={"members": members}, headers=hr))
    scheme = {
        "components": [{"code": "interview", "name": "Wawancara", "weight": 100}],
        "tie_break": ["interview", "age"],
    }
    scorers = {"interview": ["chair", "m1"]}
    put = {"scheme": scheme, "scorers": scorers}
    _ok(await http.put(f"/v1/selections/{pid}/scheme", json=put, headers=hr))
    _ok(await http.post(f"/v1/selections/{pid}/plan/submit", headers=hr))
    sel = await until(http, settings, pid, lambda b: b["plan_review_id"] is not None)
    review_id = str(sel["plan_review_id"])
    seats = await open_review(http, settings, review_id)
    objs.put("review", review_id)
    objs.put("reviewer", seats[0], None)
    objs.conflicted_reviewer = seats[0]
    declared = await http.post(
        f"/v1/reviews/{review_id}/conflict-declarations",
        json={"has_conflict": True, "reason": "my sibling applies"},
        headers=headers(settings, "reviewer", seats[0], None),
    )
    _ok(declared)

    types = _ok(await http.get("/v1/webhooks/event-types"))["items"]
    sub = {"url": "http://127.0.0.1:9/hooks", "event_types": [types[0]["type"]]}
    created = _ok(await http.post("/v1/webhooks/subscriptions", json=sub, headers=hr))
    objs.put("subscription", str(created["id"]))
    auditor = headers(settings, "auditor", "auditor-0", None)
    checkpoint = _ok(await http.post("/v1/audit/checkpoints", headers=auditor))
    objs.put("checkpoint", str(checkpoint["id"]), None)

    talent = {
        "code": f"TR-{uuid.uuid4().hex[:8]}",
        "title": "Talent review",
        "population": {"agencies": [OWN], "position_levels": ["administrator"]},
        "committee": [
            {"id": "tc-chair", "name": "Chair", "seat": "chair"},
            {"id": "tc-sec", "name": "Secretary", "seat": "secretary"},
            {"id": "tc-m", "name": "Member", "seat": "member"},
        ],
    }
    r = await http.post("/v1/talent-reviews", json=talent, headers=hr)
    if r.status_code in (200, 201):
        objs.put("talent_review", str(r.json()["id"]))
    return objs


async def _first_entry(http: httpx.AsyncClient, pid: str, admin: dict[str, str]) -> str:
    """The first ledger entry of ``pid``, once the workflow has made it durable."""
    for _ in range(1200):
        r = await http.get(f"/v1/processes/{pid}/ledger", headers=admin)
        if r.status_code == 200 and r.json()["entries"]:
            return str(r.json()["entries"][0]["entry_id"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"{pid} never had a ledger entry")


# Which object a path parameter names, by the route's path (the longest prefix wins).
PARAMS: tuple[tuple[str, str, str], ...] = (
    ("/v1/promotions/", "process_id", "promotion"),
    ("/v1/processes/", "process_id", "promotion"),
    ("/v1/audit/processes/", "process_id", "promotion"),
    ("/v1/selections/", "process_id", "selection"),
    ("/v1/public/selections/", "process_id", "selection"),
    ("/v1/talent-reviews/", "process_id", "talent_review"),
    ("/v1/reviews/", "review_id", "review"),
    ("/v1/review-bodies/", "code", "review_body"),
    ("/v1/reviewers/", "reviewer_id", "reviewer"),
    ("/v1/webhooks/subscriptions/", "subscription_id", "subscription"),
    ("/v1/audit/checkpoints/", "checkpoint_id", "checkpoint"),
    ("/v1/audit/checkpoints/", "entry_id:path", "entry"),
    ("/v1/employees/", "nip", "nip"),
    ("/promotions/", "process_id", "promotion"),
    ("/audit/processes/", "process_id", "promotion"),
    ("/selections/", "process_id", "selection"),
    ("/public/selections/", "process_id", "selection"),
    ("/reviews/", "review_id", "review"),
    ("/talent/", "review_id", "talent_review"),
    ("/me/talent/", "review_id", "talent_review"),
)
PARAM = re.compile(r"\{[^}]+\}")
# Console routes that look the applicant up by the blind code on the scorer's sheet before the
# action runs: no applicant is registered on the matrix's selection, so every caller gets 404.
NAMES_AN_APPLICANT = {
    "POST /selections/{process_id}/scores",
    "GET /selections/{process_id}/scoring/{component}/{code}",
}
FILLERS = {
    "applicant_id": "a1",
    "component": "interview",
    "code": "x",
    "nip": "199001012020121001",
    "name": "refusals",
    "what": "declarations",
}


def fill(method: str, path: str, objs: Objects) -> tuple[str, str | None, bool]:
    """The route's path with every parameter filled; the object the route acts on (its key in
    ``objs``, None if it names none) and whether that object exists."""
    out, key, real = path, None, True
    for segment in PARAM.findall(path):
        param = segment[1:-1]
        found = next((k for prefix, p, k in PARAMS if path.startswith(prefix) and p == param), None)
        if found is not None and found in objs.values:
            value = objs.values[found]
            if key is None:
                key = found
        elif found is not None or param in ("process_id", "period_id", "delivery_id"):
            value = f"missing-{uuid.uuid4().hex[:6]}"
            if key is None:
                key, real = found or param, False
        else:
            value = FILLERS.get(param.split(":")[0], "x")
        out = out.replace(segment, value)
    if f"{method} {path}" in NAMES_AN_APPLICANT:
        return out, "applicant", False
    return out, key, real


def params_of(path: str) -> set[str]:
    return {p[1:-1].split(":")[0] for p in PARAM.findall(path)}

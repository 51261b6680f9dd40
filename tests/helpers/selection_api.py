"""The open selection's JSON API as the end-to-end tests drive it: a client acting as one agency's
people, an oversight body with three reviewers, and that body approving a review through
``/v1/reviews`` (its reviewers finding it in their inbox)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from infra.settings import Settings
from tests.helpers.promotion_api import Api

# One selection as the end-to-end tests walk it: its panel, scheme, scorers and applicants.
PANEL = [
    {"id": "chair", "name": "Prof. Ketua", "role": "chair", "internal": False},
    {"id": "secretary", "name": "Sekretaris", "role": "secretary", "internal": True},
    {"id": "m1", "name": "Anggota 1", "role": "member", "internal": False},
    {"id": "m2", "name": "Anggota 2", "role": "member", "internal": True},
    {"id": "m3", "name": "Anggota 3", "role": "member", "internal": False},
]
SCHEME = {
    "components": [
        {
            "code": "assessment",
            "name": "Assessment centre",
            "weight": 60,
            "cutoff": 60,
            "scorer_kind": "assessor",
        },
        {"code": "interview", "name": "Interview", "weight": 40},
        {"code": "health", "name": "Health", "weight": 0, "pass_fail": True},
    ],
    "tie_break": ["assessment", "age"],
}
SCORERS = {"assessment": ["as-1", "as-2"], "interview": ["chair", "m1"], "health": ["m2"]}
CSV_HEADER = (
    "applicant_id,nip,name,degree,years_experience,years_senior_post,birth_date,grade,"
    "sanction_active\n"
)
NIPS = {f"a{i}": f"19760{i}152000031{i:03d}" for i in range(1, 6)}
# The assessment and interview score every scorer gives each applicant: a1 first, a4 fourth.
GIVEN = {"a1": (90, 85), "a2": (85, 80), "a3": (80, 75), "a4": (70, 70)}
SECRETARIAT = ["chair", "secretary"]


class SelectionApi(Api):
    def __init__(self, http: httpx.AsyncClient, settings: Settings, agency: str) -> None:
        super().__init__(http, settings)
        self.agency = agency

    # Who acts when a call names no one: the panel's secretary (see PANEL).
    default_sub = "secretary"

    async def call(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        role: str = "selection_committee",
        sub: str | None = None,
        agency: str | None | bool = True,
        **kw: Any,
    ) -> httpx.Response:
        """A request as ``role``/``sub`` of this agency (``agency=None``: a national token;
        another string: that agency's)."""
        claim = self.agency if agency is True else (agency or None)
        headers = self.auth(role, sub or self.default_sub, claim) | kw.pop("headers", {})
        return await self.http.request(method, url, json=body, headers=headers, **kw)

    async def ok(self, method: str, url: str, body: Any = None, **kw: Any) -> Any:
        r = await self.call(method, url, body, **kw)
        assert r.status_code in (200, 201), f"{method} {url}: {r.status_code} {r.text}"
        return r.json()

    async def until(
        self, pid: str, predicate: Callable[[dict[str, Any]], bool], seconds: float = 120
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            body = await self.ok("GET", f"/v1/selections/{pid}", role="agency_hr", sub="hr-1")
            if predicate(body):
                return body
            await asyncio.sleep(0.1)
        raise AssertionError(f"condition never met: {body}")

    async def tasks(self, sub: str, role: str = "selection_committee") -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (
            await self.ok("GET", "/v1/me/tasks", role=role, sub=sub, agency=None)
        )["items"]
        return items

    async def public(self, pid: str) -> httpx.Response:
        return await self.http.get(f"/v1/public/selections/{pid}/announcements")


async def oversight_body(api: SelectionApi) -> tuple[str, list[str]]:
    code = f"PENGAWAS-{uuid.uuid4().hex[:8].upper()}"
    # The review workflow asks every body for the accreditation the post level needs (pratama: B).
    body = {
        "code": code,
        "name": "Oversight of JPT selections",
        "kind": "oversight",
        "accreditation_level": "A",
    }
    await api.ok("POST", "/v1/review-bodies", body, role="admin", sub="admin", agency=None)
    reviewers = [f"{code.lower()}-r{i}" for i in (1, 2, 3)]
    for rid in reviewers:
        await api.ok(
            "POST",
            f"/v1/review-bodies/{code}/reviewers",
            {"id": rid, "name": rid},
            role="admin",
            sub="admin",
            agency=None,
        )
    return code, reviewers


async def oversight_approves(api: SelectionApi, review_id: str) -> None:
    """The assigned reviewers find the review in their inbox, declare, and approve (majority)."""
    review: dict[str, Any] = {}
    for _ in range(2400):
        r = await api.call(
            "GET", f"/v1/reviews/{review_id}", role="admin", sub="admin", agency=None
        )
        review = r.json()
        if r.status_code == 200 and review["status"] == "open" and review["seats"]:
            break
        await asyncio.sleep(0.05)
    assert review.get("seats"), review
    # Three seats, majority: two approvals conclude the review; the third seat is not needed.
    assert len(review["seats"]) == 3, review
    for seat in review["seats"][:2]:
        rid = seat["reviewer_id"]
        tasks = await api.tasks(rid, role="reviewer")
        task = next(t for t in tasks if t["process_id"] == review_id)
        assert task["kind"] == "review_conflict_declaration"
        r = await api.call(
            "POST", task["action"], {"has_conflict": False}, role="reviewer", sub=rid, agency=None
        )
        assert r.status_code == 200, r.text
        verdict = {"verdict": "approve", "justification": "complies with PermenPANRB 15/2019"}
        r = await api.call(
            "POST",
            f"/v1/reviews/{review_id}/verdicts",
            verdict,
            role="reviewer",
            sub=rid,
            agency=None,
        )
        assert r.status_code == 200, r.text
    for _ in range(2400):
        review = await api.ok(
            "GET", f"/v1/reviews/{review_id}", role="admin", sub="admin", agency=None
        )
        if review["status"] != "open":
            break
        await asyncio.sleep(0.05)
    assert review["outcome"] == "approve", review

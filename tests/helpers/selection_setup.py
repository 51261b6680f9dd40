"""What the selection's console tests need beyond the pages: an oversight body with reviewers
(an admin's set-up, done through the API), the selection's state as agency HR reads it, waiting
for a stage, and the blind code a scorer sees for an applicant."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from actions.queries.selections import blind_code
from infra.settings import Settings
from infra.tokens import mint_token

AGENCY = "KEMENPANRB"
TRAINING = "PermenPANRB-15-2019-training"
PANEL = (
    ("chair", "Prof. Ketua", "chair", False),
    ("secretary", "Sekretaris", "secretary", True),
    ("m1", "Anggota Satu", "member", False),
    ("m2", "Anggota Dua", "member", True),
    ("m3", "Anggota Tiga", "member", False),
)
CSV_HEADER = (
    "applicant_id,nip,name,degree,years_experience,years_senior_post,birth_date,grade,"
    "sanction_active\n"
)


def headers(settings: Settings, role: str, sub: str, agency: str | None = AGENCY) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(settings, role=role, sub=sub, agency=agency)}"}


async def oversight_body(http: httpx.AsyncClient, settings: Settings) -> tuple[str, list[str]]:
    """A new oversight body with three reviewers (a majority of two decides)."""
    code = f"PENGAWAS-{uuid.uuid4().hex[:8].upper()}"
    admin = headers(settings, "admin", "admin", None)
    body = {"code": code, "name": "Pengawas JPT", "kind": "oversight", "accreditation_level": "A"}
    r = await http.post("/v1/review-bodies", json=body, headers=admin)
    assert r.status_code in (200, 201), r.text
    reviewers = [f"{code.lower()}-r{i}" for i in (1, 2, 3)]
    for rid in reviewers:
        r = await http.post(
            f"/v1/review-bodies/{code}/reviewers", json={"id": rid, "name": rid}, headers=admin
        )
        assert r.status_code in (200, 201), r.text
    return code, reviewers


async def state(http: httpx.AsyncClient, settings: Settings, pid: str) -> dict[str, Any]:
    r = await http.get(f"/v1/selections/{pid}", headers=headers(settings, "agency_hr", "hr-1"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def until(
    http: httpx.AsyncClient,
    settings: Settings,
    pid: str,
    predicate: Callable[[dict[str, Any]], bool],
    seconds: float = 240,
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + seconds
    body: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        body = await state(http, settings, pid)
        if predicate(body):
            return body
        await asyncio.sleep(0.25)
    raise AssertionError(f"condition never met: {body}")


async def open_review(http: httpx.AsyncClient, settings: Settings, review_id: str) -> list[str]:
    """The seats of an open review, once its reviewers are assigned."""
    admin = headers(settings, "admin", "admin", None)
    for _ in range(1200):
        r = await http.get(f"/v1/reviews/{review_id}", headers=admin)
        if r.status_code == 200 and r.json()["status"] == "open" and r.json()["seats"]:
            return [s["reviewer_id"] for s in r.json()["seats"]]
        await asyncio.sleep(0.1)
    raise AssertionError(f"review {review_id} never opened")


async def approve_review(http: httpx.AsyncClient, settings: Settings, review_id: str) -> None:
    """Two of the three reviewers declare no conflict and approve, through the API."""
    for rid in (await open_review(http, settings, review_id))[:2]:
        h = headers(settings, "reviewer", rid, None)
        r = await http.post(
            f"/v1/reviews/{review_id}/conflict-declarations",
            json={"has_conflict": False},
            headers=h,
        )
        assert r.status_code == 200, r.text
        verdict = {"verdict": "approve", "justification": "sesuai PermenPANRB 15/2019"}
        r = await http.post(f"/v1/reviews/{review_id}/verdicts", json=verdict, headers=h)
        assert r.status_code == 200, r.text


def code_of(settings: Settings, pid: str, applicant_id: str) -> str:
    """The code a scorer sees for ``applicant_id`` on their sheet."""
    return blind_code(settings.session_secret, pid, applicant_id)


def panel_form() -> dict[str, str]:
    form: dict[str, str] = {}
    for i, (mid, name, seat, internal) in enumerate(PANEL):
        form |= {
            f"m-{i}-id": mid,
            f"m-{i}-name": name,
            f"m-{i}-role": seat,
            f"m-{i}-affiliation": "Kementerian PANRB" if internal else "Universitas Indonesia",
        }
        if internal:
            form[f"m-{i}-internal"] = "yes"
    return form


def applicant_row(i: int, *, sanction: bool = False, birth: str | None = None) -> str:
    nip = f"19760{i}152000031{i:03d}"
    born = birth or f"1976-0{i}-15"
    return f"a{i},{nip},Pelamar {i},S2,12,4,{born},IV/b,{'true' if sanction else 'false'}\n"


async def to_screening(http: httpx.AsyncClient, settings: Settings, code: str) -> str:
    """A training selection taken to screening through the JSON API (as an HR system and the
    committee would): the page tests then act from there. Four applicants, a4 under a sanction."""
    body_code, _ = await oversight_body(http, settings)

    async def ok(
        method: str, url: str, body: Any, role: str = "agency_hr", sub: str = "hr-1"
    ) -> Any:
        r = await http.request(method, url, json=body, headers=headers(settings, role, sub))
        assert r.status_code in (200, 201), f"{method} {url}: {r.text}"
        return r.json()

    create = {
        "code": code,
        "post_title": "Kepala Biro Umum",
        "post_level": "pratama",
        "appointing_authority_id": "ppk-1",
        "oversight_body": body_code,
        "rulebook_version": TRAINING,
    }
    pid = str((await ok("POST", "/v1/selections", create))["id"])
    members = [
        {"id": m, "name": n, "role": r, "internal": i, "affiliation": "Universitas Indonesia"}
        for m, n, r, i in PANEL
    ]
    await ok("PUT", f"/v1/selections/{pid}/panel", {"members": members})
    scheme = {
        "components": [{"code": "interview", "name": "Wawancara", "weight": 100}],
        "tie_break": ["interview", "age"],
    }
    await ok(
        "PUT",
        f"/v1/selections/{pid}/scheme",
        {"scheme": scheme, "scorers": {"interview": ["chair", "m1"]}},
    )
    await ok("POST", f"/v1/selections/{pid}/plan/submit", None)
    sel = await until(http, settings, pid, lambda b: b["plan_review_id"] is not None)
    await approve_review(http, settings, sel["plan_review_id"])
    await until(http, settings, pid, lambda b: b["stage"] == "announcement")
    closes_at = datetime.now(UTC) + timedelta(seconds=65)
    await ok("POST", f"/v1/selections/{pid}/announcement", {"closes_at": closes_at.isoformat()})
    for i in (1, 2, 3, 4):
        values = applicant_row(i, sanction=i == 4).strip().split(",")
        profile = dict(zip(CSV_HEADER.strip().split(","), values, strict=True))
        profile["sanction_active"] = profile["sanction_active"] == "true"  # type: ignore[assignment]
        await ok(
            "POST", f"/v1/selections/{pid}/applicants", profile, role="hr_system", sub="simpeg"
        )
    await until(http, settings, pid, lambda b: b["stage"] == "screening", seconds=300)
    return pid

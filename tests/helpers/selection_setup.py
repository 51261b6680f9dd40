"""What the selection's console tests need beyond the pages: an oversight body with reviewers
(an admin's set-up, done through the API), the selection's state as agency HR reads it, waiting
for a stage, and the blind code a scorer sees for an applicant."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
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

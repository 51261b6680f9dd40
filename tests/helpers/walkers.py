"""Clients that walk processes to their end through the HTTP API, as a real HR system would:
every request carries its own X-Request-Id and is sent again, with the same id, while the answer
is "not now" (503, 409 ``request_in_progress``) or the connection failed.

Every answer is kept (:class:`Sent`), so a test can hold the ledger to what clients were told.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from infra.settings import Settings
from infra.tokens import mint_token
from tests.conftest import employee

AGENCY = "KEMENPANRB"
RETRY_FOR_S = 180.0


@dataclass
class Sent:
    request_id: str
    method: str
    url: str
    status: int
    body: Any
    attempts: int


@dataclass
class Client:
    http: httpx.AsyncClient
    settings: Settings
    sent: list[Sent] = field(default_factory=list)

    def auth(self, role: str, sub: str, agency: str | None = AGENCY) -> dict[str, str]:
        token = mint_token(self.settings, role=role, sub=sub, agency=agency)
        return {"Authorization": f"Bearer {token}"}

    async def get(self, url: str, role: str = "auditor", sub: str = "reader") -> httpx.Response:
        return await self._retry("GET", url, None, self.auth(role, sub), record=False)

    async def send(
        self, method: str, url: str, body: Any, role: str, sub: str, agency: str | None = AGENCY
    ) -> httpx.Response:
        return await self._retry(method, url, body, self.auth(role, sub, agency), record=True)

    async def _retry(
        self, method: str, url: str, body: Any, headers: dict[str, str], *, record: bool
    ) -> httpx.Response:
        rid = uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RETRY_FOR_S
        attempts = 0
        while True:
            attempts += 1
            try:
                r = await self.http.request(
                    method, url, json=body, headers={**headers, "X-Request-Id": rid}
                )
            except httpx.TransportError:
                r = None
            if r is not None and not _not_now(r):
                if record:
                    self.sent.append(Sent(rid, method, url, r.status_code, _json(r), attempts))
                return r
            if loop.time() > deadline:
                raise AssertionError(f"{method} {url} never answered: {r and r.text}")
            wait = float(r.headers.get("Retry-After", "0.5")) if r is not None else 0.5
            await asyncio.sleep(min(wait, 2.0))


def _not_now(r: httpx.Response) -> bool:
    if r.status_code in (502, 503, 504):
        return True
    return r.status_code == 409 and _json(r).get("error") == "request_in_progress"


def _json(r: httpx.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return {"text": r.text}


ROLE_SUB = {
    "promotion_board": "board-1",
    "agency_hr": "hr-1",
    "appointing_authority": "ppk-1",
}


async def walk_promotion(c: Client, nip: str, period: str, *, timeout: float = 300.0) -> str:
    """Start a promotion and take it through every step to its decree; its process id."""
    r = await c.send("POST", "/v1/promotions", {"nip": nip, "period": period}, "hr_system", "hr")
    assert r.status_code in (200, 201), r.text
    pid = str(r.json()["id"])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        p = (await c.get(f"/v1/promotions/{pid}")).json()
        if p["status"] != "in_progress" or not p.get("pending"):
            if p["status"] in ("completed", "rejected", "ineligible", "failed"):
                return pid
            await asyncio.sleep(0.2)
            continue
        pending = p["pending"]
        if pending.get("review_id"):
            await _review(c, pending["review_id"])
            continue
        await _decide(c, pid, pending)
    raise AssertionError(f"{pid} did not finish in {timeout:.0f} s")


async def _decide(c: Client, pid: str, pending: dict[str, Any]) -> None:
    role = pending.get("escalated_to_role") or pending["role"]
    sub = pending.get("actor_id") or ROLE_SUB.get(role, f"{role}-1")
    body: dict[str, Any] = {
        "decision": "approve",
        "justification": "checked the file",
        "step": pending["step"],
    }
    if pending["step"] == "appointing_authority":
        body["decree_number"] = f"800/KP/{uuid.uuid4().hex[:6]}"
    await c.send("POST", f"/v1/promotions/{pid}/decisions", body, role, sub)


async def _review(c: Client, review_id: str) -> None:
    r = await c.get(f"/v1/reviews/{review_id}", role="bkn", sub="bkn-reader")
    if r.status_code != 200 or r.json()["status"] != "open":
        await asyncio.sleep(0.2)  # not open yet (or its row not written yet)
        return
    for seat in r.json()["seats"]:
        if seat["status"] in ("voted", "recused"):
            continue
        url = f"/v1/reviews/{review_id}"
        sub = seat["reviewer_id"]
        if seat["status"] == "assigned":
            body = {"has_conflict": False}
            await c.send("POST", f"{url}/conflict-declarations", body, "reviewer", sub, None)
        verdict = {"verdict": "approve", "justification": "pertek ok"}
        await c.send("POST", f"{url}/verdicts", verdict, "reviewer", sub, None)


async def prepare_stack(c: Client, promotions: int = 6) -> list[str]:
    """BKN and two of its reviewers registered, and ``promotions`` employees on record: their NIPs."""
    body = {"code": "BKN", "name": "BKN", "kind": "technical_approval", "head_reviewer_id": "h"}
    r = await c.send("POST", "/v1/review-bodies", body, "admin", "ops", None)
    assert r.status_code in (200, 201), r.text
    for rid in ("bkn-fault-1", "bkn-fault-2"):
        r = await c.send(
            "POST",
            "/v1/review-bodies/BKN/reviewers",
            {"id": rid, "name": rid},
            "admin",
            "ops",
            None,
        )
        assert r.status_code in (200, 201), r.text
    nips = []
    for _ in range(promotions):
        rec = employee()
        r = await c.send("POST", "/v1/employees", rec, "hr_system", "simpeg")
        assert r.status_code in (200, 201), r.text
        nips.append(rec["nip"])
    return nips

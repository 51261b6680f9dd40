"""The timed Meritflow operation: one approval of one promotion, through the HTTP API only."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from bench._load import Op
from bench._meritflow import (
    ADMIN,
    BKN_STEP,
    READER,
    SETUP_TIMEOUT_S,
    Api,
    Caller,
    Promotion,
    error_code,
    step_of,
)
from bench._report import Phase
from bench._stack import BenchError


@dataclass
class Approvals:
    """The timed operation: step k of a promotion. With ``bkn_review`` the BKN step is the
    third-party review (find it, declare no conflict, approve, wait for the promotion to move on,
    then ``settle_s``); otherwise a plain decision like the others. Sub-steps are timed into
    ``phase.parts``."""

    api: Api
    period: date
    phase: Phase
    bkn_review: bool
    settle_s: float = 0.0

    def op(self) -> Op[Promotion]:
        return self.step

    async def step(self, p: Promotion, k: int) -> tuple[str, str] | None:
        if k == BKN_STEP and self.bkn_review:
            try:
                await self._review(p)
                return None
            except BenchError as exc:
                return "bkn review: " + str(exc).split(":")[0], str(exc)[:500]
        role, sub, agency, body = step_of(p, self.period, k)
        url = f"/v1/promotions/{p.pid}/decisions"
        try:
            r = await self._timed(
                "POST /v1/promotions/{id}/decisions", "POST", url, (role, sub, agency), body
            )
        except httpx.TimeoutException as exc:
            return f"{role}: no response within the HTTP timeout", f"{p.pid} {role}: {exc!r}"
        if r.status_code == 200:
            return None
        return f"{role}: HTTP {r.status_code} {error_code(r)}", f"{p.pid} {role}: {r.text[:400]}"

    async def _timed(
        self, part: str, method: str, url: str, who: Caller, body: Any = None
    ) -> httpx.Response:
        t0 = time.perf_counter()
        r = await self.api.http.request(method, url, json=body, headers=self.api.headers(*who))
        self.phase.parts.setdefault(part, []).append(time.perf_counter() - t0)
        return r

    async def _review(self, p: Promotion) -> None:
        """As the reviewer would: find the review, declare no conflict, approve."""
        t0 = time.perf_counter()
        pending = await self._poll(f"/v1/promotions/{p.pid}", READER, _review_requested)
        rid = pending["pending"]["review_id"]
        review = await self._poll(f"/v1/reviews/{rid}", ADMIN, _review_open)
        self.phase.parts.setdefault("BKN review: until open", []).append(time.perf_counter() - t0)
        reviewer: Caller = ("reviewer", review["seats"][0]["reviewer_id"], None)
        for part, body in (
            ("conflict-declarations", {"has_conflict": False}),
            ("verdicts", {"verdict": "approve", "justification": "pertek: file verified"}),
        ):
            r = await self._timed(
                f"POST /v1/reviews/{{id}}/{part}",
                "POST",
                f"/v1/reviews/{rid}/{part}",
                reviewer,
                body,
            )
            if r.status_code != 200:
                raise BenchError(f"POST {part} -> {r.status_code} {error_code(r)}: {r.text[:300]}")
        t1 = time.perf_counter()
        await self._poll(f"/v1/promotions/{p.pid}", READER, _after_review)
        self.phase.parts.setdefault("BKN review: verdict to next step", []).append(
            time.perf_counter() - t1
        )
        # The read model shows the next step before the workflow has taken the review's outcome
        # in; a decision sent in that window is accepted and then dropped by the workflow (it
        # never completes), so --settle-ms can hold the next decision back.
        await asyncio.sleep(self.settle_s)

    async def _poll(self, url: str, who: Caller, done: Any) -> dict[str, Any]:
        deadline = time.monotonic() + SETUP_TIMEOUT_S
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            r = await self.api.http.get(url, headers=self.api.headers(*who))
            self.phase.counts["GET polls (BKN review)"] += 1
            body = r.json() if r.status_code == 200 else {}
            if body and done(body):
                return body
            await asyncio.sleep(self.api.poll_s)
        raise BenchError(f"GET {url} timed out after {SETUP_TIMEOUT_S:.0f}s: {str(body)[:300]}")


def _review_requested(b: dict[str, Any]) -> bool:
    return bool((b.get("pending") or {}).get("review_id"))


def _review_open(b: dict[str, Any]) -> bool:
    return b.get("status") == "open" and bool(b.get("seats"))


def _after_review(b: dict[str, Any]) -> bool:
    return (b.get("pending") or {}).get("step") == "appointing_authority" or b.get(
        "status"
    ) not in (
        "starting",
        "in_progress",
    )

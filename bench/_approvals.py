"""The timed Meritflow operation: one approval of one promotion, through the HTTP API only."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from bench._load import Op
from bench._meritflow import (
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
    third-party review, driven from the answers alone: the decision that opens BKN's step names
    the review and its reviewer, the reviewer declares no conflict and approves in one request
    (``declare_apart``: the declaration, then the verdict, two requests), and the verdict's answer
    already shows the promotion's next step (then ``settle_s``). No GET is polled: where an
    answer does not say enough (a server whose review opens later), the client makes a bounded
    wait (``GET ...?wait=5s`` with the version it has), counted apart from polls. Otherwise the
    BKN step is a plain decision like the others. Sub-steps are timed into ``phase.parts``."""

    api: Api
    period: date
    phase: Phase
    bkn_review: bool
    settle_s: float = 0.0
    declare_apart: bool = False
    # What the answer that opened a promotion's BKN step said: (review id, reviewer).
    _seats: dict[str, tuple[str, str]] = field(default_factory=dict)

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
            if self.bkn_review and k == BKN_STEP - 1:
                self._remember(p, r.json())
            return None
        return f"{role}: HTTP {r.status_code} {error_code(r)}", f"{p.pid} {role}: {r.text[:400]}"

    def _remember(self, p: Promotion, answer: dict[str, Any]) -> None:
        pending = answer.get("pending") or {}
        if pending.get("review_id") and pending.get("reviewers"):
            self._seats[p.pid] = (pending["review_id"], pending["reviewers"][0])

    async def _timed(
        self, part: str, method: str, url: str, who: Caller, body: Any = None
    ) -> httpx.Response:
        t0 = time.perf_counter()
        r = await self.api.http.request(method, url, json=body, headers=self.api.headers(*who))
        self.phase.parts.setdefault(part, []).append(time.perf_counter() - t0)
        return r

    async def _review(self, p: Promotion) -> None:
        """As the reviewer would: declare no conflict, approve; the answers say the rest."""
        t0 = time.perf_counter()
        self.phase.counts["BKN reviews driven"] += 1
        self.phase.counts["GET polls (BKN review)"] += 0  # reported, target 0
        seat = self._seats.pop(p.pid, None)
        if seat is None:
            body = await self._wait(f"/v1/promotions/{p.pid}", READER, _review_seated)
            seat = (body["pending"]["review_id"], body["pending"]["reviewers"][0])
        rid, reviewer_id = seat
        self.phase.parts.setdefault("BKN review: until open", []).append(time.perf_counter() - t0)
        reviewer: Caller = ("reviewer", reviewer_id, None)
        answer: dict[str, Any] = {}
        verdict = {"verdict": "approve", "justification": "pertek: file verified"}
        requests: list[tuple[str, dict[str, Any]]] = [
            ("verdicts", {**verdict, "declares_no_conflict": True})
        ]
        if self.declare_apart:
            requests = [("conflict-declarations", {"has_conflict": False}), ("verdicts", verdict)]
        for part, body in requests:
            r = await self._timed(
                f"POST /v1/reviews/{{id}}/{part}",
                "POST",
                f"/v1/reviews/{rid}/{part}",
                reviewer,
                body,
            )
            if r.status_code != 200:
                raise BenchError(f"POST {part} -> {r.status_code} {error_code(r)}: {r.text[:300]}")
            answer = r.json()
        t1 = time.perf_counter()
        process = answer.get("process") or {}
        if process.get("pending_step") != "appointing_authority" and process.get("status") in (
            None,
            "starting",
            "in_progress",
        ):
            # A review that is its own workflow: the promotion moves on after the verdict.
            await self._wait(f"/v1/promotions/{p.pid}", READER, _after_review)
        self.phase.parts.setdefault("BKN review: verdict to next step", []).append(
            time.perf_counter() - t1
        )
        if self.settle_s > 0:
            await asyncio.sleep(self.settle_s)

    async def _wait(self, url: str, who: Caller, done: Any) -> dict[str, Any]:
        """Bounded waits (``?wait=5s`` after the version seen) until ``done``; never a poll."""
        deadline = time.monotonic() + SETUP_TIMEOUT_S
        body: dict[str, Any] = {}
        tag: str | None = None
        while time.monotonic() < deadline:
            headers = self.api.headers(*who)
            if tag is not None:
                headers = {**headers, "If-None-Match": tag}
            r = await self.api.http.get(url, params={"wait": "5s"}, headers=headers)
            self.phase.counts["bounded waits (BKN review)"] += 1
            if r.status_code == 304:
                continue
            body = r.json() if r.status_code == 200 else {}
            if body and done(body):
                return body
            tag = r.headers.get("ETag")
            if tag is None:  # a server without versions: do not spin on it
                await asyncio.sleep(self.api.poll_s)
        raise BenchError(f"GET {url} timed out after {SETUP_TIMEOUT_S:.0f}s: {str(body)[:300]}")


def _review_seated(b: dict[str, Any]) -> bool:
    pending = b.get("pending") or {}
    return bool(pending.get("review_id") and pending.get("reviewers"))


def _after_review(b: dict[str, Any]) -> bool:
    return (b.get("pending") or {}).get("step") == "appointing_authority" or b.get(
        "status"
    ) not in (
        "starting",
        "in_progress",
    )


# ``--bkn-step``: BKN's approval as the review with the declaration sent with the verdict, as the
# review with the declaration sent first on its own, or as a plain decision (older builds only).
BKN_STEPS = ("review", "review-apart", "decision")


def approvals_for(
    api: Api, period: date, phase: Phase, bkn_step: str, settle_s: float = 0.0
) -> Approvals:
    assert bkn_step in BKN_STEPS, bkn_step
    return Approvals(
        api,
        period,
        phase,
        bkn_review=bkn_step != "decision",
        settle_s=settle_s,
        declare_apart=bkn_step == "review-apart",
    )

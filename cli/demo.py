"""``make demo``: with ``make run`` up, walk one promotion end to end through the HTTP API.

The promotion is pinned to the training rulebook (durations in minutes, allowed where
MERITFLOW_ENV is development, test or training), so every deadline the demo prints is minutes away
and the walk, BKN's technical review included, takes seconds. ``--timers`` lets the supervisor step
run into its reminder (2 minutes) and escalation (3 minutes) first, so agency HR decides it as the
escalation role: about three more minutes. Tokens are minted here with the settings ``make run``
reads (``.env`` and ``MERITFLOW_*``); ``make token`` prints one for calls by hand.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx

from domain.rulebook import TRAINING_VERSION
from infra.settings import Settings, get_settings
from infra.tokens import mint_token

AGENCY = "KEMENPANRB"
SUPERVISOR = "197501012000031001"
POLL_S = 0.2
HINTS = {  # by error code
    "unauthenticated": "the demo mints tokens from this shell's settings (.env, MERITFLOW_JWT_*): "
    "run it with the same ones as `make run`",
    "training_rulebook_not_allowed": "the demo uses the training rulebook: run `make run` with "
    "MERITFLOW_ENV=development (the default), test or training",
}


def next_period(today: date) -> date:
    return date(today.year + (today.month == 12), today.month % 12 + 1, 1)


class Demo:
    def __init__(
        self, *, timers: bool, settings: Settings | None = None, http: httpx.Client | None = None
    ) -> None:
        self.settings = settings or get_settings()
        self.timers = timers
        base = f"http://{self.settings.api_host}:{self.settings.api_port}"
        self.http = http or httpx.Client(base_url=base, timeout=30)

    def call(
        self, method: str, url: str, role: str, sub: str, agency: str | None = AGENCY, **kw: Any
    ) -> Any:
        token = mint_token(self.settings, role=role, sub=sub, agency=agency)
        try:
            r = self.http.request(method, url, headers={"Authorization": f"Bearer {token}"}, **kw)
        except httpx.TransportError as exc:
            sys.exit(f"{method} {url}: {exc}; is the stack running (make run)?")
        if r.status_code >= 400:
            hint = HINTS.get(_error_code(r), "")
            sys.exit(
                f"{method} {url} -> {r.status_code}: {r.text}" + (f"\n({hint})" if hint else "")
            )
        return r.json()

    def promotion(self, pid: str) -> Any:
        return self.call("GET", f"/v1/promotions/{pid}", "auditor", "inspektorat")

    def until(self, what: str, probe: Callable[[], Any], timeout_s: float = 60) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = probe()
            if found:
                return found
            time.sleep(POLL_S)
        sys.exit(f"{what} did not happen within {timeout_s:.0f} s; is the worker running?")

    def run(self) -> None:
        started = time.monotonic()
        nip = f"19850312{random.randrange(10**10):010d}"
        period = next_period(date.today())
        self.register_bkn()
        self.call("POST", "/v1/employees", "agency_hr", "hr-officer", json=employee(nip, period))
        print(f"employee {nip} registered")
        body = {"nip": nip, "period": period.isoformat(), "rulebook_version": TRAINING_VERSION}
        p = self.call("POST", "/v1/promotions", "hr_system", "simpeg", json=body)
        pid = p["id"]
        print(f"promotion {pid} started under {p['rulebook_version']} (durations in minutes)")
        p = self.until("the first step", lambda: (q := self.promotion(pid))["pending"] and q)
        pending = p["pending"]
        print(
            f"eligible: {p['eligibility']['eligible']}; pending: {pending['step']}, reminder at "
            f"{pending['reminder_at']}, due {pending['due_at']}"
        )
        first = ("supervisor", SUPERVISOR)
        if self.timers:
            first = self.let_supervisor_step_escalate(pid)
        self.decide(pid, *first)
        self.decide(pid, "promotion_board", "board-chair")
        self.decide(pid, "agency_hr", "hr-head")
        self.technical_review(pid)
        p = self.decide(
            pid, "appointing_authority", "ppk-minister", decree_number=f"800/KP/{period.year}/1"
        )
        print(f"decree: {p['decree']}")
        self.print_ledger(pid)
        print(f"walked in {time.monotonic() - started:.0f} s")

    def decide(self, pid: str, role: str, sub: str, **extra: Any) -> Any:
        body = {"decision": "approve", "justification": f"{role}: file complete", **extra}
        p = self.call("POST", f"/v1/promotions/{pid}/decisions", role, sub, json=body)
        print(f"{role} ({sub}) approved -> {p['stage']}")
        return p

    def let_supervisor_step_escalate(self, pid: str) -> tuple[str, str]:
        print("waiting for the supervisor step's reminder (2 min) and escalation (3 min) …")
        p = self.until(
            "the escalation",
            lambda: (q := self.promotion(pid))["pending"]["escalated_to_role"] and q,
            timeout_s=240,
        )
        role = p["pending"]["escalated_to_role"]
        print(f"escalated to {role}: {role} may now decide the supervisor step")
        return role, "hr-head"

    def register_bkn(self) -> None:
        body = {
            "code": "BKN",
            "name": "Badan Kepegawaian Negara (pertek)",
            "kind": "technical_approval",
            "head_reviewer_id": "bkn-head",
        }
        self.call("POST", "/v1/review-bodies", "admin", "admin", None, json=body)
        reviewer = {"id": "bkn-validator", "name": "BKN validator"}
        self.call("POST", "/v1/review-bodies/BKN/reviewers", "admin", "admin", None, json=reviewer)
        print("review body BKN registered with reviewer bkn-validator")

    def find(self, url: str) -> Any:
        """GET as an admin; None while the thing does not exist yet (the read model lags a step)."""
        token = mint_token(self.settings, role="admin", sub="admin")
        r = self.http.get(url, headers={"Authorization": f"Bearer {token}"})
        return r.json() if r.status_code == 200 else None

    def open_review(self, pid: str) -> Any:
        review_id = (self.promotion(pid)["pending"] or {}).get("review_id")
        review = self.find(f"/v1/reviews/{review_id}") if review_id else None
        return review if review and review["status"] == "open" and review["seats"] else None

    def technical_review(self, pid: str) -> None:
        """BKN's pertek is a third-party review: the reviewer finds it in the inbox, declares no
        conflict of interest, and approves."""
        review = self.until("the technical review opening", lambda: self.open_review(pid))
        review_id, reviewer = review["id"], review["seats"][0]["reviewer_id"]
        print(f"review {review_id} open; BKN approves by itself at {review['due_at']}")
        tasks = self.call("GET", "/v1/me/tasks", "reviewer", reviewer, None)["items"]
        task = next(t for t in tasks if t["process_id"] == review_id)
        print(f"{reviewer}'s inbox: {task['title']} due {task['due_at']}")
        self.call("POST", task["action"], "reviewer", reviewer, None, json={"has_conflict": False})
        verdict = {"verdict": "approve", "justification": "rank history and SKP verified"}
        url = f"/v1/reviews/{review_id}/verdicts"
        self.call("POST", url, "reviewer", reviewer, None, json=verdict)
        p = self.until(
            "the review's outcome reaching the promotion",
            lambda: (q := self.promotion(pid))["stage"] != "bkn_technical_approval" and q,
        )
        print(f"review {review_id} approved -> {p['stage']}")

    def print_ledger(self, pid: str) -> None:
        ledger = self.call("GET", f"/v1/processes/{pid}/ledger", "auditor", "inspektorat")
        for e in ledger["entries"]:
            print(
                f"  #{e['seq']:>2} {e['occurred_at']} {e['kind']:<32} {e['actor_role']:<22} "
                f"{e['stage_before'] or '-'} -> {e['stage_after'] or '-'}  {e['hash'][:12]}"
            )
        v = self.call("GET", f"/v1/processes/{pid}/ledger/verify", "auditor", "inspektorat")
        print(f"ledger verified: {v['ok']} ({v['entries']} entries, head {v['head_hash'][:16]})")


def _error_code(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def employee(nip: str, period: date) -> dict[str, Any]:
    return {
        "nip": nip,
        "name": "Dewi Lestari",
        "agency": AGENCY,
        "grade": "III/b",
        "rank_since": f"{period.year - 5}-04-01",
        "education": "S1",
        "supervisor_nip": SUPERVISOR,
        "ratings": [
            {"year": period.year - 2, "rating": "good"},
            {"year": period.year - 1, "rating": "very_good"},
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="make demo", description="Walk one promotion through the HTTP API (make run)."
    )
    parser.add_argument(
        "--timers",
        action="store_true",
        help="let the supervisor step be reminded and escalated first (about 3 more minutes)",
    )
    Demo(timers=parser.parse_args().timers).run()


if __name__ == "__main__":
    main()

"""``make demo``: with ``make run`` up, drive one promotion end to end through the HTTP API."""

from __future__ import annotations

import random
import sys
import time
from datetime import date
from typing import Any

import httpx

from infra.settings import get_settings
from infra.tokens import mint_token

AGENCY = "KEMENPANRB"


def next_period(today: date) -> date:
    return date(today.year + (today.month == 12), today.month % 12 + 1, 1)


class Demo:
    def __init__(self) -> None:
        self.settings = get_settings()
        base = f"http://{self.settings.api_host}:{self.settings.api_port}"
        self.http = httpx.Client(base_url=base, timeout=30)

    def call(
        self, method: str, url: str, role: str, sub: str, agency: str | None = AGENCY, **kw: Any
    ) -> Any:
        token = mint_token(self.settings, role=role, sub=sub, agency=agency)
        r = self.http.request(method, url, headers={"Authorization": f"Bearer {token}"}, **kw)
        if r.status_code >= 400:
            sys.exit(f"{method} {url} -> {r.status_code}: {r.text}")
        return r.json()

    def run(self) -> None:
        nip = f"19850312{random.randrange(10**10):010d}"
        supervisor = "197501012000031001"
        period = next_period(date.today())
        record = {
            "nip": nip,
            "name": "Dewi Lestari",
            "agency": AGENCY,
            "grade": "III/b",
            "rank_since": f"{period.year - 5}-04-01",
            "education": "S1",
            "supervisor_nip": supervisor,
            "ratings": [
                {"year": period.year - 2, "rating": "good"},
                {"year": period.year - 1, "rating": "very_good"},
            ],
        }
        self.register_bkn()
        self.call("POST", "/v1/employees", "agency_hr", "hr-officer", json=record)
        print(f"employee {nip} registered")
        p = self.call(
            "POST",
            "/v1/promotions",
            "hr_system",
            "simpeg",
            json={"nip": nip, "period": period.isoformat(), "type": "regular"},
        )
        pid = p["id"]
        print(f"promotion {pid} started under {p['rulebook_version']}")
        p = self.wait(pid)
        print(
            f"eligible: {p['eligibility']['eligible']}; pending: {p['pending']['step']} due {p['pending']['due_at']}"
        )
        steps = [
            ("supervisor", supervisor, AGENCY, {}),
            ("promotion_board", "board-chair", AGENCY, {}),
            ("agency_hr", "hr-head", AGENCY, {}),
            ("review", "", None, {}),
            (
                "appointing_authority",
                "ppk-minister",
                AGENCY,
                {"decree_number": f"800/KP/{period.year}/1"},
            ),
        ]
        for role, sub, agency, extra in steps:
            if role == "review":
                self.technical_review(pid)
                continue
            body = {
                "decision": "approve",
                "justification": f"{role}: file complete and verified",
                **extra,
            }
            p = self.call("POST", f"/v1/promotions/{pid}/decisions", role, sub, agency, json=body)
            print(f"{role} approved -> {p['stage']}")
        print(f"decree: {p['decree']}")
        ledger = self.call("GET", f"/v1/processes/{pid}/ledger", "auditor", "inspektorat")
        for e in ledger["entries"]:
            print(
                f"  #{e['seq']:>2} {e['occurred_at']} {e['kind']:<32} {e['actor_role']:<22} "
                f"{e['stage_before'] or '-'} -> {e['stage_after'] or '-'}  {e['hash'][:12]}"
            )
        verify = self.call("GET", f"/v1/processes/{pid}/ledger/verify", "auditor", "inspektorat")
        print(
            f"ledger verified: {verify['ok']} ({verify['entries']} entries, head {verify['head_hash'][:16]})"
        )

    def find(self, url: str) -> Any:
        """GET as an admin; None while the thing does not exist yet (the read model lags a step)."""
        token = mint_token(self.settings, role="admin", sub="admin")
        r = self.http.get(url, headers={"Authorization": f"Bearer {token}"})
        return r.json() if r.status_code == 200 else None

    def register_bkn(self) -> None:
        body = {
            "code": "BKN",
            "name": "Badan Kepegawaian Negara (pertek)",
            "kind": "technical_approval",
            "head_reviewer_id": "bkn-head",
        }
        self.call("POST", "/v1/review-bodies", "admin", "admin", None, json=body)
        self.call(
            "POST",
            "/v1/review-bodies/BKN/reviewers",
            "admin",
            "admin",
            None,
            json={"id": "bkn-validator", "name": "BKN validator"},
        )
        print("review body BKN registered with reviewer bkn-validator")

    def technical_review(self, pid: str) -> None:
        """BKN's pertek is a third-party review: the reviewer finds it in the inbox, declares no
        conflict of interest, and approves."""
        for _ in range(100):
            p = self.call("GET", f"/v1/promotions/{pid}", "auditor", "inspektorat")
            review_id = (p["pending"] or {}).get("review_id")
            review = self.find(f"/v1/reviews/{review_id}") if review_id else None
            if review and review["status"] == "open" and review["seats"]:
                break
            time.sleep(0.1)
        else:
            sys.exit("the technical approval review did not open")
        reviewer = review["seats"][0]["reviewer_id"]
        tasks = self.call("GET", "/v1/me/tasks", "reviewer", reviewer, None)["items"]
        task = next(t for t in tasks if t["process_id"] == review_id)
        print(f"{reviewer}'s inbox: {task['title']} due {task['due_at']}")
        self.call("POST", task["action"], "reviewer", reviewer, None, json={"has_conflict": False})
        self.call(
            "POST",
            f"/v1/reviews/{review_id}/verdicts",
            "reviewer",
            reviewer,
            None,
            json={"verdict": "approve", "justification": "rank history and SKP verified"},
        )
        for _ in range(100):
            p = self.call("GET", f"/v1/promotions/{pid}", "auditor", "inspektorat")
            if p["stage"] != "bkn_technical_approval":
                break
            time.sleep(0.1)
        print(f"review {review_id} approved -> {p['stage']}")

    def wait(self, pid: str) -> Any:
        for _ in range(100):
            p = self.call("GET", f"/v1/promotions/{pid}", "auditor", "inspektorat")
            if p["pending"] or p["status"] not in ("starting", "in_progress"):
                return p
            time.sleep(0.1)
        sys.exit("the promotion did not reach its first step; is the worker running (make run)?")


if __name__ == "__main__":
    Demo().run()

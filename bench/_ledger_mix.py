"""The mix of the synthetic ledger (seeded, so one seed gives one ledger):

- rank promotions (most processes): started by the agency's HR system, eligibility assessed (the
  snapshot and the reasons in the payload, as the workflow records them; about one in eight
  ineligible, which ends it), then the five approvals with an occasional reminder, escalation,
  refused attempt (outcome ``refused``), return or rejection; BKN's step is a third-party review;
- the reviews those promotions start (process kind ``review``), about six entries each;
- promotion periods (two entries each) and refused starts (one refused entry);
- a few open selections (process kind ``selection``), hundreds to thousands of entries each
  (registrations, screening, three assessors' scores per screened applicant, ranking): the large
  single-process histories.

Each process is a list of events in time; :meth:`Generator.entries` merges them in time order.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import date
from typing import Any

from bench._ledger_people import DAY, Event, Population, Process
from domain.ledger import Actor
from domain.rulebook import rulebook_for_period

STEPS = (
    ("supervisor", "supervisor"),
    ("promotion_board", "promotion_board"),
    ("agency_hr", "agency_hr"),
    ("bkn_technical_approval", "bkn"),
    ("appointing_authority", "appointing_authority"),
)
SYSTEM = Actor(id="system:timer", role="system")
REVIEW_SYSTEM = Actor(id="system:review", role="system")
GRADES = ("II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b")


class Generator(Population):
    # --- processes ------------------------------------------------------------------------------

    def start(self, at: float) -> list[Process]:
        r = self.rng.random()
        if r < 0.0015:
            return [self.selection(at)]
        if r < 0.0045:
            return [self.period(at)]
        if r < 0.0245:
            return [self.refused_start(at)]
        return self.promotion(at)

    def promotion(self, t: float) -> list[Process]:
        r, agency = self.rng, self.agency()
        period = self.period_after(t)
        rulebook = rulebook_for_period(period).version
        nip = ""

        def pid() -> str:
            nonlocal nip
            nip = self.nip()
            return f"promotion-{nip}-{period:%Y-%m}"

        process_id = self.unique(pid)
        supervisor = self.person(agency, "supervisor")
        grade = r.choice(GRADES)
        ev: list[Event] = [
            Event(
                t,
                "promotion.started",
                self.person(agency, "hr_system"),
                stage=(None, "snapshot"),
                payload={
                    "nip": nip,
                    "period": period.isoformat(),
                    "promotion_type": "regular",
                    "rulebook": rulebook,
                },
            )  # fmt: skip
        ]
        t += r.uniform(0.5, 8)
        eligible = r.random() > 0.12
        ev.append(
            Event(
                t,
                "promotion.eligibility_assessed",
                SYSTEM,
                stage=("snapshot", "eligible" if eligible else "ineligible"),
                payload=self._eligibility(nip, agency, grade, supervisor.id, eligible, period),
            )
        )
        spawned: list[Process] = []
        if eligible:
            for step, role in STEPS:
                t = self._step(ev, spawned, process_id, agency, step, role, supervisor, t)
                if ev[-1].stage[1] == "rejected":
                    break
        proc = Process(process_id, "promotion", agency, nip, rulebook, self.uid(), ev)
        for e in ev:
            e.subject = nip
        return [proc, *spawned]

    def _eligibility(
        self, nip: str, agency: str, grade: str, supervisor: str, eligible: bool, period: date
    ) -> dict[str, Any]:
        r = self.rng
        since = date(period.year - r.randint(4, 9), r.randint(1, 12), 1)
        codes = ("minimum_time_in_rank", "performance_ratings", "no_sanctions", "education_cap")
        reasons = [
            {"code": c, "met": eligible or k != 1,
             "message": f"{c.replace('_', ' ')}: checked against the record of {since.isoformat()}"}
            for k, c in enumerate(codes)
        ]  # fmt: skip
        return {
            "eligibility": {"eligible": eligible, "current_grade": grade,
                            "target_grade": "IV/c" if grade == "IV/b" else grade, "reasons": reasons},
            "snapshot": {"nip": nip, "name": f"Pegawai {nip[-6:]}", "agency": agency,
                         "grade": grade, "rank_since": since.isoformat(), "education": "S1",
                         "supervisor_nip": supervisor,
                         "ratings": [{"year": period.year - 2, "rating": "good"},
                                     {"year": period.year - 1,
                                      "rating": "good" if eligible else "needs_improvement"}],
                         "sanctions": [], "trainings": ["latsar"], "credit_points": 0.0},
        }  # fmt: skip

    def _step(
        self,
        ev: list[Event],
        spawned: list[Process],
        process_id: str,
        agency: str,
        step: str,
        role: str,
        supervisor: Actor,
        t: float,
    ) -> float:
        r = self.rng
        stage = f"awaiting_{step}"
        t += self.gap(1.5)
        if r.random() < 0.15:
            ev.append(Event(t, "promotion.reminder_sent", SYSTEM, stage=(stage, stage),
                            payload={"step": step, "role": role}))  # fmt: skip
            t += self.gap(1)
            if r.random() < 0.25:
                ev.append(Event(t, "promotion.escalated", SYSTEM, stage=(stage, stage),
                                payload={"step": step, "to": "agency_hr"}))  # fmt: skip
                t += self.gap(0.5)
        if r.random() < 0.08:
            wrong = self.person(agency, "agency_hr")
            ev.append(
                Event(t, "promotion.decision_refused", wrong, outcome="refused",
                      stage=(stage, stage),
                      payload={"error": "not_your_turn", "status": 409, "step": step,
                               "detail": f"The pending step is {step}; {wrong.role} cannot decide it."})
            )  # fmt: skip
            t += self.gap(0.2)
        if role == "bkn":
            review_id = f"pertek-{process_id}-1"
            ev.append(Event(t, "promotion.review_requested", SYSTEM, stage=(stage, stage),
                            payload={"review_id": review_id, "body": "BKN"}))  # fmt: skip
            review, t = self.review(review_id, agency, t)
            spawned.append(review)
            t += r.uniform(0.2, 3)
            actor = Actor(id=f"review:{review_id}", role="bkn", on_behalf_of="BKN")
            kind = "promotion.review_concluded"
        else:
            actor = supervisor if role == "supervisor" else self.person(agency, role)
            kind = "promotion.decision"
        roll = r.random()
        decision = "reject" if roll < 0.02 else "return" if roll < 0.06 else "approve"
        after = "rejected" if decision == "reject" else (
            "completed" if role == "appointing_authority" else f"awaiting_next_after_{step}")  # fmt: skip
        payload: dict[str, Any] = {"step": step, "decision": decision}
        if decision == "return":
            payload["corrections"] = ["attach the latest performance rating decree"]
            after = stage
        if after == "completed":
            payload["decree"] = {"number": f"800/KP/{r.randint(1, 9999)}", "signed_by": actor.id}
        ev.append(
            Event(t, kind, actor, stage=(stage, after), payload=payload,
                  justification=f"{role}: {decision} after checking the file",
                  update_id=None if role == "bkn" else self.uid().replace("-", ""))
        )  # fmt: skip
        if decision == "return":  # the same step once more, approved this time
            t += self.gap(2)
            ev.append(
                Event(t, kind, actor, stage=(stage, f"awaiting_next_after_{step}"),
                      payload={"step": step, "decision": "approve"},
                      justification=f"{role}: corrections received",
                      update_id=self.uid().replace("-", ""))
            )  # fmt: skip
        return t

    def review(self, review_id: str, agency: str, t: float) -> tuple[Process, float]:
        r = self.rng
        reviewer = Actor(id=f"bkn-validator-{r.randint(1, 60)}", role="reviewer")
        ev = [
            Event(t + 0.05, "review.requested", REVIEW_SYSTEM, stage=(None, "assigning"),
                  payload={"body": "BKN", "kind": "technical_approval"}),
            Event(t + 0.3, "review.reviewers_assigned", REVIEW_SYSTEM,
                  stage=("assigning", "declaring"), payload={"reviewers": [reviewer.id]}),
        ]  # fmt: skip
        t += self.gap(0.5)
        ev.append(Event(t, "review.no_conflict_declared", reviewer,
                        stage=("declaring", "reviewing"), payload={"conflict": False}))  # fmt: skip
        t += self.gap(2)
        verdict = "approve" if r.random() > 0.03 else "reject"
        ev.append(Event(t, "review.verdict", reviewer, stage=("reviewing", "concluded"),
                        payload={"verdict": verdict, "findings": []},
                        justification="technical requirements checked"))  # fmt: skip
        t += r.uniform(0.05, 1)
        ev.append(Event(t, "review.concluded", REVIEW_SYSTEM, stage=("concluded", "concluded"),
                        payload={"outcome": verdict, "automatic": False}))  # fmt: skip
        return Process(review_id, "review", agency, None, None, self.uid(), ev), t

    def period(self, t: float) -> Process:
        agency, period = self.agency(), self.period_after(t)
        process_id = f"promotion-period-{agency}-{period:%Y-%m}"
        if process_id in self.used_ids:  # one period per agency and month, as the workflow id says
            return self.refused_start(t)
        self.used_ids.add(process_id)
        hr = self.person(agency, "hr_system")
        n = self.rng.randint(20, 4000)
        ev = [
            Event(t, "promotion_period.started", hr, stage=("starting", "running"),
                  payload={"period": period.isoformat(), "requested": n,
                           "member_source": "hr_source", "promotion_type": "regular"}),
            Event(t + n / 40, "promotion_period.completed", Actor(id=process_id, role="system"),
                  stage=("running", "completed"),
                  payload={"requested": n, "started": n, "already_running": 0, "runs": n // 500 + 1}),
        ]  # fmt: skip
        proc = Process(process_id, "promotion_period", agency, None, None, self.uid(), ev)
        proc.entry_ids = lambda e, _k: f"{process_id}:{e.kind}"
        return proc

    def refused_start(self, t: float) -> Process:
        agency, period = self.agency(), self.period_after(t)
        nip = self.nip()
        process_id = self.unique(lambda: f"promotion-{nip}-{period:%Y-%m}-refused-{self.uid()[:6]}")
        ev = [
            Event(t, "promotion.start_refused", self.person(agency, "hr_system"), outcome="refused",
                  subject=nip,
                  payload={"error": "period_not_allowed", "status": 422, "nip": nip,
                           "detail": f"{period.isoformat()} is not an allowed promotion period."})
        ]  # fmt: skip
        return Process(process_id, "promotion", agency, nip, None, None, ev)

    def selection(self, t: float) -> Process:
        r, agency = self.rng, self.agency()
        self.serial[agency] += 1
        process_id = f"selection-{agency}-{self.serial[agency]:04d}"
        self.used_ids.add(process_id)
        applicants = min(max(int(r.lognormvariate(5.0, 0.9)), 15), 2500)
        chair = self.person(agency, "selection_committee")
        ev = [Event(t, "selection.opened", self.person(agency, "agency_hr"),
                    stage=(None, "registration"),
                    payload={"post": f"JPT Pratama {agency}", "formation": r.randint(1, 3)})]  # fmt: skip
        close = t + 14 * DAY
        people = [self.nip(1975, 2000) for _ in range(applicants)]
        for at, who in sorted(zip((r.uniform(t, close) for _ in people), people, strict=True)):
            if r.random() < 0.04:
                ev.append(Event(at, "selection.registration_refused",
                                Actor(id=who, role="applicant"), outcome="refused", subject=who,
                                stage=("registration", "registration"),
                                payload={"error": "registration_closed_for_rank", "status": 422}))  # fmt: skip
            ev.append(Event(at + 1, "selection.applicant_registered", Actor(id=who, role="applicant"),
                            subject=who, stage=("registration", "registration"),
                            payload={"applicant": who, "documents": 6}))  # fmt: skip
        t = close + DAY
        passed = []
        for who in people:
            t += r.uniform(10, 600)
            ok = r.random() < 0.45
            member = self.person(agency, "selection_committee")
            ev.append(Event(t, "selection.screened", member, subject=who,
                            stage=("screening", "screening"),
                            payload={"applicant": who, "passed": ok,
                                     "reason": "administrative requirements met" if ok
                                     else "minimum rank not met"}))  # fmt: skip
            if ok:
                passed.append(who)
        t += 3 * DAY
        for who in passed:
            for _ in range(3):
                t += r.uniform(60, 1800)
                score = round(r.uniform(55, 95), 2)
                ev.append(Event(t, "selection.score_recorded", self.person(agency, "assessor"),
                                subject=who, stage=("assessment", "assessment"),
                                payload={"applicant": who, "component": "managerial",
                                         "score": score}))  # fmt: skip
        t += 2 * DAY
        ev.append(Event(t, "selection.ranking_published", chair, stage=("assessment", "ranked"),
                        payload={"ranked": len(passed), "top": passed[:3]}))  # fmt: skip
        ev.append(Event(t + DAY, "selection.closed", chair, stage=("ranked", "closed"),
                        payload={"appointed": passed[:1]}))  # fmt: skip
        return Process(process_id, "selection", agency, None, "selection-2024", self.uid(), ev)

    # --- the stream -----------------------------------------------------------------------------

    def entries(self) -> Iterator[tuple[Process, Event]]:
        """Every process's events, merged in time order, until ``total`` are out."""
        heap: list[tuple[float, int, Process | None]] = [(0.0, 0, None)]
        ticket, out = 1, 0
        while out < self.total:
            at, _, proc = heapq.heappop(heap)
            if proc is None:  # the next process start, then the one after it
                for p in self.start(at):
                    heapq.heappush(heap, (p.events[0].at, ticket, p))
                    ticket += 1
                heapq.heappush(heap, (at + self.rng.expovariate(self.rate), ticket, None))
                ticket += 1
                continue
            event = proc.events[proc.next_event]
            proc.next_event += 1
            yield proc, event
            out += 1
            if proc.next_event < len(proc.events):
                heapq.heappush(heap, (proc.events[proc.next_event].at, ticket, proc))
                ticket += 1

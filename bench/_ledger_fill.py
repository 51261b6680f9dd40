"""A synthetic ledger of N entries for the audit benchmark, written straight into its SQLite table.

Every row is built the way ``store.ledger.append`` builds it — ``LedgerEntryIn`` through
``domain.ledger.entry_columns``, hashed with ``entry_hash`` over ``hash_fields`` onto the previous
entry of its process (the first on ``GENESIS_HASH``) — and stored through the column types' own
bind processors (``UTCDateTime``, JSON), so the API reads back exactly what was hashed. Rows go in
in ``recorded_at`` order, interleaved across processes as the service appends them, many per
``executemany``; the chain heads (``ledger_heads``) are written at the end. The append-only
triggers of migration 0002 refuse UPDATE and DELETE only: plain INSERTs go in.

The mix (seeded, so one seed gives one ledger):

- rank promotions (most processes): started by the agency's HR system, eligibility assessed (the
  snapshot and the reasons in the payload, as the workflow records them; about one in eight
  ineligible, which ends it), then the five approvals with an occasional reminder, escalation,
  refused attempt (outcome ``refused``), return or rejection; BKN's step is a third-party review;
- the reviews those promotions start (process kind ``review``), about six entries each;
- promotion periods (two entries each) and refused starts (one refused entry);
- a few open selections (process kind ``selection``), hundreds to thousands of entries each
  (registrations, screening, three assessors' scores per screened applicant, ranking): the large
  single-process histories.

Forty agencies of very different sizes (weights 1/rank^0.9), staff and supervisors drawn from
per-agency pools, recorded over about two years ending now.
"""

from __future__ import annotations

import heapq
import random
import sqlite3
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.sqlite import pysqlite

from domain.errors import DomainError
from domain.ledger import GENESIS_HASH, Actor, LedgerEntryIn, entry_columns, entry_hash, hash_fields
from domain.rulebook import check_period, rulebook_for_period
from store.models import LedgerEntry

AGENCIES = (
    "KEMENDIKBUDRISTEK", "KEMENAG", "KEMENKES", "KEMENKEU", "KEMENKUMHAM", "PEMPROV-JABAR",
    "PEMPROV-JATIM", "PEMPROV-JATENG", "KEMENHUB", "KEMENPUPR", "PEMPROV-DKI", "KEMENDAGRI",
    "PEMPROV-SUMUT", "KEMENTAN", "BPS", "PEMPROV-SULSEL", "KLHK", "KEMENLU", "PEMKOT-SURABAYA",
    "PEMKOT-BANDUNG", "KEMENSOS", "KEMNAKER", "PEMPROV-BALI", "PEMKAB-BOGOR", "KEMENPERIN",
    "KEMENDAG", "PEMPROV-KALTIM", "PEMKOT-MEDAN", "ESDM", "PEMPROV-ACEH", "BPK", "PEMKOT-MAKASSAR",
    "PEMKAB-SLEMAN", "PEMPROV-PAPUA", "BKN", "KEMENPANRB", "PEMKAB-BANYUWANGI", "PEMKAB-GOWA",
    "PEMKOT-YOGYAKARTA", "PEMKAB-BADUNG",
)  # fmt: skip
AGENCY_WEIGHTS = tuple(1 / (rank + 1) ** 0.9 for rank in range(len(AGENCIES)))
SPAN = timedelta(days=730)
# Entries per process start (measured ~13 with this mix): N entries then span a little under SPAN.
ENTRIES_PER_START = 12.5
BATCH = 5_000
COMMIT_EVERY = 100_000
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
DAY = 86_400.0


@dataclass
class Event:
    at: float  # seconds since the ledger's epoch
    kind: str
    actor: Actor
    outcome: str = "accepted"
    stage: tuple[str | None, str | None] = (None, None)
    payload: dict[str, Any] = field(default_factory=dict)
    subject: str | None = None
    justification: str | None = None
    update_id: str | None = None


@dataclass
class Process:
    process_id: str
    kind: str
    agency: str
    subject: str | None
    rulebook: str | None
    run_id: str | None
    events: list[Event]
    entry_ids: Callable[[Event, int], str] | None = None
    next_event: int = 0
    workflow_entries: int = 0
    seq: int = 0
    head: str = GENESIS_HASH


@dataclass
class FillStats:
    entries: int = 0
    seconds: float = 0.0
    processes: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    sizes: dict[str, int] = field(default_factory=dict)  # process id -> entries
    kinds_of: dict[str, str] = field(default_factory=dict)  # process id -> process kind
    agency_entries: Counter[str] = field(default_factory=Counter)
    staff: list[str] = field(default_factory=list)  # sample of human actor ids
    subjects: list[str] = field(default_factory=list)  # sample of employee NIPs
    first: datetime | None = None
    last: datetime | None = None


class Generator:
    def __init__(self, entries: int, seed: int, end: datetime) -> None:
        self.rng = random.Random(seed)
        self.total = entries
        self.epoch = end - SPAN
        self.rate = entries / ENTRIES_PER_START / SPAN.total_seconds()
        self.used_ids: set[str] = set()
        self.periods: dict[tuple[int, int], date] = {}
        self.serial = Counter[str]()
        self.staff = {a: self._staff(a) for a in AGENCIES}

    # --- identities ----------------------------------------------------------------------------

    def nip(self, born_from: int = 1965, born_to: int = 1998) -> str:
        r = self.rng
        born = date(r.randint(born_from, born_to), r.randint(1, 12), r.randint(1, 28))
        hired = f"{min(born.year + r.randint(22, 30), 2024)}{r.randint(1, 12):02d}"
        return f"{born:%Y%m%d}{hired}{r.randint(1, 2)}{r.randint(1, 999):03d}"

    def _staff(self, agency: str) -> dict[str, list[str]]:
        return {
            "agency_hr": [self.nip() for _ in range(6)],
            "promotion_board": [self.nip() for _ in range(4)],
            "appointing_authority": [f"ppk-{agency.lower()}"],
            "supervisor": [self.nip(1960, 1985) for _ in range(200)],
            "selection_committee": [self.nip() for _ in range(5)],
            "assessor": [f"assessor-{agency.lower()}-{k}" for k in range(8)],
            "hr_system": [f"simpeg-{agency.lower()}"],
        }

    def person(self, agency: str, role: str) -> Actor:
        pool = self.staff[agency][role]
        national = role in ("bkn", "assessor")
        return Actor(id=self.rng.choice(pool), role=role, agency=None if national else agency)

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def period_after(self, at: float) -> date:
        day = (self.epoch + timedelta(seconds=at)).date()
        key = (day.year, day.month)
        if key not in self.periods:
            d = day.replace(day=1)
            for _ in range(24):
                d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
                try:
                    check_period(rulebook_for_period(d), d)
                    break
                except DomainError:
                    continue
            self.periods[key] = d
        return self.periods[key]

    def gap(self, mean_days: float) -> float:
        return self.rng.expovariate(1 / (mean_days * DAY))

    def agency(self) -> str:
        return self.rng.choices(AGENCIES, AGENCY_WEIGHTS)[0]

    def unique(self, make: Callable[[], str]) -> str:
        while (value := make()) in self.used_ids:
            pass
        self.used_ids.add(value)
        return value

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


def _entry(gen: Generator, proc: Process, event: Event) -> tuple[LedgerEntryIn, datetime]:
    recorded = gen.epoch + timedelta(seconds=event.at)
    if event.outcome == "refused":
        entry_id, occurred, workflow_id, run_id = (
            f"refused:{gen.uid().replace('-', '')}",
            recorded,
            None,
            None,
        )
    else:
        proc.workflow_entries += 1
        if proc.entry_ids is not None:
            entry_id = proc.entry_ids(event, proc.workflow_entries)
        else:
            entry_id = f"{proc.process_id}:{proc.run_id}:{proc.workflow_entries}"
        occurred = recorded - timedelta(milliseconds=gen.rng.uniform(3, 250))
        workflow_id, run_id = proc.process_id, proc.run_id
    entry = LedgerEntryIn(
        entry_id=entry_id,
        process_id=proc.process_id,
        process_kind=proc.kind,
        kind=event.kind,
        outcome="refused" if event.outcome == "refused" else "accepted",
        stage_before=event.stage[0],
        stage_after=event.stage[1],
        actor=event.actor,
        subject=event.subject or proc.subject,
        agency=proc.agency,
        payload=event.payload,
        justification=event.justification,
        rulebook_version=proc.rulebook,
        workflow_id=workflow_id,
        run_id=run_id,
        update_id=event.update_id,
        occurred_at=occurred,
    )
    return entry, recorded


def fill(db_path: Path, entries: int, seed: int, *, progress: bool = True) -> FillStats:
    """Append ``entries`` synthetic, correctly chained entries to the migrated database."""
    table = LedgerEntry.__table__
    dialect = pysqlite.dialect()
    names = [c.name for c in table.c]
    procs = [c.type.bind_processor(dialect) for c in table.c]
    sql = f"INSERT INTO ledger_entries ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    gen = Generator(entries, seed, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    stats = FillStats()
    staff_seen: set[str] = set()
    heads: dict[str, tuple[int, str]] = {}
    con = sqlite3.connect(db_path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1048576",
                   "temp_store=MEMORY"):  # fmt: skip
        con.execute(f"PRAGMA {pragma}")
    t0 = time.perf_counter()
    batch: list[list[Any]] = []
    con.execute("BEGIN")
    try:
        for proc, event in gen.entries():
            entry, recorded = _entry(gen, proc, event)
            columns = entry_columns(entry, recorded_at=recorded)
            proc.seq += 1
            digest = entry_hash(proc.head, proc.seq, hash_fields(columns))
            row = {**columns, "seq": proc.seq, "prev_hash": proc.head, "hash": digest}
            proc.head = digest
            heads[proc.process_id] = (proc.seq, digest)
            batch.append([p(row[n]) if p else row[n] for n, p in zip(names, procs, strict=True)])
            _tally(stats, gen, proc, entry, recorded, staff_seen)
            if len(batch) >= BATCH:
                con.executemany(sql, batch)
                batch.clear()
                if stats.entries % COMMIT_EVERY == 0:
                    con.execute("COMMIT")
                    con.execute("BEGIN")
                    if progress:
                        rate = stats.entries / (time.perf_counter() - t0)
                        sys.stderr.write(f"  {stats.entries:>9} entries ({rate:,.0f}/s)\n")
        if batch:
            con.executemany(sql, batch)
        # A head is born at genesis and moves one entry at a time (migration 0011's triggers). A
        # bulk load sets each at its last entry at once: the genesis guard is lifted for the insert
        # only and put back as the database defined it, in the same transaction.
        (guard,) = con.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'ledger_heads_genesis'"
        ).fetchone()
        con.execute("DROP TRIGGER ledger_heads_genesis")
        con.executemany(
            "INSERT INTO ledger_heads (process_id, seq, hash) VALUES (?, ?, ?)",
            [(pid, seq, digest) for pid, (seq, digest) in heads.items()],
        )
        con.execute(guard)
        con.execute("COMMIT")
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()
    stats.seconds = time.perf_counter() - t0
    stats.sizes = {pid: seq for pid, (seq, _) in heads.items()}
    return stats


def _tally(
    stats: FillStats,
    gen: Generator,
    proc: Process,
    entry: LedgerEntryIn,
    recorded: datetime,
    staff_seen: set[str],
) -> None:
    stats.entries += 1
    if proc.seq == 1:
        stats.processes[proc.kind] += 1
        stats.kinds_of[proc.process_id] = proc.kind
    stats.outcomes[entry.outcome] += 1
    stats.agency_entries[proc.agency] += 1
    stats.first = stats.first or recorded
    stats.last = recorded
    actor = entry.actor
    if actor.role not in ("system", "applicant") and actor.id not in staff_seen:
        staff_seen.add(actor.id)
        if len(stats.staff) < 500 and gen.rng.random() < 0.2:
            stats.staff.append(actor.id)
    if entry.subject and proc.kind == "promotion" and len(stats.subjects) < 500:
        if proc.seq == 1 and gen.rng.random() < 0.05:
            stats.subjects.append(entry.subject)

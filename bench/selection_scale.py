"""One open selection with N applicants imported by CSV, run through every stage; prints the size of
its workflow history: ``python -m bench.selection_scale [--applicants 2000]``.

Candidate-level writes (the CSV import, screening decisions, declarations, scores) go through the
same store functions the API calls; stage actions are workflow updates on a time-skipping server
with the real worker and a throwaway SQLite database. The point it shows: the history grows with
the stage actions, not with the applicants or the scores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from actions.selections.csv_import import parse_csv
from domain.review import Verdict
from infra.db import create_engine, migrate, session_factory
from infra.settings import Settings
from infra.temporal_bin import find_test_server
from store import selections
from tests.conftest import free_port, register_body, skip_days
from tests.helpers.selection_workflow import HR, PPK, Run, member, profile
from worker import build_worker
from workflows.selection import OpenSelectionWorkflow
from workflows.selection_contracts import ActorInput, AppointInput, VoteInput

HEADER = "applicant_id,nip,name,degree,years_experience,years_senior_post,birth_date,grade,sanction_active"


def csv_of(n: int) -> bytes:
    lines = [HEADER]
    for i in range(n):
        p = profile(i)
        lines.append(
            f"{p.applicant_id},{p.nip},{p.name},{p.degree},{p.years_experience:g},"
            f"{p.years_senior_post:g},{p.birth_date.isoformat()},{p.grade},false"
        )
    return ("\n".join(lines) + "\n").encode()


async def selection(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/scale.db"
        await migrate(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=find_test_server(),
            port=free_port(),
            data_converter=pydantic_data_converter,
        )
        settings = Settings(database_url=url, task_queue=f"tq-{uuid.uuid4().hex[:8]}", env="test")
        body = f"OV{uuid.uuid4().hex[:8].upper()}"
        reviewers = [f"{body.lower()}-r{i}" for i in range(3)]
        await register_body(sessions, body, kind="oversight", reviewers=reviewers, head="head")
        t0 = time.perf_counter()
        async with build_worker(env.client, sessions, settings):
            run = Run(env, sessions, settings, body)
            await run.start()
            await run.plan_approved()
            await run.announce_now()
            profiles = parse_csv(csv_of(n))
            async with sessions() as s, s.begin():
                stamp = selections.Stamp(
                    actor=HR, now=datetime.now(UTC), entry_id=f"{run.id}:accepted:csv"
                )
                await selections.import_applicants(s, run.id, profiles, stamp=stamp)
            await skip_days(env, 16)
            await run.until(lambda st: st.stage == "screening")
            ids = [p.applicant_id for p in profiles]
            await run.screen_all(ids)
            await run.update(
                OpenSelectionWorkflow.close_screening, ActorInput(actor=member(run.prefix, 1))
            )
            scores = {
                a: (50.0 + (i * 7919) % 50, 50.0 + (i * 104729) % 50, 1.0)
                for i, a in enumerate(ids)
            }
            await run.score_all(scores)
            state = await run.close_components()
            for i in range(4):
                await run.update(
                    OpenSelectionWorkflow.plenary_vote,
                    VoteInput(actor=member(run.prefix, i), approve=True),
                )
            await run.update(
                OpenSelectionWorkflow.close_plenary, ActorInput(actor=member(run.prefix, 0))
            )
            await run.review(f"review-shortlist-{run.id}-1", Verdict.APPROVE)
            state = await run.until(lambda st: st.stage == "appointment")
            choice = AppointInput(
                actor=PPK, applicant_id=state.shortlist[0].applicant_id, reason="bench"
            )
            await run.update(OpenSelectionWorkflow.appoint, choice)
            result = await run.h.result()
            history = await run.h.fetch_history()
        elapsed = time.perf_counter() - t0
        size = len(history.to_json().encode())
        kinds = await run.kinds()
        print(f"applicants (CSV import)      {n}")
        print(f"stage reached                {result.stage} (appointee {result.appointee_id})")
        print(f"ledger entries               {len(kinds)}")
        print(f"scores submitted             {kinds.count('score.submitted')}")
        print(f"workflow history events      {len(history.events)}")
        print(f"workflow history size        {size / 1024:.1f} KiB")
        print(
            f"wall time                    {elapsed:.0f} s (load average at end {os.getloadavg()[0]:.1f})"
        )
        await env.shutdown()
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applicants", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(selection(args.applicants))


if __name__ == "__main__":
    main()

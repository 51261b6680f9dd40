"""A real selection run to its appointment, then explained to an auditor through the API.

The selection is driven as ``tests/workflows/test_selection.py`` drives it (time-skipping server, real
worker and database); the explanation is then asked for over HTTP, checked, and asked for again
after a published ranking row was tampered with in ``selection_announcements``. Last, a selection
outlives the Temporal server that ran it: every audit and public read answers the same without it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from actions.history import reconcile_process
from domain.review import Verdict
from infra.settings import Settings
from infra.tokens import mint_token
from server import create_app
from store.selection_models import SelectionAnnouncement
from tests.conftest import register_body, start_test_server
from tests.helpers.selection_workflow import (
    PPK,
    SCORES,
    STARTED,
    Run,
    member,
    profile,
    to_shortlist,
)
from tests.helpers.selection_workflow import run as run  # noqa: F401  (a fixture)
from tests.helpers.selection_workflow import worker as worker  # noqa: F401  (a fixture)
from worker import build_worker
from workflows.selection import OpenSelectionWorkflow
from workflows.selection_contracts import ActorInput, AppointInput, VoteInput


@pytest_asyncio.fixture
async def http(ts_env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, client=ts_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as c:
            yield c


async def explain(
    http: httpx.AsyncClient, settings: Settings, pid: str, agency: str | None = "KEMENPANRB"
) -> httpx.Response:
    token = mint_token(settings, role="auditor", sub="inspektorat-1", agency=agency)
    return await http.get(
        f"/v1/processes/{pid}/explanation", headers={"Authorization": f"Bearer {token}"}
    )


async def appointed(run: Run) -> None:
    await to_shortlist(run)
    for i in range(4):
        await run.update(
            OpenSelectionWorkflow.plenary_vote, VoteInput(actor=member(run.prefix, i), approve=True)
        )
    await run.update(OpenSelectionWorkflow.close_plenary, ActorInput(actor=member(run.prefix, 0)))
    await run.review(f"review-shortlist-{run.id}-1", Verdict.APPROVE)
    await run.until(lambda s: s.stage == "appointment")
    await run.update(
        OpenSelectionWorkflow.appoint,
        AppointInput(actor=PPK, applicant_id="A0001", reason="fits the post"),
    )
    await run.h.result()


async def test_an_auditor_sees_each_rank_recomputed_and_a_tampered_list_caught(
    run: Run,
    http: httpx.AsyncClient,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await appointed(run)

    r = await explain(http, settings, run.id)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["process_kind"] == "selection"
    assert body["published_matches"] is True and body["scores_match_ledger"] is True, body
    assert body["first_difference"] is None and body["differences"] == []
    assert body["ledger"]["verified"] is True
    assert body["scheme_source"] == "ledger"
    applicants = {a["applicant_id"]: a for a in body["applicants"]}
    assert set(applicants) == set(SCORES)
    # 90*.6+80*.4 = 86, 85*.6+85*.4 = 85, 70, 60; A0003 under the cut-off, A0004 fails health
    ranks = {a: (v["rank"], v["total"]) for a, v in applicants.items() if v["rank"] is not None}
    assert ranks == {
        "A0000": (1, 86.0),
        "A0001": (2, 85.0),
        "A0002": (3, 70.0),
        "A0005": (4, 60.0),
    }
    assert [a for a, v in applicants.items() if v["shortlisted"]] == ["A0000", "A0001", "A0002"]
    assert applicants["A0003"]["failed_cutoffs"] == ["assessment"]
    assert "under the cut-off 50" in applicants["A0003"]["explanation"]
    assert applicants["A0004"]["failed_cutoffs"] == ["health"]
    assert applicants["A0000"]["explanation"].startswith("Rank 1 with a total of 86")
    screening = applicants["A0000"]["screening"]
    assert screening["eligible"] is True and screening["decision"] == "confirmed"
    assert screening["decided_by"] == member(run.prefix, 1).id
    assert screening["pre_check_reasons"] and all(x["met"] for x in screening["pre_check_reasons"])
    # interview: two scorers each
    interview = [s for s in applicants["A0000"]["scores"] if s["component"] == "interview"]
    assert len(interview) == 2 and all(s["ledger_seq"] for s in interview)
    assert [c["matches"] for c in body["checks"]] == [True] * 4
    kinds = [d["kind"] for d in body["stage_decisions"]]
    for kind in (
        "scheme.set",
        "plan.review_concluded",
        "screening.closed",
        "component.closed",
        "shortlist.proposed",
        "plenary.closed",
        "shortlist.review_concluded",
        "selection.appointed",
    ):
        assert kind in kinds, kind
    assert not {"score.submitted", "screening.decided", "applicant.registered"} & set(kinds)
    last = body["stage_decisions"][-1]
    assert (last["actor"]["id"], last["justification"]) == (PPK.id, "fits the post")
    assert body["outcome"] == {
        "status": "completed",
        "stage": "completed",
        "appointee_id": "A0001",
        "reason": "fits the post",
    }
    for i in range(len(SCORES)):
        applicant = profile(i)
        assert applicant.nip and applicant.name
        assert applicant.nip not in r.text and applicant.name not in r.text

    # scope: an auditor of another agency sees nothing; a national one sees it
    assert (await explain(http, settings, run.id, "KEMENKEU")).status_code == 404
    assert (await explain(http, settings, run.id, None)).status_code == 200

    # tamper with the published integrated ranking: A0001's total nudged above A0000's
    async with sessions() as s, s.begin():
        row = await s.scalar(
            select(SelectionAnnouncement).where(
                SelectionAnnouncement.process_id == run.id, SelectionAnnouncement.key == "ranking-0"
            )
        )
        assert row is not None
        tampered = dict(row.body)
        ranking = [dict(x) for x in tampered["ranking"]]
        ranking[1]["total"] = 87.0
        tampered["ranking"] = ranking
        row.body = tampered

    r = await explain(http, settings, run.id)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["published_matches"] is False and body["scores_match_ledger"] is True
    assert body["first_difference"] == (
        "ranking-0: position 2 (A0001): total published 87, recomputed 85"
    )
    assert [(d["kind"], d["where"]) for d in body["differences"]] == [("ranking", "ranking-0")]
    ranking_check = next(c for c in body["checks"] if c["announcement"] == "ranking-0")
    assert ranking_check["matches"] is False
    # the ledger's digest still binds the recomputed ranking: only the publication was changed
    assert ranking_check["digest"] == ranking_check["recomputed_digest"]


async def _audit_reads(client: Client, settings: Settings, process_id: str) -> dict[str, Any]:
    """Every read an auditor or the public makes of one selection, through an API on ``client``."""
    token = mint_token(settings, role="auditor", sub="inspektorat-1", agency="KEMENPANRB")
    auth = {"Authorization": f"Bearer {token}"}
    out: dict[str, Any] = {}
    app = create_app(settings, client=client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as c:
            reads: tuple[tuple[str, str, dict[str, Any]], ...] = (
                ("selection", f"/v1/selections/{process_id}", {}),
                ("ledger", f"/v1/processes/{process_id}/ledger", {}),
                ("verify", f"/v1/processes/{process_id}/ledger/verify", {}),
                ("explanation", f"/v1/processes/{process_id}/explanation", {}),
                ("search", "/v1/audit/entries", {"process_id": process_id, "limit": 500}),
                ("public", f"/v1/public/selections/{process_id}/announcements", {}),
                ("export", "/v1/audit/export", {"process_id": process_id, "format": "jsonl"}),
                ("reconciliation", f"/v1/audit/processes/{process_id}/reconciliation", {}),
            )
            for name, url, params in reads:
                r = await c.get(url, params=params, headers=auth)
                assert r.status_code == 200, (name, r.text)
                out[name] = r.text.splitlines() if name == "export" else r.json()
    return out


async def test_a_selection_outlives_the_temporal_server_that_ran_it(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, dev_env: WorkflowEnvironment
) -> None:
    """The selection's history is destroyed; every audit and public read still answers the same.

    A selection waits out a registration window of days, so it runs on the time-skipping server,
    and that server does not implement DeleteWorkflowExecution (the promotion's test in
    ``test_outliving.py`` deletes one history on the dev server). Here the whole server that held
    the history (in memory only) is shut down instead, and the reads are made again through an API
    whose Temporal (the dev server) has never seen the workflow.
    """
    env = await start_test_server()
    try:
        code = f"OV{uuid.uuid4().hex[:8].upper()}"
        reviewers = [f"{code.lower()}-r{i}" for i in range(3)]
        await register_body(sessions, code, kind="oversight", reviewers=reviewers, head="head")
        run = Run(env, sessions, settings, code)
        async with build_worker(env.client, sessions, settings):
            await appointed(run)
        STARTED.remove(run.h)  # finished: nothing for the shared teardown to terminate
        history = await run.h.fetch_history()
        before = await _audit_reads(env.client, settings, run.id)
        # the oversight body's two reviews (children) agree with their histories as well
        for tag in ("plan", "shortlist"):
            review = await reconcile_process(sessions, env.client, f"review-{tag}-{run.id}-1")
            assert review is not None and review.ok, review
            assert review.entries_checked >= 5
    finally:
        await env.shutdown()

    assert len(history.events) > 100
    assert before["reconciliation"]["ok"] is True, before["reconciliation"]
    assert before["selection"]["stage"] == "completed"
    assert before["explanation"]["published_matches"] is True
    assert before["explanation"]["scores_match_ledger"] is True
    assert before["verify"]["ok"] is True
    entries = before["ledger"]["entries"]
    assert len(entries) > 50 and before["verify"]["entries"] == len(entries)
    assert len(before["export"]) == len(entries)
    assert [e["entry_id"] for e in before["search"]["items"]] == [e["entry_id"] for e in entries]
    assert len(before["public"]["items"]) >= 5

    with pytest.raises(RPCError) as gone:
        await dev_env.client.get_workflow_handle(run.id).describe()
    assert gone.value.status == RPCStatusCode.NOT_FOUND

    after = await _audit_reads(dev_env.client, settings, run.id)
    reconciliation = after.pop("reconciliation")
    before.pop("reconciliation")
    assert after == before
    assert reconciliation["ok"] is False
    assert [d["kind"] for d in reconciliation["differences"]] == ["history_unavailable"]

"""Reconciliation against a real history: a clean process agrees; an injected entry is reported."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from actions.history import reconcile_process, summarise
from domain.ledger import Actor, LedgerEntryIn
from infra.settings import Settings
from store import ledger
from tests.e2e.audit_support import AGENCY, AuditApi, finished_promotion, running_api
from workflows.promotion import PromotionWorkflow
from workflows.review import ThirdPartyReviewWorkflow

ROOT = Path(__file__).resolve().parents[2]


@pytest_asyncio.fixture
async def api(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[AuditApi]:
    async with running_api(dev_env, sessions, settings) as running:
        yield running


async def inject(sessions: async_sessionmaker[AsyncSession], pid: str, run_id: str) -> str:
    """A decision the workflow never took, appended properly: the hash chain stays valid."""
    now = datetime.now(UTC)
    entry = LedgerEntryIn(
        entry_id=f"{pid}:{run_id}:injected",
        process_id=pid,
        process_kind="promotion",
        kind="promotion.decision",
        outcome="accepted",
        stage_before="completed",
        stage_after="completed",
        actor=Actor(id="intruder", role="appointing_authority", agency=AGENCY),
        agency=AGENCY,
        payload={"step": "appointing_authority", "decision": "approve"},
        justification="never happened",
        workflow_id=pid,
        run_id=run_id,
        update_id="decision-made-up",
        occurred_at=now,
    )
    async with sessions.begin() as session:
        await ledger.append(session, entry, recorded_at=now)
    return entry.entry_id


async def run_command(
    dev_env: WorkflowEnvironment, database_url: str, *args: str
) -> tuple[int, str]:
    env = {
        **os.environ,
        "MERITFLOW_DATABASE_URL": database_url,
        "MERITFLOW_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "MERITFLOW_TEMPORAL_NAMESPACE": dev_env.client.namespace,
        "MERITFLOW_ENV": "test",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli.reconcile",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_a_clean_process_agrees_with_its_history(
    api: AuditApi, dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    pid, run_id = await finished_promotion(api, dev_env)
    # A refused attempt names no workflow and changes nothing in the comparison.
    r = await api.post(
        f"/v1/promotions/{pid}/decisions", {"decision": "approve", "justification": "x"}, "bkn"
    )
    assert r.status_code == 409, r.text
    report = await api.ok(f"/v1/audit/processes/{pid}/reconciliation")
    assert report["ok"] is True and report["differences"] == [], report
    assert report["runs"] == [run_id]
    entries = (await api.ok(f"/v1/processes/{pid}/ledger"))["entries"]
    assert report["entries_checked"] == len(entries) - 1
    code, out = await run_command(dev_env, settings.database_url, pid)
    assert code == 0, out
    assert "ledger and history agree" in out

    # Entries are written once their decision is durable (workflows/ledgered.py): by a normal
    # activity whose input names them, or by the API from the result of the completed update that
    # handed them over. Every entry is in the history with one of them; the callers said what the
    # ledger held, so no entry was handed over twice. And the history replays on the current code.
    history = await dev_env.client.get_workflow_handle(pid, run_id=run_id).fetch_history()
    # (A batch may also hold entries of the BKN review run inside the promotion; the review's
    # entries are its own chain's.)
    events = summarise(history.events, run_id)
    batches = [
        [x["entry_id"] for x in e["entries"] if x["process_id"] == pid]
        for e in events
        if e["type"] == "activity_completed"
        and e["activity"] in ("record_promotion_batch", "record_promotion_review_batch")
    ]
    handed = [
        [x["entry_id"] for x in e["entries"] if x["process_id"] == pid]
        for e in events
        if e["type"] == "entries_handed_over"
    ]
    written = [e["entry_id"] for e in entries if e["outcome"] == "accepted"]
    assert {i for batch in batches + handed for i in batch} == set(written)
    flat = [i for batch in handed for i in batch]
    assert flat and len(flat) == len(set(flat))
    replayer = Replayer(
        workflows=[PromotionWorkflow, ThirdPartyReviewWorkflow],
        data_converter=pydantic_data_converter,
    )
    assert (await replayer.replay_workflow(history)).replay_failure is None


async def test_an_injected_entry_is_reported(
    api: AuditApi,
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    pid, run_id = await finished_promotion(api, dev_env)
    injected = await inject(sessions, pid, run_id)
    # The chain cannot tell: the entry was appended through the ledger's own door.
    assert (await api.ok(f"/v1/processes/{pid}/ledger/verify"))["ok"] is True

    report = await api.ok(f"/v1/audit/processes/{pid}/reconciliation")
    assert report["ok"] is False
    found = {(d["kind"], d.get("entry_id")) for d in report["differences"]}
    assert found == {
        ("entry_without_update_event", injected),
        ("entry_without_activity", injected),
    }
    assert all("event_id" not in d for d in report["differences"])

    direct = await reconcile_process(sessions, dev_env.client, pid)
    assert direct is not None and direct.model_dump(exclude_none=True) == report

    code, out = await run_command(dev_env, settings.database_url, pid)
    assert code == 1, out
    assert "2 difference(s)" in out and f"entry_without_update_event [entry {injected}]" in out
    code, out = await run_command(dev_env, settings.database_url, "promotion-no-such-process")
    assert code == 2 and "no process" in out

"""Answers instead of polling, through the HTTP API: every action's answer says what it did and
what is pending next, and a client waits for what it did not do with a bounded ``?wait=``."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.helpers.promotion_api import Api, new_employee, started
from tests.helpers.promotion_workflow import activities_after_last_update, signal_names
from workflows.policies import LEDGER_CATCH_UP

OK = {"decision": "approve", "justification": "checked the file"}


async def decide(api: Api, pid: str, role: str, sub: str, **extra: Any) -> httpx.Response:
    r = await api.post(f"/v1/promotions/{pid}/decisions", {**OK, **extra}, role, sub)
    assert r.status_code == 200, r.text
    return r


async def test_a_promotion_is_walked_from_the_answers_alone(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    r = await decide(api, pid, "supervisor", rec["supervisor_nip"])
    assert r.json()["pending"]["step"] == "promotion_board" and r.headers["ETag"]
    r = await decide(api, pid, "promotion_board", "b")
    assert r.json()["pending"]["step"] == "agency_hr"
    r = await decide(api, pid, "agency_hr", "h")
    # The answer that opens BKN's step names the review and its reviewer: no read needed.
    pending = r.json()["pending"]
    assert pending["step"] == "bkn_technical_approval" and pending["review_id"]
    assert len(pending["reviewers"]) == 1
    rid, reviewer = pending["review_id"], pending["reviewers"][0]
    r = await api.post(
        f"/v1/reviews/{rid}/conflict-declarations", {"has_conflict": False}, "reviewer", reviewer
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "open" and body["seats"][0]["status"] == "declared"
    assert body["process"] == {
        "process_id": pid,
        "status": "in_progress",
        "stage": "bkn_technical_approval",
        "pending_step": "bkn_technical_approval",
        "pending_role": "bkn",
    }
    r = await api.post(
        f"/v1/reviews/{rid}/verdicts",
        {"verdict": "approve", "justification": "pertek: file verified"},
        "reviewer",
        reviewer,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    # The verdict's answer: the review concluded and the promotion already at its next step.
    assert body["status"] == "concluded" and body["outcome"] == "approve"
    assert body["process"]["pending_step"] == "appointing_authority"
    r = await decide(api, pid, "appointing_authority", "ppk", decree_number="800/KP/A/1")
    assert r.json()["status"] == "completed" and r.json()["pending"] is None
    # What the answers said is what a read says.
    read = (await api.get(f"/v1/promotions/{pid}")).json()
    assert read["status"] == "completed" and read["decree"]["number"] == "800/KP/A/1"
    review = (await api.get(f"/v1/reviews/{rid}", "admin", None)).json()
    assert review["status"] == "concluded" and review["seats"][0]["verdict"] == "approve"
    # The decree's answer came after the API wrote its entries and told the run so: the run
    # ended on that signal, with no write of its own after the last update.
    handle = dev_env.client.get_workflow_handle(pid)
    await handle.result()
    events = (await handle.fetch_history()).events
    assert activities_after_last_update(events) == 0
    # The run ended on that signal; a step that waited longer than handed.CONFIRM_AFTER_S for
    # the next may have been told the same way before.
    assert signal_names(events)[-1:] == ["ledger_written"]
    assert set(signal_names(events)) == {"ledger_written"}


async def test_a_decision_nobody_follows_is_confirmed_to_its_run(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    """No next decision comes to tell the run that the API wrote the entries it was handed, so
    the API tells it (a signal, a little after its answer): the run's catch-up wait ends there,
    its timer cancelled before it fires, and no activity writes the entries again."""
    rec = await new_employee(api)
    pid = await started(api, rec)
    await decide(api, pid, "supervisor", rec["supervisor_nip"])
    handle = dev_env.client.get_workflow_handle(pid)
    catch_up = LEDGER_CATCH_UP.total_seconds()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while True:  # until the catch-up timer, started by the decision, is cancelled
        events = (await handle.fetch_history()).events
        timer = next(
            (
                e.timer_started_event_attributes.timer_id
                for e in events
                if e.HasField("timer_started_event_attributes")
                and e.timer_started_event_attributes.start_to_fire_timeout.ToSeconds() == catch_up
            ),
            None,
        )
        cancelled = {
            e.timer_canceled_event_attributes.timer_id
            for e in events
            if e.HasField("timer_canceled_event_attributes")
        }
        if timer is not None and timer in cancelled:
            break
        assert loop.time() < deadline, "the catch-up timer was never cancelled"
        await asyncio.sleep(0.5)
    assert not any(e.HasField("timer_fired_event_attributes") for e in events)
    assert signal_names(events) == ["ledger_written"]
    assert activities_after_last_update(events) == 0
    read = (await api.get(f"/v1/promotions/{pid}")).json()
    assert read["pending"]["step"] == "promotion_board"


async def test_an_answer_and_a_read_of_the_same_state_carry_the_same_version(api: Api) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    r = await decide(api, pid, "supervisor", rec["supervisor_nip"])
    read = await api.get(f"/v1/promotions/{pid}")
    assert read.headers["ETag"] == r.headers["ETag"]


async def test_a_wait_returns_when_someone_else_moves_the_promotion(api: Api) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    first = await api.get(f"/v1/promotions/{pid}")
    tag = first.headers["ETag"]

    async def waiting() -> tuple[httpx.Response, float]:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        headers = {**api.auth("auditor", "reader"), "If-None-Match": tag}
        r = await api.http.get(f"/v1/promotions/{pid}?wait=30s", headers=headers)
        return r, loop.time() - t0

    waiter = asyncio.create_task(waiting())
    await asyncio.sleep(0.2)
    assert not waiter.done()  # nothing changed yet: the read is still waiting
    await decide(api, pid, "supervisor", rec["supervisor_nip"])
    r, took = await waiter
    assert r.status_code == 200 and r.headers["ETag"] != tag
    assert r.json()["pending"]["step"] == "promotion_board"
    assert took < 30  # it answered on the change, not at the deadline


async def test_an_unchanged_wait_ends_at_its_bound(api: Api) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    tag = (await api.get(f"/v1/promotions/{pid}")).headers["ETag"]
    headers = {**api.auth("auditor", "reader"), "If-None-Match": tag}
    r = await api.http.get(f"/v1/promotions/{pid}?wait=200ms", headers=headers)
    assert r.status_code == 304 and r.headers["ETag"] == tag
    r = await api.get(f"/v1/promotions/{pid}?wait=0.2&after={tag.strip(chr(34))}")
    assert r.status_code == 200 and r.headers["ETag"] == tag
    # A version that is not the current one answers at once, whatever the wait.
    r = await api.get(f'/v1/promotions/{pid}?wait=30s&after="stale"')
    assert r.status_code == 200 and r.json()["id"] == pid


@pytest.mark.parametrize("wait", ["31s", "abc", "-1s", "5m", "30001ms"])
async def test_a_bad_wait_is_refused(api: Api, wait: str) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    r = await api.get(f"/v1/promotions/{pid}?wait={wait}")
    assert r.status_code == 422 and r.json()["error"] == "invalid_wait"
    r = await api.get(f"/v1/reviews/anything?wait={wait}", "admin", None)
    assert r.status_code == 422 and r.json()["error"] == "invalid_wait"


async def test_a_review_read_waits_for_another_reviewers_move(api: Api) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    await decide(api, pid, "supervisor", rec["supervisor_nip"])
    await decide(api, pid, "promotion_board", "b")
    pending = (await decide(api, pid, "agency_hr", "h")).json()["pending"]
    rid, reviewer = pending["review_id"], pending["reviewers"][0]
    tag = (await api.get(f"/v1/reviews/{rid}", "admin", None)).headers["ETag"]

    async def waiting() -> httpx.Response:
        return await api.get(f"/v1/reviews/{rid}?wait=30s&after={tag}", "admin", None)

    waiter = asyncio.create_task(waiting())
    await asyncio.sleep(0.2)
    r = await api.post(
        f"/v1/reviews/{rid}/conflict-declarations", {"has_conflict": False}, "reviewer", reviewer
    )
    assert r.status_code == 200
    seen = await waiter
    assert seen.status_code == 200 and seen.headers["ETag"] != tag
    assert seen.json()["seats"][0]["status"] == "declared"


async def test_openapi_documents_the_wait(api: Api) -> None:
    doc = (await api.http.get("/openapi.json")).json()
    for path in ("/v1/promotions/{process_id}", "/v1/reviews/{review_id}"):
        op = doc["paths"][path]["get"]
        names = {p["name"] for p in op["parameters"]}
        assert {"wait", "after", "if-none-match"} <= names
        assert "at most `30s`" in op["description"] and "asyncio" in op["description"]
        assert "304" in op["responses"] and "422" in op["responses"]

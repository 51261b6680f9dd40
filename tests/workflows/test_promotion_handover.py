"""A decision's entries handed to its caller (workflows/ledgered.py, actions/handed.py): the
caller writes them, remembers what it wrote, and says so with its next update, which then hands
over only what is new; a caller that never writes loses nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from actions import handed
from actions.services import Services
from domain.enums import Decision, PromotionStatus, Step
from store import ledger, repositories
from tests.conftest import employee, put_employee
from tests.helpers.promotion_workflow import (
    activities_after_last_update,
    actor,
    confirm_written,
    decide,
    kinds,
    pertek_approved,
    signal_names,
    start,
    wait_pending,
    worker,
    write_handed,
)
from workflows import policies
from workflows.contracts import DecisionInput
from workflows.promotion import PromotionWorkflow

__all__ = ["worker"]  # the fixture


def decision(who_role: str, sub: str, through: list[str]) -> DecisionInput:
    return DecisionInput(
        actor=actor(who_role, sub),
        decision=Decision.APPROVE,
        justification="checked the file",
        written_through=through,
    )


@pytest.mark.usefixtures("worker")
async def test_the_caller_writes_remembers_and_is_handed_only_what_is_new(
    ts_env, settings, sessions
) -> None:
    services = Services(settings=settings, sessions=sessions, client=ts_env.client)
    rec = employee()
    await put_employee(sessions, rec)
    h = await start(ts_env, settings, rec)
    await wait_pending(h, Step.SUPERVISOR)
    through = await handed.written_through(services, h.id)  # nothing remembered: the ledger's
    first = await h.execute_update(
        PromotionWorkflow.decide, decision("supervisor", rec["supervisor_nip"], through)
    )
    mine = [i.entry.entry_id for i in first.ledger if i.entry.kind == "promotion.decision"]
    assert len(mine) == 1
    await handed.record(services, first.ledger, run=h.id)
    # What this process wrote last is what the ledger holds newest, asked or remembered.
    remembered = await handed.written_through(services, h.id)
    async with sessions() as s:
        assert remembered == mine == await ledger.newest_entry_ids(s, [h.id])
    second = await h.execute_update(
        PromotionWorkflow.decide, decision("promotion_board", "board", remembered)
    )
    assert [i.entry.kind for i in second.ledger] == ["promotion.decision"]
    assert mine[0] not in {i.entry.entry_id for i in second.ledger}
    # This caller dies before writing: the workflow writes the decision itself, 10 s later.
    await ts_env.sleep(policies.LEDGER_CATCH_UP + timedelta(seconds=1))
    for _ in range(1200):
        if (await kinds(sessions, h.id)).count("promotion.decision") == 2:
            break
        await ts_env.sleep(timedelta(milliseconds=50))
    assert (await kinds(sessions, h.id)).count("promotion.decision") == 2
    async with sessions() as s:
        assert (await ledger.verify(s, h.id)).ok
    await services.close()


async def _to_the_decree(ts_env: Any, settings: Any, sessions: Any, rec: dict[str, Any]) -> Any:
    h = await start(ts_env, settings, rec)
    await wait_pending(h, Step.SUPERVISOR)
    await decide(h, actor("supervisor", rec["supervisor_nip"]), sessions=sessions)
    await decide(h, actor("promotion_board"), sessions=sessions)
    await decide(h, actor("agency_hr"), sessions=sessions)
    await pertek_approved(ts_env, h)  # its answers left unwritten: the last caller's tail has them
    return h


@pytest.mark.usefixtures("worker")
@pytest.mark.parametrize("caller_confirms", [True, False])
async def test_the_last_caller_ends_the_run_or_the_run_writes_its_end_itself(
    ts_env, settings, sessions, caller_confirms: bool
) -> None:
    """The decree's caller writes what it was handed and says so: the run ends on that signal,
    with no write of its own. A caller that dies before saying so costs the run its catch-up
    wait, after which it writes its end itself; the ledger is whole either way."""
    rec = employee()
    await put_employee(sessions, rec)
    h = await _to_the_decree(ts_env, settings, sessions, rec)
    ppk = actor("appointing_authority", "ppk")
    answer = await h.execute_update(
        PromotionWorkflow.decide,
        DecisionInput(
            actor=ppk,
            decision=Decision.APPROVE,
            justification="signed",
            decree_number="800/KP/1",
        ),
    )
    assert answer.ending and answer.state.status is PromotionStatus.COMPLETED
    assert {"promotion.decision", "promotion.review_concluded"} <= {
        i.entry.kind for i in answer.ledger
    }
    if caller_confirms:
        await write_handed(sessions, answer)
        await confirm_written(h, answer)
    assert (await h.result()).status is PromotionStatus.COMPLETED
    events = (await h.fetch_history()).events
    assert len(signal_names(events)) == int(caller_confirms)
    assert activities_after_last_update(events) == int(not caller_confirms)
    k = await kinds(sessions, h.id)
    assert k.count("promotion.decision") == 4 and k[-1] == "promotion.decision"
    async with sessions() as s:
        assert (await ledger.verify(s, h.id)).ok
        row = await repositories.get_promotion(s, h.id)
    assert row is not None and row.status == "completed"

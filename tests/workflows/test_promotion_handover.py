"""A decision's entries handed to its caller (workflows/ledgered.py, actions/handed.py): the
caller writes them, remembers what it wrote, and says so with its next update, which then hands
over only what is new; a caller that never writes loses nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions import handed
from actions.services import Services
from domain.enums import Decision, Step
from store import ledger
from tests.conftest import employee, put_employee
from tests.helpers.promotion_workflow import actor, kinds, start, wait_pending, worker
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
    await handed.record(services, first.ledger)
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

"""A talent review driven through the action pipeline, as the API and the console drive it.

Used by the workflow test, the history capture and the benchmark: every step is an action of
``actions/talent`` performed by a principal (so refusals are ledgered exactly as in production),
against whatever Temporal client and database the caller set up.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.service import RPCError

from actions.employees import csv_body
from actions.pipeline import Action, perform
from actions.requests import Request
from actions.services import Services
from actions.talent import people, records, reviews
from domain.errors import DomainError
from domain.ledger import Actor
from domain.review import Verdict
from domain.talent.records import TalentRecord
from infra.tokens import Principal
from store.talent import reviews as review_rows
from tests.helpers.talent import CUTOFF, committee, to_csv
from workflows.contracts import DeclarationInput, ReviewState, VerdictInput
from workflows.review import ThirdPartyReviewWorkflow

HR_SUB = "hr-talent"


class TalentRun:
    def __init__(self, services: Services, agency: str, code: str | None = None) -> None:
        self.services, self.agency = services, agency
        self.code = code or f"TR{uuid.uuid4().hex[:8]}"
        self.prefix = self.code.lower()
        self.id = f"talent-review-{agency}-{self.code}"

    def who(self, role: str, sub: str = HR_SUB) -> Principal:
        return Principal(sub=sub, role=role, agency=self.agency)

    def member(self, i: int) -> Principal:
        return self.who("talent_committee", f"{self.prefix}-c{i}")

    async def act(
        self,
        action: Action[Any, Any],
        principal: Principal,
        body: dict[str, Any] | bytes,
        process_id: str | None = None,
    ) -> Any:
        done = await perform(
            self.services,
            action,
            principal,
            process_id=process_id if process_id is not None else self.id,
            body=body,
            request=Request(id=uuid.uuid4().hex),
        )
        result: BaseModel = done.result
        return result

    async def refused(
        self,
        action: Action[Any, Any],
        principal: Principal,
        body: dict[str, Any],
        process_id: str | None = None,
    ) -> str:
        try:
            await self.act(action, principal, body, process_id)
        except DomainError as err:
            return err.code
        raise AssertionError(f"{action.name} was not refused")

    async def import_records(self, found: list[TalentRecord]) -> int:
        result = await self.act(records.IMPORT, self.who("agency_hr"), csv_body(to_csv(found)), "")
        return int(result.imported)

    async def start(
        self, rulebook: str | None = "BKN-TM-2025.2-training", **population: Any
    ) -> Any:
        """Start the review on ``rulebook`` (None: the rulebook in force)."""
        body = {
            "code": self.code,
            "title": "Talent review of administrators",
            "population": {
                "agencies": [self.agency],
                "position_levels": ["administrator", "ahli_madya"],
                **population,
            },
            "cutoff_date": CUTOFF.isoformat(),
            "rulebook_version": rulebook,
            "committee": [m.model_dump(mode="json") for m in committee(self.prefix)],
        }
        return await self.act(reviews.START, self.who("agency_hr"), body, None)

    async def row(self) -> Any:
        async with self.services.sessions() as session:
            return await review_rows.get(session, self.id)

    async def until(self, stage: str, timeout: float = 300) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        row = None
        while asyncio.get_running_loop().time() < deadline:
            row = await self.row()
            if row is not None and row.stage == stage:
                return row
            await asyncio.sleep(0.1)
        raise AssertionError(f"never reached {stage}: {row and row.stage}")

    async def declare_all(self, conflicts: dict[int, list[str]] | None = None) -> None:
        for i in range(3):
            listed = (conflicts or {}).get(i, [])
            body = {"conflicted": listed, "reason": "declared at the calibration meeting"}
            await self.act(people.DECLARE, self.member(i), body)


async def review_verdict(client: Client, review_id: str, verdict: Verdict) -> None:
    """The oversight body's reviewers declare no conflict and give ``verdict`` until it concludes."""
    handle = client.get_workflow_handle(review_id)
    deadline = asyncio.get_running_loop().time() + 120
    state: ReviewState | None = None
    while asyncio.get_running_loop().time() < deadline:
        try:
            state = await handle.query(ThirdPartyReviewWorkflow.state)
        except RPCError:
            state = None
        if state is not None and state.status == "open" and state.seats:
            break
        await asyncio.sleep(0.05)
    assert state is not None and state.status == "open", state
    for seat in state.seats:
        if (await handle.query(ThirdPartyReviewWorkflow.state)).status != "open":
            break
        actor = Actor(id=seat.reviewer_id, role="reviewer")
        await handle.execute_update(
            ThirdPartyReviewWorkflow.declare, DeclarationInput(actor=actor, has_conflict=False)
        )
        await handle.execute_update(
            ThirdPartyReviewWorkflow.verdict,
            VerdictInput(actor=actor, verdict=verdict, justification="checked the procedure"),
        )

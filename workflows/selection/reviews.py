"""The oversight body's reviews of the plan and of the shortlist, as child workflows.

Approval of the plan freezes the scoring scheme; a returned shortlist review sends the process back
to the stage the first finding names, keeping everything recorded so far.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import is_cancelled_exception
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from domain import reasons
    from domain.ledger import Actor
    from domain.review import Finding, SubjectType, Verdict
    from domain.selection.stages import OVERSIGHT_RETURN_TARGETS, TERMINAL, Stage
    from workflows.contracts import ReviewRequest, ReviewState, review_workflow_id
    from workflows.review import ThirdPartyReviewWorkflow

from workflows.selection.assessment import AssessmentMixin
from workflows.selection.base import SYSTEM


async def _outcome(child: workflow.ChildWorkflowHandle[Any, ReviewState]) -> ReviewState:
    return await child


class ReviewMixin(AssessmentMixin):
    async def _review(self, subject: SubjectType) -> None:
        plan = subject is SubjectType.SELECTION_PLAN
        review_id, request = self._review_request(subject)
        tag = "plan" if plan else "shortlist"
        stage = self._stage
        async with self._lock:
            if self._stage is not stage:
                return  # cancelled before the review could be requested
            task = await self._start_review(tag, review_id, request)
        try:
            result = await task
        except BaseException as err:
            if is_cancelled_exception(err) and self._stage is Stage.CANCELLED:
                return  # cancel() ended the selection while the review was open
            raise
        finally:
            self._review_task = None
        async with self._lock:
            if self._stage not in TERMINAL:
                await self._concluded(tag, review_id, result)

    def _review_request(self, subject: SubjectType) -> tuple[str, ReviewRequest]:
        inp, rb = self._require()
        info = workflow.info()
        if subject is SubjectType.SELECTION_PLAN:
            self._plan_reviews += 1
            review_id = review_workflow_id("plan", info.workflow_id, self._plan_reviews)
            self._plan_review_id = review_id
            persons = [m.id for m in self._panel]
        else:
            self._shortlist_reviews += 1
            review_id = review_workflow_id("shortlist", info.workflow_id, self._shortlist_reviews)
            self._shortlist_review_id = review_id
            persons = [r.applicant_id for r in self._shortlist]
        request = ReviewRequest(
            subject_type=subject,
            subject_id=info.workflow_id,
            subject_persons=persons,
            parent_process_id=info.workflow_id,
            agency=inp.agency,
            body_code=inp.oversight_body,
            # No post level: the accreditation a post level asks for is the assessment centre's,
            # not the oversight body's.
            rule=rb.review_rule(subject),
            rulebook_version=rb.version,
            requested_by=Actor(id=info.workflow_id, role="system"),
        )
        return review_id, request

    async def _start_review(
        self, tag: str, review_id: str, request: ReviewRequest
    ) -> asyncio.Task[ReviewState]:
        """Start the child under the lock, so cancel() (which takes it) always sees the task."""
        inp, _ = self._require()
        requested: dict[str, Any] = {"review_id": review_id, "body": inp.oversight_body}
        task: asyncio.Task[ReviewState]
        if self._ledger.durable:
            # Recorded once the review exists: the entry never names a review that a crash kept
            # from starting.
            child = await workflow.start_child_workflow(
                ThirdPartyReviewWorkflow.run,
                request,
                id=review_id,
                parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
            )
            await self._append(f"{tag}.review_requested", SYSTEM, self._stage, payload=requested)
            task = asyncio.create_task(_outcome(child))
        else:
            await self._append(f"{tag}.review_requested", SYSTEM, self._stage, payload=requested)
            task = asyncio.create_task(
                workflow.execute_child_workflow(
                    ThirdPartyReviewWorkflow.run,
                    request,
                    id=review_id,
                    parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
                )
            )
        self._review_task = task
        return task

    async def _concluded(self, tag: str, review_id: str, result: ReviewState) -> None:
        inp, _ = self._require()
        self._findings = list(result.findings)
        payload = {
            "review_id": review_id,
            "outcome": result.outcome.value if result.outcome else None,
            "findings": [f.model_dump() for f in result.findings],
            "automatic": result.automatic,
        }
        actor = Actor(id=f"review:{review_id}", role="reviewer", on_behalf_of=inp.oversight_body)
        kind = f"{tag}.review_concluded"
        plan = tag == "plan"
        if result.outcome is None or result.outcome is Verdict.REJECT:
            why = result.reason or reasons.REJECTED_BY_BODY
            failed = reasons.PLAN_REVIEW_FAILED if plan else reasons.SHORTLIST_REVIEW_FAILED
            reason = failed.format(why=why)
            await self._fail(kind, reason, payload, actor)
        elif result.outcome is Verdict.APPROVE:
            if plan:
                self._frozen = True
                after = Stage.SCREENING if self._registered else Stage.ANNOUNCEMENT
                await self._move(after, kind, actor, payload=payload | {"scheme_frozen": True})
            else:
                await self._move(Stage.APPOINTMENT, kind, actor, payload=payload)
        else:
            self._return_count += 1
            target = Stage.PLANNING if plan else _return_target(result.findings)
            await self._return_to(target, kind, actor, payload)

    async def _return_to(
        self, target: Stage, kind: str, actor: Actor, payload: dict[str, Any]
    ) -> None:
        if target is Stage.PLANNING:
            self._frozen = False
        if target in (Stage.PLANNING, Stage.SCREENING, Stage.ASSESSMENT):
            # Scores stay; components reopen so that what the findings name can be corrected.
            self._components = dict.fromkeys(self._components, "pending")
        if target is Stage.ASSESSMENT:
            self._components = dict.fromkeys(self._components, "open")
        self._votes, self._plenary = {}, None
        if target is not Stage.SHORTLIST:
            self._shortlist, self._ranked_digest = [], None
        await self._move(target, kind, actor, payload=payload | {"returned_to": target.value})
        if target is Stage.SHORTLIST:
            await self._propose_shortlist()


def _return_target(findings: list[Finding]) -> Stage:
    for f in findings:
        if f.return_to_stage in {s.value for s in OVERSIGHT_RETURN_TARGETS}:
            return Stage(f.return_to_stage)
    return Stage.SHORTLIST

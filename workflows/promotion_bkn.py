"""BKN's technical approval (pertek) of a promotion: how the promotion workflow runs that step.

New runs run the review inside the promotion (``workflows/promotion_review.py``): the reviewer is
drawn from the roster the start carried (or read once), declarations and verdicts are updates of
the promotion (``review_declare``, ``review_verdict``), the review's timers are the promotion's, and
its ``review.*`` entries go through the promotion's Outbox. Runs from before that patch run it as a
child ThirdPartyReviewWorkflow (``workflows/promotion_child_review.py``) and keep doing so.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import RosterRequest
    from activities.reviews import RosterActivities
    from domain import reasons
    from domain.calendar import WorkingCalendar
    from domain.enums import Decision, PromotionStatus, Step
    from domain.errors import WrongStage
    from domain.ledger import Actor
    from domain.review import RosterSnapshot, SubjectType, Verdict
    from domain.rulebook import StepRule
    from workflows import policies
    from workflows.contracts import (
        DecisionInput,
        DeclarationInput,
        ReviewAnswer,
        ReviewRequest,
        ReviewState,
        VerdictInput,
        embedded_review_id,
        review_workflow_id,
    )
    from workflows.errors import check, refused
    from workflows.promotion_child_review import child_review
    from workflows.promotion_core import PromotionCore
    from workflows.promotion_review import EmbeddedReview
    from workflows.promotion_steps import SYSTEM, technical_review_rule

VERDICT_TO_DECISION = {
    Verdict.APPROVE: Decision.APPROVE,
    Verdict.RETURN: Decision.RETURN,
    Verdict.REJECT: Decision.REJECT,
}


class BknReview(PromotionCore):
    async def _technical_review(self, calendar: WorkingCalendar) -> None:
        """BKN's pertek as a child review (runs from before the embedded review)."""
        inp, rb = self._require()
        pending = self._pending
        assert pending is not None
        self._reviews += 1
        review_id = review_workflow_id("pertek", workflow.info().workflow_id, self._reviews)
        pending.review_id = review_id
        payload = {"review_id": review_id, "body": inp.technical_approval_body}
        result = await child_review(
            self._review_request(rb.step_rule(Step.BKN_TECHNICAL_APPROVAL)),
            review_id,
            durable=self._trail.outbox.durable,
            announce=lambda: self._append(
                "promotion.review_requested", SYSTEM, self._stage, payload=payload
            ),
        )
        await self._review_concluded(review_id, result, calendar)

    async def _review_concluded(
        self, review_id: str, result: ReviewState, calendar: WorkingCalendar
    ) -> None:
        """The review's outcome as this step's decision (or the promotion's failure)."""
        inp, _ = self._require()
        if result.outcome is None:
            reason = reasons.PERTEK_UNREVIEWED.format(why=result.reason)
            await self._finish(
                PromotionStatus.FAILED,
                "failed",
                reason,
                "promotion.failed",
                SYSTEM,
                payload={"review_id": review_id},
            )
            return
        body = inp.technical_approval_body
        decision = DecisionInput(
            actor=Actor(id=f"review:{review_id}", role="bkn", on_behalf_of=body),
            decision=VERDICT_TO_DECISION[result.outcome],
            justification=f"Third-party review {review_id} by {body}: {result.reason}",
            corrections=[f.what for f in result.findings],
        )
        extra = {"review_id": review_id, "automatic": result.automatic}
        await self._apply_decision(
            decision, None, calendar, kind="promotion.review_concluded", extra=extra
        )

    async def _embedded_review(self, calendar: WorkingCalendar) -> None:
        """BKN's pertek as this workflow's sub-state: assigned, declared, decided and timed here."""
        inp, rb = self._require()
        pending = self._pending
        assert pending is not None
        self._reviews += 1
        review_id = embedded_review_id(workflow.info().workflow_id, self._reviews)
        pending.review_id = review_id
        payload = {"review_id": review_id, "body": inp.technical_approval_body, "embedded": True}
        await self._append("promotion.review_requested", SYSTEM, self._stage, payload=payload)
        request = self._review_request(rb.step_rule(Step.BKN_TECHNICAL_APPROVAL))
        review = EmbeddedReview.create(
            review_id,
            request,
            await self._load_roster(request),
            now=workflow.now(),
            calendar=calendar,
            rng=workflow.random(),
        )
        self._review = review
        review.open()
        await self._trail.review(review)
        while review.status == "open" and review.outcome is None:
            fire_at, event = review.next_timer()
            done = lambda: review.outcome is not None or self._roster_changed  # noqa: E731
            try:
                if fire_at is None:
                    await workflow.wait_condition(done)
                else:
                    timeout = max((fire_at - workflow.now()).total_seconds(), 0.0)
                    await workflow.wait_condition(done, timeout=timeout)
            except TimeoutError:
                review.on_timer(event)
                await self._trail.review(review)
                continue
            if review.outcome is None and self._roster_changed:
                # The body's roster changed while seats were empty: read it again, fill them.
                self._roster_changed, self._roster = False, None
                review.refill(await self._load_roster(request, fresh=True))
                await self._trail.review(review)
        if review.outcome is not None:
            review.conclude()
            await self._trail.review(review)
        await self._review_concluded(review_id, review.state(), calendar)
        review.applied = True
        self._review = None

    async def _load_roster(self, request: ReviewRequest, *, fresh: bool = False) -> RosterSnapshot:
        """The body's roster: as the start gave it, or read once per run (again when ``fresh``)."""
        given = None if fresh else self._require()[0].review_roster
        usable = given is not None and given.body_code == request.body_code
        if self._roster is None and given is not None and usable and given.reviewers:
            # A start that found no body or an empty roster is read again when the step opens.
            self._roster = given
        if self._roster is None:
            self._roster = await workflow.execute_activity_method(
                RosterActivities.load_review_roster,
                RosterRequest(body_code=request.body_code, persons=request.subject_persons),
                start_to_close_timeout=policies.RECORD_TIMEOUT,
                retry_policy=policies.RECORD_RETRY,
            )
        return self._roster

    def _review_request(self, step: StepRule) -> ReviewRequest:
        inp, rb = self._require()
        record = self._record
        persons = [inp.nip] + ([record.supervisor_nip] if record and record.supervisor_nip else [])
        return ReviewRequest(
            subject_type=SubjectType.PROMOTION_TECHNICAL_APPROVAL,
            subject_id=workflow.info().workflow_id,
            subject_persons=persons,
            parent_process_id=workflow.info().workflow_id,
            agency=inp.agency,
            body_code=inp.technical_approval_body,
            rule=technical_review_rule(rb, step),
            rulebook_version=rb.version,
            requested_by=Actor(id=workflow.info().workflow_id, role="system"),
        )

    # ---- BKN's review inside the promotion -----------------------------------------------------

    def _open_review(self) -> EmbeddedReview:
        if self._review is None or self._review.status != "open":
            raise refused(WrongStage("No review is open on this promotion.", code="review_closed"))
        return self._review

    @workflow.signal
    def review_roster_changed(self) -> None:
        """The review body's roster changed: an open review short of reviewers fills its seats."""
        review = self._review
        if review is not None and review.status == "open" and review.short_of_reviewers():
            self._roster_changed = True

    @workflow.update
    async def review_declare(self, d: DeclarationInput) -> ReviewAnswer:
        outbox = self._trail.outbox
        outbox.confirm(d.written_through)
        with outbox.handling():
            review = self._open_review()
            check(lambda: review.declare(d))
            await self._trail.review(review)
        return await self._review_answer(review)

    async def _review_answer(self, review: EmbeddedReview) -> ReviewAnswer:
        """The review and the promotion as they stand, with what the caller writes (or, in runs
        from before entries were handed over, once they are written)."""
        outbox = self._trail.outbox
        if not outbox.handover:
            await outbox.settled()
        return ReviewAnswer(
            review=review.state(),
            promotion=self._answer_state(),
            ledger=outbox.tail(),
            ending=self._ending(),
        )

    @review_declare.validator
    def _validate_review_declare(self, d: DeclarationInput) -> None:
        check(lambda: self._open_review().check_declare(d))

    @workflow.update
    async def review_verdict(self, v: VerdictInput) -> ReviewAnswer:
        self._trail.outbox.confirm(v.written_through)
        with self._trail.outbox.handling():
            review = self._open_review()
            check(lambda: review.verdict(v))
            await self._trail.review(review)
            if review.outcome is not None:
                # Answer with the promotion already at the step that follows the review.
                await workflow.wait_condition(lambda: review.applied)
        return await self._review_answer(review)

    @review_verdict.validator
    def _validate_review_verdict(self, v: VerdictInput) -> None:
        check(lambda: self._open_review().check_verdict(v))

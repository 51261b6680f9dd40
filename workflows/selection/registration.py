"""Announcement and registration: the window's timers, its count at closing, its extensions."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.selection_contracts import CloseRegistration, PrecheckRequest
    from activities.selections import SelectionActivities
    from domain.selection.plan import require_not_announced
    from domain.selection.registration import (
        RegistrationDecision,
        RegistrationWindow,
        announced_window,
        explain_registration_decision,
        extended,
    )
    from domain.selection.seats import require_planner
    from domain.selection.stages import Stage, require_stage
    from workflows import policies
    from workflows.selection_contracts import AnnounceInput, SelectionState

from workflows.selection.base import SYSTEM, SelectionBase


class RegistrationMixin(SelectionBase):
    @workflow.update
    async def announce(self, inp: AnnounceInput) -> SelectionState:
        async with self._turn():
            with self._rechecking():
                self._check_announce(inp)
            window = self._announced(inp)
            self._window = window
            body: dict[str, Any] = {
                "post": self._require()[0].post_title,
                "opens": window.opens.isoformat(),
                "closes": window.closes.isoformat(),
                "closes_at": window.closes_at.isoformat(),
                "text": inp.text,
            }
            announcement = self._announcement("announcement", "Vacancy announced", body)
            if window.opens_at <= workflow.now():
                await self._move(
                    Stage.REGISTRATION,
                    "registration.opened",
                    inp.actor,
                    payload=body,
                    announcement=announcement,
                )
            else:
                await self._append(
                    "vacancy.announced",
                    inp.actor,
                    self._stage,
                    payload=body,
                    announcement=announcement,
                )
        return self._snapshot()

    @announce.validator
    def _check_announce(self, inp: AnnounceInput) -> None:
        self._check(lambda: require_stage(self._stage, Stage.ANNOUNCEMENT, "announce the vacancy"))
        self._check(lambda: require_planner(inp.actor, self._seat(inp.actor), self._role_required))
        self._check(lambda: require_not_announced(self._window is not None))
        self._check(lambda: self._validate_window(inp))

    def _validate_window(self, inp: AnnounceInput) -> None:
        self._announced(inp)

    def _announced(self, inp: AnnounceInput) -> RegistrationWindow:
        _, rb = self._require()
        return announced_window(
            rb,
            opens=inp.opens,
            closes=inp.closes,
            opens_at=inp.opens_at,
            closes_at=inp.closes_at,
            now=workflow.now(),
        )

    async def _until_opening(self) -> None:
        assert self._window is not None
        wait = (self._window.opens_at - workflow.now()).total_seconds()
        if wait > 0:
            try:
                await workflow.wait_condition(
                    lambda: self._stage is not Stage.ANNOUNCEMENT, timeout=wait
                )
                return
            except TimeoutError:
                pass
        async with self._lock:
            if self._stage is Stage.ANNOUNCEMENT:
                await self._move(Stage.REGISTRATION, "registration.opened", SYSTEM)

    async def _registration(self) -> None:
        closes_at = self._closes_at()
        assert closes_at is not None
        wait = (closes_at - workflow.now()).total_seconds()
        try:
            await workflow.wait_condition(
                lambda: self._stage is not Stage.REGISTRATION, timeout=max(wait, 0.0)
            )
            return
        except TimeoutError:
            pass
        async with self._lock:
            if self._stage is Stage.REGISTRATION:
                await self._close_registration()

    async def _close_registration(self) -> None:
        """Count the applicants and extend, fail or go on to screening, as the rulebook says."""
        _, rb = self._require()
        window = self._window
        assert window is not None
        longer = extended(window, rb)
        result = await self._gate(
            SelectionActivities.close_registration,
            CloseRegistration(
                process_id=workflow.info().workflow_id,
                rulebook_version=rb.version,
                extensions=self._extensions,
                closes=window.closes,
                extended_closes_at=longer.closes_at,
                closes_at=window.closes_at,
            ),
        )
        self._applicants = result.applicants
        decision = RegistrationDecision(result.decision)
        sentence = explain_registration_decision(result.applicants, self._extensions, rb)
        payload = {"applicants": result.applicants, "decision": decision.value}
        if decision is RegistrationDecision.EXTEND:
            await self._extend(longer, payload, sentence)
        elif decision is RegistrationDecision.FAIL:
            await self._fail("registration.failed", sentence, payload)
        else:
            await self._to_screening(window, payload, sentence)

    async def _extend(
        self, window: RegistrationWindow, payload: dict[str, Any], sentence: str
    ) -> None:
        self._extensions += 1
        self._window = window
        closes = {"closes": window.closes.isoformat(), "closes_at": window.closes_at.isoformat()}
        await self._append(
            "registration.extended",
            SYSTEM,
            self._stage,
            payload=payload | closes | {"extension": self._extensions},
            justification=sentence,
            announcement=self._announcement(
                f"registration-extended-{self._extensions}",
                "Registration extended",
                {
                    "applicants": payload["applicants"],
                    **closes,
                    "extension": self._extensions,
                    "reason": sentence,
                },
            ),
        )

    async def _to_screening(
        self, window: RegistrationWindow, payload: dict[str, Any], sentence: str
    ) -> None:
        inp, rb = self._require()
        self._registered = True
        await self._move(
            Stage.SCREENING,
            "registration.closed",
            SYSTEM,
            payload=payload,
            justification=sentence,
            announcement=self._announcement(
                "registration-closed",
                "Registration closed",
                {"applicants": payload["applicants"], "outcome": sentence},
            ),
        )
        pre = await workflow.execute_activity_method(
            SelectionActivities.precheck,
            PrecheckRequest(
                process_id=workflow.info().workflow_id,
                post_level=inp.post_level,
                rulebook_version=rb.version,
                closing_date=window.closes,
            ),
            start_to_close_timeout=policies.BULK_TIMEOUT,
            retry_policy=policies.RECORD_RETRY,
        )
        self._eligible = pre.eligible
        await self._append(
            "screening.prechecked", SYSTEM, self._stage, payload=pre.model_dump(mode="json")
        )

"""Planning: the panel, the scoring scheme and the plan sent to the oversight body."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.selection_contracts import PanelMemberData
    from domain.selection.panel import validate_panel
    from domain.selection.plan import check_plan_complete, check_staffing
    from domain.selection.seats import require_planner
    from domain.selection.stages import Stage, require_stage
    from workflows.selection_contracts import ActorInput, PanelInput, SchemeInput, SelectionState

from workflows.selection.base import SelectionBase


class PlanningMixin(SelectionBase):
    @workflow.update
    async def set_panel(self, inp: PanelInput) -> SelectionState:
        async with self._turn():
            with self._rechecking():
                self._check_set_panel(inp)
            self._panel = list(inp.members)
            await self._append(
                "panel.set",
                inp.actor,
                self._stage,
                payload={"members": [m.model_dump(mode="json") for m in self._panel]},
                panel=[PanelMemberData(**m.model_dump(mode="json")) for m in self._panel],
            )
        return self._snapshot()

    @set_panel.validator
    def _check_set_panel(self, inp: PanelInput) -> None:
        _, rb = self._require()
        self._check(lambda: require_stage(self._stage, Stage.PLANNING, "set the panel"))
        self._check(lambda: require_planner(inp.actor, self._seat(inp.actor), self._role_required))
        self._check(lambda: validate_panel(inp.members, rb))

    @workflow.update
    async def set_scheme(self, inp: SchemeInput) -> SelectionState:
        async with self._turn():
            with self._rechecking():
                self._check_set_scheme(inp)
            self._scheme = inp.scheme
            self._scorers = {
                c.code: sorted(set(inp.scorers[c.code])) for c in inp.scheme.components
            }
            self._components = {c.code: "pending" for c in inp.scheme.components}
            await self._append(
                "scheme.set",
                inp.actor,
                self._stage,
                payload={"scheme": inp.scheme.model_dump(mode="json"), "scorers": self._scorers},
            )
        return self._snapshot()

    @set_scheme.validator
    def _check_set_scheme(self, inp: SchemeInput) -> None:
        self._check(lambda: require_stage(self._stage, Stage.PLANNING, "set the scoring scheme"))
        self._check(lambda: require_planner(inp.actor, self._seat(inp.actor), self._role_required))
        panel = [m.id for m in self._panel]
        self._check(lambda: check_staffing(inp.scheme, inp.scorers, panel))

    @workflow.update
    async def submit_plan(self, inp: ActorInput) -> SelectionState:
        async with self._turn():
            with self._rechecking():
                self._check_submit_plan(inp)
            await self._move(Stage.PLAN_REVIEW, "plan.submitted", inp.actor)
        return self._snapshot()

    @submit_plan.validator
    def _check_submit_plan(self, inp: ActorInput) -> None:
        self._check(lambda: require_stage(self._stage, Stage.PLANNING, "submit the plan"))
        self._check(lambda: require_planner(inp.actor, self._seat(inp.actor), self._role_required))
        panel = [m.id for m in self._panel]
        self._check(lambda: check_plan_complete(panel, self._scheme, self._scorers))

"""Side effects of the open selection: the ledger with the read model, and the stage gates.

Every method runs one transaction that first locks the ``selections`` row (then, where it appends, the
ledger head: the same order as the actions' direct writes, so the two never deadlock). The methods
that close a stage change the gate fields (never the stage: the workflow writes that with its view)
in the same transaction as they count, so an applicant, a screening decision or a score either lands
before the count or is refused after it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.ledger_items import append_items
from activities.selection_contracts import (
    AnnouncementData,
    CloseRegistration,
    ComponentCheck,
    ComponentRequest,
    PrecheckRequest,
    PrecheckResult,
    RecordSelection,
    RegistrationCount,
    ScreeningGate,
    ScreeningTally,
    SelectionRecords,
    ShortlistData,
    ShortlistRequest,
)
from domain.selection.explanation_models import ranking_digest
from domain.selection.ranking import rank, shortlist
from domain.selection.registration import RegistrationDecision, registration_decision
from domain.selection.rulebook import get_selection_rulebook
from domain.selection.scheme import ScoringScheme
from domain.selection.stages import Stage
from store import selections
from store.ledger_writer import Appended, LedgerWriter, writer_for

log = structlog.get_logger(__name__)


class SelectionActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writer: LedgerWriter | None = None
    ) -> None:
        self._sessions = sessions
        self._writer = writer or writer_for(sessions)

    @activity.defn(name="record_selection")
    async def record_selection(self, req: RecordSelection) -> int:
        """One entry (runs from before batches). Returns its seq."""
        return await append_items(self._writer, [req], before=_view, after=_effects)

    @activity.defn(name="record_selection_batch")
    async def record_selection_batch(self, req: SelectionRecords) -> int:
        """Entries in decision order with the read model (panel, announcements), together."""
        return await append_items(self._writer, req.items, before=_view, after=_effects)

    @activity.defn(name="selection_close_registration")
    async def close_registration(self, req: CloseRegistration) -> RegistrationCount:
        rb = get_selection_rulebook(req.rulebook_version)
        async with self._sessions() as session, session.begin():
            sel = await selections.lock(session, req.process_id)
            if sel.extensions > req.extensions:
                # A retry after this transaction extended the window: new registrations may have
                # come in since, so the count that decided is the one stored with it.
                return RegistrationCount(
                    applicants=sel.applicants, decision=RegistrationDecision.EXTEND.value
                )
            closes_at = req.closes_at or sel.registration_closes_at or req.extended_closes_at
            # Counted once, the window takes no registration: a retry counts the same applicants.
            count = await selections.close_registration(session, req.process_id, closes_at)
            decision = registration_decision(count, req.extensions, rb)
            if decision is RegistrationDecision.EXTEND:
                sel.registration_closes_at = req.extended_closes_at
                sel.extensions = req.extensions + 1
        return RegistrationCount(applicants=count, decision=decision.value)

    @activity.defn(name="selection_precheck")
    async def precheck(self, req: PrecheckRequest) -> PrecheckResult:
        requirements = get_selection_rulebook(req.rulebook_version).requirements_for(req.post_level)
        async with self._sessions() as session, session.begin():
            await selections.lock(session, req.process_id)
            return await selections.precheck_all(
                session, req.process_id, requirements, req.closing_date
            )

    @activity.defn(name="selection_close_screening")
    async def close_screening(self, req: ScreeningGate) -> ScreeningTally:
        async with self._sessions() as session, session.begin():
            sel = await selections.lock(session, req.process_id)
            tally = await selections.screening_tally(session, req.process_id)
            if tally.undecided:
                return tally
            # Opening the components closes screening to decisions (domain.selection.scoring).
            sel.components = dict(req.components)
            sel.eligible = tally.eligible
            if req.announcement_key is None or tally.eligible == 0:
                return tally
            body = {
                "applicants": tally.applicants,
                "eligible": tally.eligible,
                "results": tally.published,
            }
            await selections.publish(
                session,
                req.process_id,
                AnnouncementData(
                    key=req.announcement_key,
                    stage=req.stage or Stage.ASSESSMENT.value,
                    title="Administrative screening results",
                    body=body,
                ),
                datetime.now(UTC),
            )
        return tally.model_copy(update={"published": []})

    @activity.defn(name="selection_close_component")
    async def close_component(self, req: ComponentRequest) -> ComponentCheck:
        async with self._sessions() as session, session.begin():
            sel = await selections.lock(session, req.process_id)
            check = await selections.check_component(session, req.process_id, req.component)
            if check.missing_count or req.announcement_key is None:
                return check
            sel.components = {**(sel.components or {}), req.component: "closed"}
            ranking = [
                {"rank": i + 1, "applicant_id": a, "score": score}
                for i, (a, score) in enumerate(check.ranking)
            ]
            body = {"component": req.component, "ranking": ranking}
            await selections.publish(
                session,
                req.process_id,
                AnnouncementData(
                    key=req.announcement_key,
                    stage=req.stage or sel.stage,
                    title=req.title,
                    body=body,
                ),
                datetime.now(UTC),
            )
        return check.model_copy(
            update={"ranking": [], "ranked": len(ranking), "digest": ranking_digest(ranking)}
        )

    @activity.defn(name="selection_compute_shortlist")
    async def compute_shortlist(self, req: ShortlistRequest) -> ShortlistData:
        scheme = ScoringScheme.model_validate(req.scheme)
        async with self._sessions() as session, session.begin():
            await selections.lock(session, req.process_id)
            sheets = await selections.score_sheets(session, req.process_id)
            births = await selections.birth_dates(session, req.process_id)
            conflicts = await selections.conflicts(session, req.process_id)
        ranked = rank(sheets, scheme, births)
        proposed = shortlist(ranked, req.size)
        names = {r.applicant_id for r in proposed}
        recused = sorted(m for m in req.panel if names & set(conflicts.get(m, [])))
        rows = [r.model_dump(mode="json") for r in ranked]
        digest = ranking_digest(rows)
        if req.announcement_key is not None:
            published = [
                {k: r[k] for k in ("applicant_id", "rank", "total", "passed", "component_scores")}
                for r in rows
            ]
            body = {"ranking": published, "proposed": [r.applicant_id for r in proposed]}
            async with self._sessions() as session, session.begin():
                sel = await selections.lock(session, req.process_id)
                await selections.publish(
                    session,
                    req.process_id,
                    AnnouncementData(
                        key=req.announcement_key,
                        stage=req.stage or sel.stage,
                        title="Integrated ranking",
                        body=body,
                    ),
                    datetime.now(UTC),
                )
            # The list is published and bound by its digest; only the names travel back.
            rows = []
        return ShortlistData(
            ranked=rows,
            proposed=[r.model_dump(mode="json") for r in proposed],
            passed=sum(1 for r in ranked if r.passed),
            digest=digest,
            recused_members=recused,
        )


async def _view(session: AsyncSession, req: RecordSelection, now: datetime) -> None:
    # The view upsert takes the row's lock before the ledger heads are locked (the actions' order).
    # A retried activity writes the same view again, harmlessly: nothing later can have been
    # written while the workflow waited for this one.
    await selections.write_view(session, req.process_id, req.identity, req.view, now)


async def _effects(
    session: AsyncSession, req: RecordSelection, _row: Appended, now: datetime
) -> None:
    if req.panel is not None:
        await selections.replace_panel(session, req.process_id, req.panel)
    if req.announcement is not None:
        await selections.publish(session, req.process_id, req.announcement, now)

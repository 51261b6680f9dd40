"""Registering applicants while registration is open: one by one, or a CSV file, all or none."""

from __future__ import annotations

from actions.pipeline import Action, Attempt
from actions.schemas.selections import ApplicantCreate, ApplicantImport, ApplicantRead, ImportResult
from actions.selections.common import stamp, visible, write
from actions.selections.csv_import import read_import
from domain.processes import ProcessKind
from domain.selection.screening import ApplicantProfile
from store import selections
from store.selection_models import SelectionApplicant


def applicant_read(x: SelectionApplicant) -> ApplicantRead:
    return ApplicantRead(
        applicant_id=x.applicant_id,
        nip=x.nip,
        name=x.name,
        degree=x.degree,
        years_experience=x.years_experience,
        years_senior_post=x.years_senior_post,
        birth_date=x.birth_date,
        grade=x.grade,
        sanction_active=bool(x.sanction_active),
        source=x.source,
        registered_at=x.registered_at,
        auto_eligible=x.auto_eligible,
        auto_reasons=x.auto_reasons,
        decision=x.decision,
        final_eligible=x.final_eligible,
        decision_justification=x.decision_justification,
        decided_by=x.decided_by,
        decided_at=x.decided_at,
    )


async def _register(a: Attempt[ApplicantCreate]) -> ApplicantRead:
    profile = ApplicantProfile.model_validate(a.body.model_dump())
    pid, s = a.target.process_id, stamp(a)
    row = await write(
        a,
        lambda session: selections.register_applicant(session, pid, profile, source="api", stamp=s),
    )
    return applicant_read(row)


REGISTER = Action(
    name="selection.register_applicant",
    kind=ProcessKind.SELECTION,
    refused="selection.registration_refused",
    body=ApplicantCreate,
    result=ApplicantRead,
    visible=visible,
    execute=_register,
    subject=lambda b: b.applicant_id,
    summary="Register one applicant while registration is open",
)


async def _import(a: Attempt[ApplicantImport]) -> ImportResult:
    pid, s, profiles = a.target.process_id, stamp(a), a.body.profiles
    count = await write(
        a, lambda session: selections.import_applicants(session, pid, profiles, stamp=s)
    )
    return ImportResult(process_id=pid, imported=count)


IMPORT = Action(
    name="selection.import_applicants",
    kind=ProcessKind.SELECTION,
    refused="selection.import_refused",
    body=ApplicantImport,
    result=ImportResult,
    visible=visible,
    parse=read_import,
    execute=_import,
    summary="Register applicants from a CSV file: all rows or none",
)

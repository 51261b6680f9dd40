"""Request and response bodies of the open selection (seleksi terbuka JPT) API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from actions.schemas.pending import PendingRead
from domain.selection.panel import PanelMember
from domain.selection.scheme import ScoringScheme
from domain.selection.screening import ApplicantProfile
from workflows.selection_contracts import KEY_PATTERN

PostLevel = Literal["pratama", "madya", "utama"]


class SelectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=KEY_PATTERN, description="The agency's own code for this selection")
    agency: str | None = Field(
        None,
        pattern=KEY_PATTERN,
        description="Defaults to the token's agency; a token with an agency may name only its own",
    )
    post_title: str = Field(min_length=1, max_length=300)
    post_level: PostLevel
    appointing_authority_id: str = Field(
        min_length=1, max_length=100, description="The PPK's subject in their bearer token"
    )
    rulebook_version: str | None = Field(None, description="Defaults to the rulebook in force")
    oversight_body: str = Field(
        "BKN-OVERSIGHT",
        description="Review body of kind oversight (register it with POST /v1/review-bodies)",
        min_length=1,
        max_length=64,
    )
    assessment_body: str | None = Field(None, max_length=64)


class PanelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[PanelMember] = Field(min_length=1, max_length=25)


class SchemeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scheme: ScoringScheme
    scorers: dict[str, list[str]] = Field(
        default_factory=dict, description="component code -> the scorer ids assigned to it"
    )


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=2000)


class AnnouncementCreate(BaseModel):
    """The registration window: dates under a rulebook counting days (the legal ones), instants
    under a training rulebook counting minutes."""

    model_config = ConfigDict(extra="forbid")

    opens: date | None = Field(None, description="First day of registration (legal rulebooks)")
    closes: date | None = Field(
        None, description="Registration runs to the end of this day, WIB (legal rulebooks)"
    )
    opens_at: AwareDatetime | None = Field(
        None, description="Training rulebooks: when registration opens (default: at once)"
    )
    closes_at: AwareDatetime | None = Field(
        None, description="Training rulebooks: the instant registration closes"
    )
    text: str = Field("", max_length=10_000)


class ApplicantCreate(ApplicantProfile):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScreeningDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    eligible: bool
    justification: str | None = Field(None, max_length=4000)


class ScreeningDecisionIn(ScreeningDecision):
    """The decision with the applicant the URL names."""

    applicant_id: str = Field(min_length=1, max_length=100)


class DeclarationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conflicted: list[str] = Field(default_factory=list, max_length=500)
    reason: str = Field("", max_length=2000)


class ScoreSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: float = Field(
        allow_inf_nan=False, description="On the rulebook's scale (0 to 100); pass/fail: 1 or 0"
    )
    justification: str | None = Field(None, max_length=4000, description="Required to amend")


class ScoreIn(ScoreSubmit):
    """The score with the component and applicant the URL names."""

    component: str = Field(min_length=1, max_length=64)
    applicant_id: str = Field(min_length=1, max_length=100)


class ScoresQuery(BaseModel):
    """Whose scores to read: the component and applicant the URL names."""

    model_config = ConfigDict(extra="forbid")

    component: str = Field(min_length=1, max_length=64)
    applicant_id: str = Field(min_length=1, max_length=100)


class ComponentClose(NoteBody):
    """Closing a component: the code the URL names."""

    component: str = Field(min_length=1, max_length=64)


class ApplicantImport(BaseModel):
    """A CSV file, as read: every row a profile."""

    profiles: list[ApplicantProfile]


class VoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str | None = Field(None, max_length=2000)


class AppointmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    applicant_id: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=4000)


class CancelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=4000)


# ---- responses ---------------------------------------------------------------------------------


class RegistrationRead(BaseModel):
    opens: date | None
    closes: date | None
    closes_at: datetime | None
    extensions: int


class CountsRead(BaseModel):
    applicants: int
    eligible: int


class SelectionRead(BaseModel):
    id: str
    agency: str
    code: str
    post_title: str
    post_level: str
    rulebook_version: str
    appointing_authority_id: str
    oversight_body: str
    assessment_body: str | None
    stage: str
    status: str
    scheme: dict[str, Any] | None
    scheme_frozen: bool
    components: dict[str, str]
    registration: RegistrationRead
    counts: CountsRead
    waiting_for: list[dict[str, Any]]
    shortlist: list[dict[str, Any]] | None = Field(
        None, description="Shown once the plenary has approved it, or to the committee"
    )
    plan_review_id: str | None
    shortlist_review_id: str | None
    return_count: int
    findings: list[dict[str, Any]] | None
    appointee_id: str | None
    outcome_reason: str | None
    created_at: datetime | None
    updated_at: datetime | None
    pending: PendingRead | None = Field(
        None,
        description="On an action's answer: the step the selection waits for next (who acts, on "
        "what, by when), from the workflow update's result, so the caller needs no read to learn "
        "what its action did. Reads leave it null; `waiting_for` lists everyone a stage waits on.",
    )


class SelectionPage(BaseModel):
    items: list[SelectionRead]
    next_cursor: str | None


class PanelMemberRead(BaseModel):
    id: str
    name: str
    role: str
    internal: bool
    affiliation: str


class PanelRead(BaseModel):
    process_id: str
    members: list[PanelMemberRead]


class ApplicantRead(BaseModel):
    applicant_id: str
    nip: str | None
    name: str
    degree: str
    years_experience: float
    years_senior_post: float
    birth_date: date
    grade: str | None
    sanction_active: bool
    source: str
    registered_at: datetime | None
    auto_eligible: bool | None
    auto_reasons: list[dict[str, Any]] | None
    decision: str | None
    final_eligible: bool | None
    decision_justification: str | None
    decided_by: str | None
    decided_at: datetime | None


class ApplicantPage(BaseModel):
    items: list[ApplicantRead]
    next_cursor: str | None


class ImportResult(BaseModel):
    process_id: str
    imported: int


class ScreeningRow(BaseModel):
    applicant_id: str
    name: str
    auto_eligible: bool | None
    auto_reasons: list[dict[str, Any]] | None
    decision: str | None
    final_eligible: bool | None
    justification: str | None


class ScreeningRead(BaseModel):
    process_id: str
    stage: str
    total: int
    decided: int
    eligible: int
    items: list[ScreeningRow]
    next_cursor: str | None
    # The applicants the caller declared a conflict of interest with: theirs to leave to others.
    conflicted: list[str] = Field(default_factory=list)


class DeclarationRead(BaseModel):
    process_id: str
    scorer_id: str
    conflicted: list[str]


class ScoreRead(BaseModel):
    component: str
    applicant_id: str
    scorer_id: str
    score: float
    submitted_at: datetime | None
    amendments: int
    amended_at: datetime | None


class ScoreList(BaseModel):
    component: str
    applicant_id: str
    items: list[ScoreRead]


class ShortlistRead(BaseModel):
    process_id: str
    stage: str
    shortlist: list[dict[str, Any]] | None
    plenary: dict[str, Any] | None


class AnnouncementRead(BaseModel):
    key: str
    stage: str
    title: str
    body: dict[str, Any]
    published_at: datetime | None


class PublicAnnouncements(BaseModel):
    process_id: str
    agency: str
    post_title: str
    post_level: str
    stage: str
    items: list[AnnouncementRead]

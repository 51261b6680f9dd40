"""Who may do what: the one authorization table, for the JSON API and the console alike.

Each :class:`Rule` is one operation: the API route and the console route that do the same thing,
the roles that may call it, the scope rule that decides which objects a caller sees (and so what
answers ``HIDDEN``, 404 by the status table, as if the object did not exist), and whether the
guarded-action pipeline enforces it (a mutating action: its refusals are recorded in the ledger) or
the read guard does (``authorize_read``). The pipeline takes an action's roles from here
(``Action.roles``); the API's and the console's authentication look every request's route up here
and refuse a route that has no rule. ``tests/authz`` enumerates every route the app registers and
checks every principal against this table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from actions.registry import load_target
from actions.services import Services
from actions.statuses import STATUS
from actions.targets import Target
from domain.enums import Role
from domain.errors import NotFound, NotPermitted
from domain.processes import ProcessKind
from infra.tokens import Principal

HIDDEN = STATUS[NotFound.category]  # an object the caller may not see: as if it did not exist
FORBIDDEN = STATUS[NotPermitted.category]  # a visible object the caller's role may not act on


class Scope(StrEnum):
    """Which objects a caller who holds one of the rule's roles may see or act on."""

    PUBLIC = "public"  # no sign-in; nothing hidden
    CALLER = "caller"  # the caller's own things (inbox, sign-in, language): nothing hidden
    NATIONAL = "national"  # objects of no agency (review bodies, checkpoints): everyone's
    OWN_AGENCY = "own_agency"  # the object's agency; no agency claim or ``national``: all
    PANEL_SEAT = (
        "panel_seat"  # own agency, and the seat on the panel or committee the workflow names
    )
    APPOINTING_AUTHORITY = "appointing_authority"  # own agency, and the authority the process names
    ASSIGNED_REVIEWER = "assigned_reviewer"  # a reviewer: the reviews they sit on; others: agency
    SELF = "self"  # the caller's own record (an employee's box, a reviewer's standing conflict)


R = Role
ANYONE: frozenset[str] | None = None  # any signed-in role


def roles(*items: Role) -> frozenset[str]:
    return frozenset(r.value for r in items)


HR_WRITERS = roles(R.ADMIN, R.AGENCY_HR, R.HR_SYSTEM)
SENDERS = roles(R.ADMIN, R.HR_SYSTEM)
AUDITORS = roles(R.AUDITOR, R.ADMIN)
WEBHOOK_READERS = roles(R.ADMIN, R.AGENCY_HR, R.HR_SYSTEM)
CHAIN = roles(R.ADMIN, R.AGENCY_HR, R.APPOINTING_AUTHORITY, R.BKN, R.PROMOTION_BOARD, R.SUPERVISOR)
PLANNERS = roles(R.AGENCY_HR, R.SELECTION_COMMITTEE)
SCORERS = roles(R.ASSESSOR, R.SELECTION_COMMITTEE)
COMMITTEE = roles(R.SELECTION_COMMITTEE)
AUTHORITY = roles(R.APPOINTING_AUTHORITY)
APPLICANT_READERS = roles(R.AGENCY_HR, R.HR_SYSTEM, R.AUDITOR, R.BKN, R.ADMIN)
# Whoever may see the committee's working data may ask for scores; they stay blind to everyone
# until they scored the applicant themselves or the component closed.
SCORE_READERS = SCORERS | roles(R.AGENCY_HR, R.AUDITOR, R.BKN, R.ADMIN, R.APPOINTING_AUTHORITY)
TALENT_COMMITTEE = roles(R.TALENT_COMMITTEE)
TALENT_READERS = roles(
    R.AGENCY_HR, R.HR_SYSTEM, R.TALENT_COMMITTEE, R.AUDITOR, R.APPOINTING_AUTHORITY, R.BKN, R.ADMIN
)
OVERSIGHT = roles(R.BKN, R.ADMIN)
NATIONAL_ROLES = roles(R.BKN, R.ADMIN)  # see every agency's selections and talent processes


@dataclass(frozen=True)
class Rule:
    operation: str
    roles: frozenset[str] | None  # None: any signed-in role (or, PUBLIC, no sign-in at all)
    scope: Scope
    api: tuple[str, ...] = ()  # "METHOD /path" as the app registers it
    console: tuple[str, ...] = ()
    action: bool = False  # enforced by the guarded-action pipeline (refusals in the ledger)
    kind: ProcessKind | None = None  # the object its path names, and which path parameter
    param: str | None = None
    national: frozenset[str] = frozenset()  # roles that see every agency's objects
    # What a caller who may not see the object gets: the README's status rule, one for all.
    hidden: int = HIDDEN

    def allows(self, role: str) -> bool:
        return self.roles is None or role in self.roles

    def sees(self, principal: Principal, agency: str | None) -> bool:
        """May ``principal`` see an object of ``agency`` under this rule's scope?"""
        if self.scope in (Scope.PUBLIC, Scope.CALLER, Scope.NATIONAL):
            return True
        return (
            principal.agency is None
            or principal.agency == agency
            or principal.role in self.national
        )

    def sees_target(self, principal: Principal, target: Target) -> bool:
        """:meth:`sees`, for a loaded object: a national object (no agency) is everyone's; an
        employee sees a talent review whose population includes their agency."""
        if target.agency is None:
            return True
        if target.kind is ProcessKind.TALENT_REVIEW and principal.role == Role.EMPLOYEE.value:
            population = getattr(target.row, "population", None) or {}
            return principal.agency in population.get("agencies", [])
        return self.sees(principal, target.agency)


# fmt: off
def _act(op: str, who: frozenset[str], scope: Scope, api: str = "", *console: str,
         kind: ProcessKind | None = None, param: str | None = "process_id",
         national: frozenset[str] = frozenset()) -> Rule:
    return Rule(op, who, scope, (api,) if api else (), console, True, kind, param, national)


def _read(op: str, who: frozenset[str] | None, scope: Scope, api: Iterable[str] = (),
          console: Iterable[str] = (), kind: ProcessKind | None = None,
          param: str | None = "process_id", national: frozenset[str] = frozenset()) -> Rule:
    return Rule(op, who, scope, tuple(api), tuple(console), False, kind, param, national)


K, S = ProcessKind, Scope
PROMO, SEL, TREV, TAPP = K.PROMOTION, K.SELECTION, K.TALENT_REVIEW, K.TALENT_APPOINTMENT
SP = "/v1/selections/{process_id}"
TR = "/v1/talent-reviews/{process_id}"
WH = "/v1/webhooks/subscriptions/{subscription_id}"
NAT = NATIONAL_ROLES
_ACTIONS = (
    # -- promotions
    _act("promotion.start", HR_WRITERS, S.OWN_AGENCY, "POST /v1/promotions", "POST /promotions"),
    _act("promotion.decide", CHAIN, S.OWN_AGENCY, "POST /v1/promotions/{process_id}/decisions",
         "POST /promotions/{process_id}/decisions", kind=PROMO, national=roles(R.BKN)),
    # -- third-party reviews and their administration
    _act("review.declare", roles(R.REVIEWER), S.ASSIGNED_REVIEWER,
         "POST /v1/reviews/{review_id}/conflict-declarations",
         "POST /reviews/{review_id}/declarations", kind=K.REVIEW, param="review_id"),
    _act("review.verdict", roles(R.REVIEWER), S.ASSIGNED_REVIEWER,
         "POST /v1/reviews/{review_id}/verdicts", "POST /reviews/{review_id}/verdicts",
         kind=K.REVIEW, param="review_id"),
    _act("review_body.register", roles(R.ADMIN), S.NATIONAL, "POST /v1/review-bodies"),
    _act("review_body.register_reviewer", roles(R.ADMIN), S.NATIONAL,
         "POST /v1/review-bodies/{code}/reviewers", kind=K.REVIEW_BODY, param="code"),
    _act("reviewer.declare_standing_conflict", roles(R.ADMIN, R.REVIEWER), S.SELF,
         "POST /v1/reviewers/{reviewer_id}/conflicts", kind=K.REVIEWER, param="reviewer_id"),
    # -- records pushed by HR
    _act("employees.upsert", HR_WRITERS, S.OWN_AGENCY, "POST /v1/employees"),
    _act("employees.import", HR_WRITERS, S.OWN_AGENCY, "POST /v1/employees/import"),
    _act("employees.changed", SENDERS, S.OWN_AGENCY),  # an event (POST /v1/events)
    # -- webhooks
    _act("webhooks.subscribe", WEBHOOK_READERS, S.OWN_AGENCY, "POST /v1/webhooks/subscriptions"),
    _act("webhooks.pause", WEBHOOK_READERS, S.OWN_AGENCY, f"POST {WH}/pause",
         kind=K.WEBHOOK_SUBSCRIPTIONS, param="subscription_id"),
    _act("webhooks.resume", WEBHOOK_READERS, S.OWN_AGENCY, f"POST {WH}/resume",
         kind=K.WEBHOOK_SUBSCRIPTIONS, param="subscription_id"),
    _act("webhooks.delete", WEBHOOK_READERS, S.OWN_AGENCY, f"DELETE {WH}",
         kind=K.WEBHOOK_SUBSCRIPTIONS, param="subscription_id"),
    _act("webhooks.replay", WEBHOOK_READERS, S.OWN_AGENCY,
         "POST /v1/webhooks/deliveries/{delivery_id}/replay", kind=K.WEBHOOK_SUBSCRIPTIONS,
         param="delivery_id"),
    _act("webhooks.replay_dead", WEBHOOK_READERS, S.OWN_AGENCY,
         f"POST {WH}/deliveries/replay-dead", kind=K.WEBHOOK_SUBSCRIPTIONS,
         param="subscription_id"),
    # -- inbound events: the route picks the action by the event's type
    # (an event of a known type is then its action's: agency HR may open a period, see below)
    _act("events.receive", SENDERS, S.OWN_AGENCY, "POST /v1/events"),
    _act("promotion_period.open", HR_WRITERS, S.OWN_AGENCY, "", "POST /periods"),
    _act("selection.open_for_vacancy", SENDERS, S.OWN_AGENCY),
    _act("event.unknown_type", SENDERS, S.OWN_AGENCY),
    # -- open selection
    _act("selection.start", HR_WRITERS, S.OWN_AGENCY, "POST /v1/selections", "POST /selections",
         national=NAT),
    _act("selection.set_panel", PLANNERS, S.PANEL_SEAT, f"PUT {SP}/panel",
         "POST /selections/{process_id}/panel", kind=SEL, national=NAT),
    _act("selection.set_scheme", PLANNERS, S.PANEL_SEAT, f"PUT {SP}/scheme",
         "POST /selections/{process_id}/scheme", kind=SEL, national=NAT),
    _act("selection.submit_plan", PLANNERS, S.PANEL_SEAT, f"POST {SP}/plan/submit",
         "POST /selections/{process_id}/plan", kind=SEL, national=NAT),
    _act("selection.announce", PLANNERS, S.PANEL_SEAT, f"POST {SP}/announcement",
         "POST /selections/{process_id}/announcement", kind=SEL, national=NAT),
    _act("selection.register_applicant", HR_WRITERS, S.OWN_AGENCY, f"POST {SP}/applicants",
         "POST /selections/{process_id}/applicants", kind=SEL, national=NAT),
    _act("selection.import_applicants", HR_WRITERS, S.OWN_AGENCY, f"POST {SP}/applicants/import",
         "POST /selections/{process_id}/applicants/import", kind=SEL, national=NAT),
    _act("selection.decide_screening", COMMITTEE, S.PANEL_SEAT,
         f"PUT {SP}/screening/{{applicant_id}}",
         "POST /selections/{process_id}/screening/{applicant_id}", kind=SEL, national=NAT),
    _act("selection.close_screening", COMMITTEE, S.PANEL_SEAT, f"POST {SP}/screening/close",
         "POST /selections/{process_id}/screening-close", kind=SEL, national=NAT),
    _act("selection.declare", SCORERS, S.PANEL_SEAT, f"POST {SP}/declarations",
         "POST /selections/{process_id}/declarations", kind=SEL, national=NAT),
    _act("selection.submit_score", SCORERS, S.PANEL_SEAT,
         f"PUT {SP}/components/{{component}}/scores/{{applicant_id}}",
         "POST /selections/{process_id}/scores", kind=SEL, national=NAT),
    _act("selection.read_scores", SCORE_READERS, S.PANEL_SEAT,
         f"GET {SP}/components/{{component}}/scores/{{applicant_id}}",
         "GET /selections/{process_id}/scoring/{component}/{code}", kind=SEL, national=NAT),
    _act("selection.close_component", COMMITTEE, S.PANEL_SEAT,
         f"POST {SP}/components/{{component}}/close",
         "POST /selections/{process_id}/components/{component}/close", kind=SEL, national=NAT),
    _act("selection.plenary_vote", COMMITTEE, S.PANEL_SEAT, f"POST {SP}/plenary/votes",
         "POST /selections/{process_id}/plenary/votes", kind=SEL, national=NAT),
    _act("selection.close_plenary", COMMITTEE, S.PANEL_SEAT, f"POST {SP}/plenary/close",
         "POST /selections/{process_id}/plenary/close", kind=SEL, national=NAT),
    _act("selection.appoint", AUTHORITY, S.APPOINTING_AUTHORITY, f"POST {SP}/appointment",
         "POST /selections/{process_id}/appointment", kind=SEL, national=NAT),
    _act("selection.cancel", AUTHORITY, S.APPOINTING_AUTHORITY, f"POST {SP}/cancel",
         "POST /selections/{process_id}/cancel", kind=SEL, national=NAT),
    # -- talent management
    _act("talent_records.upsert", HR_WRITERS, S.OWN_AGENCY, "POST /v1/talent/records"),
    _act("talent_records.import", HR_WRITERS, S.OWN_AGENCY, "POST /v1/talent/records/import"),
    _act("talent_records.record_approval", OVERSIGHT, S.OWN_AGENCY, "POST /v1/talent/approvals"),
    _act("talent_records.mark_post", HR_WRITERS, S.OWN_AGENCY, "POST /v1/talent/critical-posts",
         "POST /talent-posts"),
    _act("talent_review.start", roles(R.ADMIN, R.AGENCY_HR), S.OWN_AGENCY,
         "POST /v1/talent-reviews", "POST /talent"),
    _act("talent_review.declare", TALENT_COMMITTEE, S.PANEL_SEAT, f"POST {TR}/declarations",
         kind=TREV, national=NAT),
    _act("talent_review.calibrate", TALENT_COMMITTEE, S.PANEL_SEAT, f"POST {TR}/moves",
         kind=TREV, national=NAT),
    _act("talent_review.close_calibration", TALENT_COMMITTEE, S.PANEL_SEAT,
         f"POST {TR}/calibration/close", kind=TREV, national=NAT),
    _act("talent_review.answer", TALENT_COMMITTEE, S.PANEL_SEAT, f"POST {TR}/answers",
         kind=TREV, national=NAT),
    _act("talent_review.finalize", TALENT_COMMITTEE, S.PANEL_SEAT, f"POST {TR}/pool",
         kind=TREV, national=NAT),
    _act("talent_review.cancel", roles(R.AGENCY_HR, R.TALENT_COMMITTEE), S.PANEL_SEAT,
         f"POST {TR}/cancel", kind=TREV, national=NAT),
    # The console's one form route for the committee's actions above (the path names which).
    _act("talent_review.console_action", roles(R.AGENCY_HR, R.TALENT_COMMITTEE), S.PANEL_SEAT,
         "", "POST /talent/{review_id}/{what}", kind=TREV, param="review_id", national=NAT),
    _act("talent_review.object", roles(R.EMPLOYEE), S.SELF, f"POST {TR}/objections",
         "POST /me/talent/{review_id}/objection", kind=TREV, national=NAT),
    _act("talent_appointment.appoint", AUTHORITY, S.APPOINTING_AUTHORITY,
         "POST /v1/talent-appointments/{process_id}/appointment", kind=TAPP, national=NAT),
    _act("talent_appointment.fall_back", roles(R.AGENCY_HR, R.APPOINTING_AUTHORITY),
         S.APPOINTING_AUTHORITY, "POST /v1/talent-appointments/{process_id}/fall-back",
         kind=TAPP, national=NAT),
    _act("talent_appointment.console_action", roles(R.AGENCY_HR, R.APPOINTING_AUTHORITY),
         S.APPOINTING_AUTHORITY, "", "POST /talent-appointments/{process_id}/{what}", kind=TAPP,
         national=NAT),
)

DOCS = ("GET /openapi.json", "HEAD /openapi.json", "GET /docs", "HEAD /docs",
        "GET /docs/oauth2-redirect", "HEAD /docs/oauth2-redirect", "GET /redoc", "HEAD /redoc")
_READS = (
    _read("public", ANYONE, S.PUBLIC, ("GET /healthz", *DOCS,
          "GET /v1/public/selections/{process_id}/announcements", "GET /v1/public/checkpoints",
          "GET /v1/webhooks/event-types"),
          ("GET /static", "GET /signin", "POST /signin/persona", "GET /signin/oidc",
           "GET /signin/oidc/callback", "POST /signout", "POST /language", "GET /",
           "GET /public/selections/{process_id}", "GET /public/checkpoints")),
    _read("me", ANYONE, S.CALLER, ("GET /v1/me/tasks",), ("GET /inbox", "POST /role")),
    _read("employees.read", ANYONE, S.OWN_AGENCY, ("GET /v1/employees/{nip}",)),
    _read("promotion.list", ANYONE, S.OWN_AGENCY, ("GET /v1/promotions",), ("GET /promotions",)),
    _read("promotion.read", ANYONE, S.OWN_AGENCY, ("GET /v1/promotions/{process_id}",),
          ("GET /promotions/{process_id}",), kind=PROMO, national=roles(R.BKN)),
    _read("ledger.read", ANYONE, S.OWN_AGENCY, ("GET /v1/processes/{process_id}/ledger",
          "GET /v1/processes/{process_id}/ledger/verify",
          "GET /v1/processes/{process_id}/explanation")),
    _read("audit.search", roles(R.AUDITOR, R.AGENCY_HR, R.ADMIN), S.OWN_AGENCY,
          ("GET /v1/audit/entries",)),
    _read("audit.reconcile", AUDITORS, S.OWN_AGENCY,
          ("GET /v1/audit/processes/{process_id}/reconciliation",),
          ("GET /audit/processes/{process_id}/reconciliation",)),
    _read("audit.export", AUDITORS, S.OWN_AGENCY, ("GET /v1/audit/export",),
          ("GET /audit/export.csv",)),
    _read("audit.console", AUDITORS, S.OWN_AGENCY, (), ("GET /audit", "GET /audit/charts",
          "GET /audit/charts/{name}.svg", "GET /audit/processes/{process_id}",
          "GET /audit/processes/{process_id}/verify")),
    _read("audit.checkpoints", AUDITORS, S.NATIONAL, ("GET /v1/audit/public-key",
          "POST /v1/audit/checkpoints", "GET /v1/audit/checkpoints",
          "GET /v1/audit/checkpoints/{checkpoint_id}", "GET /v1/audit/consistency")),
    _read("audit.inclusion", AUDITORS, S.OWN_AGENCY,
          ("GET /v1/audit/checkpoints/{checkpoint_id}/inclusion/{entry_id:path}",)),
    _read("review_body.list", ANYONE, S.NATIONAL, ("GET /v1/review-bodies",)),
    _read("review.read", ANYONE, S.ASSIGNED_REVIEWER, ("GET /v1/reviews",
          "GET /v1/reviews/{review_id}"), ("GET /reviews", "GET /reviews/{review_id}"),
          kind=K.REVIEW, param="review_id"),
    _read("webhooks.read", WEBHOOK_READERS, S.OWN_AGENCY, ("GET /v1/webhooks/subscriptions",
          f"GET {WH}", f"GET {WH}/deliveries", "GET /v1/webhooks/deliveries/{delivery_id}"),
          kind=K.WEBHOOK_SUBSCRIPTIONS, param="subscription_id"),
    _read("promotion_period.read", ANYONE, S.OWN_AGENCY, ("GET /v1/promotion-periods",
          "GET /v1/promotion-periods/{period_id}"), ("GET /periods", "GET /periods/{period_id}",
          "GET /periods/{period_id}/progress")),
    _read("selection.read", ANYONE, S.OWN_AGENCY, ("GET /v1/selections", f"GET {SP}",
          f"GET {SP}/panel", f"GET {SP}/shortlist"), ("GET /selections",
          "GET /selections/{process_id}", "GET /selections/{process_id}/planning",
          "GET /selections/{process_id}/applicants", "GET /selections/{process_id}/screening",
          "GET /selections/{process_id}/scoring", "GET /selections/{process_id}/declaration",
          "GET /selections/{process_id}/decision"), kind=SEL, national=NAT),
    _read("selection.applicants", APPLICANT_READERS | AUTHORITY | COMMITTEE, S.PANEL_SEAT,
          (f"GET {SP}/applicants",), kind=SEL, national=NAT),
    _read("selection.screening", APPLICANT_READERS | AUTHORITY | SCORERS, S.PANEL_SEAT,
          (f"GET {SP}/screening",), kind=SEL, national=NAT),
    _read("talent_review.read", ANYONE, S.OWN_AGENCY, ("GET /v1/talent-reviews", f"GET {TR}"),
          ("GET /talent", "GET /talent/{review_id}", "GET /talent/{review_id}/people/{nip}"),
          kind=TREV, national=NAT),
    _read("talent_review.people", TALENT_READERS, S.OWN_AGENCY, (f"GET {TR}/people",
          f"GET {TR}/objections"), kind=TREV, national=NAT),
    _read("talent_review.person", TALENT_READERS | roles(R.EMPLOYEE), S.SELF,
          (f"GET {TR}/people/{{nip}}",), kind=TREV, national=NAT),
    _read("talent.mine", ANYONE, S.SELF, ("GET /v1/me/talent",), ("GET /me/talent",)),
    _read("talent.records", TALENT_READERS, S.OWN_AGENCY, ("GET /v1/talent/approval",
          "GET /v1/talent/critical-posts", "GET /v1/talent/pool"), ("GET /talent-posts",)),
    _read("talent_appointment.read", ANYONE, S.OWN_AGENCY, ("GET /v1/talent-appointments",
          "GET /v1/talent-appointments/{process_id}"), ("GET /talent-appointments/{process_id}",),
          kind=TAPP, national=NAT),
)
# fmt: on

RULES: tuple[Rule, ...] = _ACTIONS + _READS
BY_OPERATION: dict[str, Rule] = {r.operation: r for r in RULES}
API: dict[str, Rule] = {route: r for r in RULES for route in r.api}
CONSOLE: dict[str, Rule] = {route: r for r in RULES for route in r.console}


def action_rule(name: str) -> Rule:
    """The rule of a pipeline action (KeyError: an action without one, caught by the tests)."""
    rule = BY_OPERATION[name]
    assert rule.action, name
    assert rule.roles is not None, name
    return rule


def action_roles(name: str) -> frozenset[str]:
    action_rule(name)
    return roles_of(name)


def roles_of(operation: str) -> frozenset[str]:
    """The roles a rule names, an action's or a read's, for whoever must know them beyond the
    route's own check (a page that offers a form, a query that serves two routes). KeyError: no
    such rule; a rule open to every signed-in role has no list to give."""
    allowed = BY_OPERATION[operation].roles
    assert allowed is not None, operation
    return allowed


def route_rule(table: Mapping[str, Rule], method: str, path: str) -> Rule:
    """The rule of a route; a route without one is refused to everyone (403 ``forbidden``)."""
    rule = table.get(f"{method} {path}")
    if rule is None:
        raise NotPermitted(
            f"No authorization rule covers {method} {path}; nobody may call it.", code="forbidden"
        )
    return rule


def forbidden(principal: Principal, allowed: frozenset[str] | None) -> NotPermitted:
    names = ", ".join(sorted(allowed or ()))
    return NotPermitted(
        f"The role '{principal.role}' may not do this; allowed: {names}.", code="forbidden_role"
    )


async def authorize_read(
    services: Services, rule: Rule, principal: Principal, path: Mapping[str, str]
) -> None:
    """A read route's check: the role, after the object's visibility, so that a caller who may
    see neither gets the 404 of an object that does not exist. A pipeline action's route is left
    to the pipeline (which records the refusal)."""
    if rule.action or rule.allows(principal.role):
        return
    if rule.kind is not None and rule.param is not None and rule.param in path:
        target: Target | None = await load_target(services, rule.kind, path[rule.param])
        if target is None or not rule.sees_target(principal, target):
            raise NotFound(f"No {rule.kind.value.replace('_', ' ')} is visible to you.")
    raise forbidden(principal, rule.roles)

"""What the policy table says a caller gets on a route: ``ALLOW``, or the status of the refusal.

The order is the pipeline's and the read guard's: no credentials, 401; an object that does not
exist or that the caller may not see, the table's ``HIDDEN`` (404) — for a read route whose role
check needs no object, the role is checked first; a role the rule does not name, ``FORBIDDEN``
(403). Scope rules that go beyond the agency are spelled out below as the code applies them."""

from __future__ import annotations

from actions import policy
from actions.policy import Rule, Scope
from domain.enums import Role
from domain.processes import ProcessKind
from tests.authz.objects import Objects
from tests.authz.principals import OWN, Caller

ALLOW = 0
SIGNIN = 303  # the console sends a caller without a valid session to the sign-in page


def hidden(rule: Rule, caller: Caller, agency: str | None) -> bool:
    p = caller.principal
    assert p is not None
    if agency is None:  # a national object (a review body, a reviewer, a checkpoint)
        return False
    if rule.kind is ProcessKind.REVIEW and p.role == Role.REVIEWER.value:
        # A reviewer reads only the reviews they sit on; acting, the workflow judges the seat.
        return not rule.action
    if rule.kind is ProcessKind.TALENT_REVIEW and p.role == Role.EMPLOYEE.value:
        return p.agency != OWN  # an employee of an agency in the review's population
    return not rule.sees(p, agency)


def expected(
    rule: Rule,
    caller: Caller,
    *,
    console: bool,
    key: str | None,
    real: bool,
    objs: Objects,
    params: set[str],
) -> int:
    if rule.scope is Scope.PUBLIC:
        return ALLOW
    if caller.principal is None:
        return SIGNIN if console else 401
    role = caller.principal.role
    checked_on_object = rule.action or (rule.kind is not None and rule.param in params)
    if console and not rule.action:
        checked_on_object = False  # the console's read pages check the role first
    invisible = key is not None and (not real or hidden(rule, caller, objs.agencies.get(key)))
    if rule.allows(role):
        return rule.hidden if invisible else ALLOW
    if checked_on_object and invisible:
        return rule.hidden
    return policy.FORBIDDEN

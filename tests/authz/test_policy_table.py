"""The authorization table covers exactly what the app serves: every registered route has a rule,
every rule's route is registered, and every pipeline action takes its roles from a rule."""

from __future__ import annotations

import importlib
import pkgutil

import actions
from actions import policy
from actions.pipeline import Action
from server import create_app
from tests.authz.routes import registered


def test_every_route_has_a_rule_and_every_rule_a_route() -> None:
    routes = registered(create_app())
    assert len(routes) > 150
    missing = [r.key for r in routes if r.rule is None]
    assert missing == [], f"routes without an authorization rule: {missing}"
    served = {(r.console, r.key) for r in routes}
    stale = [
        (rule.operation, route)
        for rule in policy.RULES
        for console, routes_of in ((False, rule.api), (True, rule.console))
        for route in routes_of
        if (console, route) not in served
    ]
    assert stale == [], f"rules naming routes the app does not serve: {stale}"


def _actions() -> list[Action[object, object]]:  # type: ignore[type-var]
    found: dict[int, Action] = {}  # type: ignore[type-arg]
    for info in pkgutil.walk_packages(actions.__path__, "actions."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, Action):
                found[id(value)] = value
    return list(found.values())


def test_every_action_takes_its_roles_from_the_table() -> None:
    found = _actions()
    assert len(found) > 40
    for action in found:
        rule = policy.action_rule(action.name)  # KeyError: an action without a rule
        assert rule.action
        assert action.roles == rule.roles
    names = {a.name for a in found}
    dangling = [r.operation for r in policy.RULES if r.action and r.operation not in names]
    # The console's form routes that dispatch to one of several actions, and the events route.
    assert sorted(dangling) == [
        "events.receive",
        "talent_appointment.console_action",
        "talent_review.console_action",
    ]


def test_each_operation_and_route_is_declared_once_and_hides_as_the_readme_says() -> None:
    assert len(policy.BY_OPERATION) == len(policy.RULES)
    api = [route for rule in policy.RULES for route in rule.api]
    console = [route for rule in policy.RULES for route in rule.console]
    assert len(api) == len(set(api)) and len(console) == len(set(console))
    # README "Who does what": 404 for anything the caller may not see, as if it did not exist.
    assert {rule.hidden for rule in policy.RULES} == {404}


def test_a_route_without_a_rule_is_refused() -> None:
    import pytest

    from domain.errors import NotPermitted

    with pytest.raises(NotPermitted) as err:
        policy.route_rule(policy.API, "GET", "/v1/not-declared")
    assert err.value.code == "forbidden"

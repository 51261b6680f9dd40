"""The guarded-action pipeline: the one way anything in Meritflow is changed by someone.

For every mutating action of every kind of process, in this order:

1. **load** the process from its read model (404 when there is none);
2. **read** the body and take its **fingerprint** (request id, principal, action, process, body);
3. **claim** a client-supplied request id: a replay gets the first answer, a copy still running
   gets ``request_in_progress`` (retry), another request under the same id ``request_id_reused``;
4. **authorise** by the action's rule in ``actions/policy.py``: the caller must see the process
   (its scope; else 404, as if it did not exist), hold one of the rule's roles (403
   ``forbidden_role``), and, where the action says so, the seat or identity
   that goes with the role (panel member, named supervisor, appointing authority; 403);
5. **parse** the body into the action's model (422 naming every field at fault);
6. **precheck** the values against the rulebook (422), never against state the read model may
   show late: state is the workflow's to judge;
7. **execute**: a typed workflow update whose result is the new state, or a store transaction
   that checks its own gate (candidate-level data); an update that hands its entries over
   (``workflows/ledgered.py``) has them written here, once it has completed
   (``actions/handed.py``), before the answer;

and on any refusal append exactly one ledger entry (its id from the fingerprint, so racing copies
of one attempt write one entry). :class:`domain.errors.Unavailable` is not a refusal: nothing is
recorded and the claim is released, so a retry applies the request afresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import structlog
from pydantic import BaseModel, ValidationError

from actions import policy
from actions.refusals import record_refusal, refusal_entry
from actions.registry import load_target
from actions.requests import Request, claim, release, settle
from actions.services import Services
from actions.targets import Target
from domain.errors import (
    DomainError,
    InProgress,
    NotFound,
    RuleViolation,
    Unavailable,
    from_transport,
    to_transport,
)
from domain.ledger import Actor, canonical_json
from domain.processes import ProcessKind
from infra.tokens import Principal

log = structlog.get_logger(__name__)

B = TypeVar("B", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)

# The body as an adapter has it: bytes still to parse (JSON API), a mapping (a console form, a
# test), or a reader that may itself refuse (a body over the size limit).
BodySource = bytes | Mapping[str, Any] | Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class Attempt(Generic[B]):
    """One attempt, as far as the pipeline has taken it."""

    services: Services
    principal: Principal
    actor: Actor
    target: Target
    body: B
    fingerprint: str
    now: datetime

    @property
    def update_id(self) -> str:
        """The workflow update's id: one per distinct request, so a replay finds the first."""
        return f"{self.target.kind}:{self.fingerprint[:40]}"


@dataclass(frozen=True)
class Action(Generic[B, R]):
    """One thing a principal may do to one kind of process."""

    name: str
    kind: ProcessKind
    refused: str  # the ledger kind a refusal is recorded under
    body: type[B]
    result: type[R]
    execute: Callable[[Attempt[B]], Awaitable[R]]
    # Seat or identity beyond the role (raises NotPermitted), once the body is known.
    authorize: Callable[[Attempt[B]], Awaitable[None]] | None = None
    # Values against the rulebook (raises RuleViolation); never state the read model may lag on.
    precheck: Callable[[Attempt[B]], None] | None = None
    # Whom a refusal is about, when the body names someone (an applicant, an employee).
    subject: Callable[[B], str | None] | None = None
    # An action that creates its process finds its target from the body instead of a path.
    locate: Callable[[Services, Principal, B], Awaitable[Target]] | None = None
    # May a caller who can see the process's agency see it? (reviews: the reviewing body too)
    visible: Callable[[Principal, Target], bool] | None = None
    # A body that is not JSON (a CSV file): its own reader into ``body`` (raises a DomainError).
    parse: Callable[[bytes], B] | None = None
    summary: str = field(default="")

    @property
    def rule(self) -> policy.Rule:
        """Who may call it, and on which objects: the action's entry in ``actions/policy.py``."""
        return policy.action_rule(self.name)

    @property
    def roles(self) -> frozenset[str]:
        return policy.action_roles(self.name)


def actor_of(principal: Principal) -> Actor:
    return Actor(id=principal.sub, role=principal.role, agency=principal.agency)


def can_see_agency(principal: Principal, agency: str | None) -> bool:
    """Agency-bound callers see their agency only; a token without an agency claim is national."""
    return principal.agency is None or principal.agency == agency


def fingerprint(
    request_id: str, principal: Principal, action: str, process_id: str, raw: bytes
) -> str:
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = hashlib.sha256(raw).hexdigest()
    parts = [request_id, principal.sub, principal.role, principal.agency, action, process_id, body]
    return hashlib.sha256(canonical_json(parts)).hexdigest()


@dataclass(frozen=True)
class Done(Generic[R]):
    """An action's result; ``replayed`` when it is the stored answer to an earlier copy."""

    result: R
    replayed: bool = False


async def perform(
    services: Services,
    action: Action[B, R],
    principal: Principal,
    *,
    process_id: str | None,
    body: BodySource,
    request: Request,
) -> Done[R]:
    """Run ``action`` for ``principal``; its result, or the refusal raised as a DomainError."""
    now = datetime.now(UTC)
    target = None
    if action.locate is None:
        assert process_id is not None
        target = await load_target(services, action.kind, process_id)
        if target is None:
            raise NotFound(
                f"No {action.kind.value.replace('_', ' ')} '{process_id}' is known here."
            )
    run = _Run(services, action, principal, request, now, target)
    return await run.go(body, process_id or "")


@dataclass
class _Run(Generic[B, R]):
    services: Services
    action: Action[B, R]
    principal: Principal
    request: Request
    now: datetime
    target: Target | None
    fp: str = ""
    parsed: B | None = None

    async def go(self, source: BodySource, process_id: str) -> Done[R]:
        try:
            raw = await _read(source)
        except DomainError as err:  # the body itself was refused (too large, badly encoded)
            self.fp = fingerprint(
                self.request.id, self.principal, self.action.name, process_id, b""
            )
            await self._refused(err)
            raise
        self.fp = fingerprint(self.request.id, self.principal, self.action.name, process_id, raw)
        if self.target is None:  # an action that creates its process: the body names it
            self._check_role()
            self.parsed = self._parse(raw)
            assert self.action.locate is not None
            self.target = await self.action.locate(self.services, self.principal, self.parsed)
        if self.request.supplied:
            replay = await self._claim()
            if replay is not None:
                return Done(replay, replayed=True)
        try:
            result = await self._guarded(raw)
        except Unavailable:
            await self._release()
            raise
        except DomainError as err:
            await self._refused(err)
            await self._answer({"error": _error_data(err)})
            raise
        await self._answer({"ok": result.model_dump(mode="json")})
        return Done(result)

    async def _guarded(self, raw: bytes) -> R:
        target, action, principal = self._target(), self.action, self.principal
        if action.visible is not None:
            visible = action.visible(principal, target)
        else:
            visible = action.rule.sees(principal, target.agency)
        if not visible:
            raise NotFound(f"No {target.name} is visible to you.", code=target.missing)
        self._check_role()
        body = self.parsed if self.parsed is not None else self._parse(raw)
        attempt = Attempt(
            self.services, principal, actor_of(principal), target, body, self.fp, self.now
        )
        if action.authorize is not None:
            await action.authorize(attempt)
        if action.precheck is not None:
            action.precheck(attempt)
        return await action.execute(attempt)

    def _check_role(self) -> None:
        if self.principal.role not in self.action.roles:
            raise policy.forbidden(self.principal, self.action.roles)

    def _parse(self, raw: bytes) -> B:
        try:
            if self.action.parse is not None:
                parsed = self.action.parse(raw)
            else:
                parsed = self.action.body.model_validate_json(raw or b"{}")
        except ValidationError as err:
            raise validation_error(err) from err
        self.parsed = parsed
        return parsed

    def _target(self) -> Target:
        assert self.target is not None
        return self.target

    async def _claim(self) -> R | None:
        target = self._target()
        found = await claim(
            self.services,
            self.request,
            fingerprint=self.fp,
            action=self.action.name,
            process_id=target.process_id,
            principal=self.principal.sub,
            now=self.now,
        )
        if found.state == "new":
            return None
        if found.state == "running":
            raise InProgress(
                "This request is still being applied; ask again in a moment for its answer.",
                code="request_in_progress",
                retry_after=1,
            )
        if found.state == "reused":
            header = self.request.header
            err = RuleViolation(
                f"This {header} was already used for another request; send a new one with a new "
                "request.",
                code=self.request.reused_code,
                field=header,
            )
            await self._refused(err)
            raise err
        assert found.outcome is not None
        if "ok" in found.outcome:
            return self.action.result.model_validate(found.outcome["ok"])
        data = found.outcome["error"]
        raise from_transport(data["code"], data["message"], data["details"])

    async def _answer(self, outcome: dict[str, Any]) -> None:
        if self.request.supplied:
            await settle(self.services, self.request, outcome, self.now)

    async def _release(self) -> None:
        if self.request.supplied:
            await release(self.services, self.request, self.now)

    async def _refused(self, err: DomainError) -> None:
        if self.target is None or isinstance(err, (Unavailable, InProgress)):
            return
        subject = None
        if self.parsed is not None and self.action.subject is not None:
            subject = self.action.subject(self.parsed)
        entry = refusal_entry(
            self.target,
            kind=self.action.refused,
            action=self.action.name,
            actor=actor_of(self.principal),
            error=err,
            fingerprint=self.fp,
            request_id=self.request.id,
            subject=subject,
            now=self.now,
        )
        await record_refusal(self.services, entry)


async def _read(source: BodySource) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, Mapping):
        return canonical_json(dict(source))
    return await source()


def _error_data(err: DomainError) -> dict[str, Any]:
    message, code, details = to_transport(err)
    return {"code": code, "message": message, "details": details}


def validation_error(err: ValidationError) -> RuleViolation:
    fields = []
    for e in err.errors():
        loc = [str(p) for p in e.get("loc", ()) if p != "body"]
        fields.append({"field": ".".join(loc) or "body", "message": str(e.get("msg", "invalid"))})
    names = ", ".join(f["field"] for f in fields[:5])
    return RuleViolation(
        f"The request is not valid: check {names}.", code="validation_error", fields=fields
    )

"""Every kind of caller the matrix tries: each role in its own agency, in another agency and with
national scope (no agency claim); no credentials; an expired token; a token signed with a key
this server does not trust; and, on the review routes, a reviewer who declared a conflict.

For the console the same callers come as session cookies, signed as Starlette's
SessionMiddleware signs them (a foreign key and an expired one included)."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
from itsdangerous import TimestampSigner

from domain.enums import Role
from infra.settings import Settings
from infra.tokens import Principal, mint_token

OWN = "KEMENPANRB"
OTHER = "BPS"
FOREIGN_KEY = "a-key-this-server-never-trusted-0123456789abcdef"
CSRF = "matrix-csrf-token-0123456789abcdef"


@dataclass(frozen=True)
class Caller:
    name: str
    principal: Principal | None  # None: no valid credentials (anonymous, expired, foreign key)
    credential: str  # "token", "none", "expired", "foreign"

    @property
    def signed_in(self) -> bool:
        return self.principal is not None

    def headers(self, settings: Settings) -> dict[str, str]:
        p = self.principal
        if self.credential == "none":
            return {}
        if self.credential == "token" and p is not None:
            token = mint_token(settings, role=p.role, sub=p.sub, agency=p.agency)
        else:
            now = int(time.time())
            claims = {
                "sub": "intruder",
                "role": Role.ADMIN.value,
                "iss": settings.jwt_issuer,
                "aud": settings.jwt_audience,
                "iat": now - 7200 if self.credential == "expired" else now,
                "exp": now - 3600 if self.credential == "expired" else now + 600,
            }
            key = settings.jwt_secret if self.credential == "expired" else FOREIGN_KEY
            token = jwt.encode(claims, key, algorithm="HS256")
        return {"Authorization": f"Bearer {token}"}

    def cookies(self, settings: Settings) -> dict[str, str]:
        p = self.principal
        if self.credential == "none":
            return {}
        person: dict[str, Any] = {
            "sub": p.sub if p else "intruder",
            "name": p.sub if p else "Intruder",
            "agency": p.agency if p else None,
            "roles": [p.role if p else Role.ADMIN.value],
            "role": p.role if p else Role.ADMIN.value,
        }
        data = base64.b64encode(json.dumps({"person": person, "csrf": CSRF}).encode())
        if self.credential == "foreign":
            secret, age = FOREIGN_KEY, 0
        elif self.credential == "expired":
            secret, age = settings.session_secret, settings.session_max_age_seconds + 60
        else:
            secret, age = settings.session_secret, 0
        return {"meritflow_session": _Signer(secret, age).sign(data).decode()}


class _Signer(TimestampSigner):
    def __init__(self, secret: str, age: int) -> None:
        super().__init__(secret)
        self.age = age

    def get_timestamp(self) -> int:
        return int(time.time()) - self.age


def callers() -> list[Caller]:
    out = [
        Caller("anonymous", None, "none"),
        Caller("expired", None, "expired"),
        Caller("foreign-key", None, "foreign"),
    ]
    for role in Role:
        for where, agency in (("own", OWN), ("other", OTHER), ("national", None)):
            principal = Principal(sub=f"{role.value}-1", role=role.value, agency=agency)
            out.append(Caller(f"{role.value}@{where}", principal, "token"))
    return out

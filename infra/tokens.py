"""Bearer tokens: minting (development) and verification (HS256 secret, or an OIDC issuer's JWKS)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

from infra.settings import Settings


@dataclass(frozen=True)
class Principal:
    sub: str
    role: str
    agency: str | None


class InvalidToken(Exception):
    pass


def mint_token(settings: Settings, *, role: str, sub: str, agency: str | None = None) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "role": role,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + settings.token_ttl_seconds,
    }
    if agency:
        claims["agency"] = agency
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


class TokenVerifier:
    """Verifies tokens; with ``jwt_jwks_url`` set it trusts the issuer's published keys instead."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None

    def verify(self, token: str) -> Principal:
        s = self._settings
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ["RS256", "ES256"]
            else:
                key, algorithms = s.jwt_secret, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=s.jwt_audience,
                issuer=s.jwt_issuer,
                options={"require": ["sub", "exp", "iat", "role"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        lifetime = int(claims["exp"]) - int(claims["iat"])
        if lifetime > s.token_max_lifetime_seconds:
            raise InvalidToken(
                f"the token is valid for {lifetime} s, longer than the "
                f"{s.token_max_lifetime_seconds} s allowed"
            )
        return Principal(
            sub=str(claims["sub"]), role=str(claims["role"]), agency=claims.get("agency")
        )

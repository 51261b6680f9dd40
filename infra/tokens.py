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


# A client sends the same token with every request: one that verified is remembered until it
# expires (and at most this long, so a key withdrawn from the issuer's JWKS stops counting soon),
# instead of being decoded and checked again each time.
VERIFIED_KEPT_S = 300
VERIFIED_MAX = 10_000


class TokenVerifier:
    """Verifies tokens; with ``jwt_jwks_url`` set it trusts the issuer's published keys instead."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        # token -> (remembered until, as a Unix time; the principal)
        self._verified: dict[str, tuple[float, Principal]] = {}

    def verify(self, token: str) -> Principal:
        now = time.time()
        known = self._verified.get(token)
        if known is not None and now < known[0]:
            return known[1]
        principal, expires = self._decode(token)
        if len(self._verified) >= VERIFIED_MAX:
            self._verified = {t: k for t, k in self._verified.items() if now < k[0]}
            if len(self._verified) >= VERIFIED_MAX:
                self._verified.clear()
        self._verified[token] = (min(expires, now + VERIFIED_KEPT_S), principal)
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        """The token checked in full: signature, audience, issuer, expiry, lifetime."""
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
        principal = Principal(
            sub=str(claims["sub"]), role=str(claims["role"]), agency=claims.get("agency")
        )
        return principal, float(claims["exp"])

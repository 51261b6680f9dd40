"""The token verifier remembers a token it verified, only until the token expires."""

from __future__ import annotations

import time

import jwt
import pytest

from infra import tokens
from infra.settings import Settings
from infra.tokens import InvalidToken, Principal, TokenVerifier, mint_token

SETTINGS = Settings(jwt_secret="s" * 32)


def signed(exp_in_s: float, key: str = SETTINGS.jwt_secret, **extra: object) -> str:
    now = int(time.time())
    claims = {
        "sub": "199001012015011001",
        "role": "agency_hr",
        "agency": "KEMENPANRB",
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "iat": now,
        "exp": now + exp_in_s,
        **extra,
    }
    return jwt.encode(claims, key, algorithm="HS256")


def test_a_token_verified_once_answers_the_same_principal_again() -> None:
    verifier = TokenVerifier(SETTINGS)
    token = mint_token(SETTINGS, role="auditor", sub="a1", agency="KEMENPANRB")
    first = verifier.verify(token)
    assert first == Principal(sub="a1", role="auditor", agency="KEMENPANRB")
    assert verifier.verify(token) == first


def test_a_remembered_token_is_refused_once_it_has_expired() -> None:
    verifier = TokenVerifier(SETTINGS)
    token = signed(exp_in_s=1)
    assert verifier.verify(token).sub == "199001012015011001"
    time.sleep(1.2)  # past the token's own expiry: the memory must not outlive it
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(token)


def test_a_refused_token_is_not_remembered_and_stays_refused() -> None:
    verifier = TokenVerifier(SETTINGS)
    forged = signed(exp_in_s=600, key="k" * 32)
    for _ in range(2):
        with pytest.raises(InvalidToken):
            verifier.verify(forged)


def test_a_full_memory_keeps_working(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_MAX", 3)
    verifier = TokenVerifier(SETTINGS)
    minted = [mint_token(SETTINGS, role="auditor", sub=f"a{i}") for i in range(5)]
    for i, token in enumerate(minted):
        assert verifier.verify(token).sub == f"a{i}"
        assert len(verifier._verified) <= 3  # bounded, whatever the number of callers
    assert all(verifier.verify(t).sub == f"a{i}" for i, t in enumerate(minted))

"""A minimal OpenID Connect provider for tests: discovery, authorize, token (PKCE S256), JWKS.

It signs in whoever the test says (``FakeIdP.next_user``) without a login page, and checks what a
real provider checks of the client: the code is single-use, the code verifier matches the
challenge (S256), the redirect URI and client are the ones the code was issued to.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse

from tests.conftest import free_port

CLIENT_ID = "meritflow-console"
CLIENT_SECRET = "test-secret"


@dataclass
class FakeIdP:
    issuer: str
    next_user: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
            }

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}

        @app.get("/authorize")
        async def authorize(request: Request) -> RedirectResponse:
            q = request.query_params
            if q.get("client_id") != CLIENT_ID or q.get("code_challenge_method") != "S256":
                raise HTTPException(400, "bad client or no PKCE")
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "challenge": q["code_challenge"],
                "redirect_uri": q["redirect_uri"],
                "nonce": q.get("nonce"),
                "user": dict(self.next_user),
            }
            back = {"code": code, "state": q["state"]}
            return RedirectResponse(f"{q['redirect_uri']}?{urlencode(back)}", status_code=302)

        @app.post("/token")
        async def token(
            request: Request,
            code: str = Form(),
            code_verifier: str = Form(),
            redirect_uri: str = Form(),
        ) -> JSONResponse:
            grant = self.codes.pop(code, None)  # single use
            if grant is None or grant["redirect_uri"] != redirect_uri:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            digest = hashlib.sha256(code_verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
            now = int(time.time())
            claims = {
                "iss": self.issuer,
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": grant["nonce"],
                **grant["user"],
            }
            id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})
            return JSONResponse(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": id_token,
                }  # fmt: skip
            )

        return app


@asynccontextmanager
async def running_idp() -> AsyncIterator[FakeIdP]:
    port = free_port()
    idp = FakeIdP(issuer=f"http://127.0.0.1:{port}")
    config = uvicorn.Config(idp.app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield idp
    finally:
        server.should_exit = True
        await task

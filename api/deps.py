"""Typed dependencies: one place that knows where the session, client and caller come from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from actions.services import Services
from infra.tokens import TokenVerifier


@dataclass
class AppContext(Services):
    """The pipeline's services, plus what only HTTP needs (the token verifier)."""

    verifier: TokenVerifier = field(kw_only=True)


async def get_context(request: Request) -> AppContext:
    # async: a plain ``def`` dependency is run on the thread pool, a thread hop per request.
    ctx: AppContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_session(ctx: ContextDep) -> AsyncIterator[AsyncSession]:
    async with ctx.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_client(ctx: ContextDep) -> Client:
    return ctx.client


ClientDep = Annotated[Client, Depends(get_client)]

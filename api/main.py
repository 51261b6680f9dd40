"""The JSON API as a FastAPI application: ``create_app()``; the Temporal client and the database
engine live in its lifespan. The process that serves it (with the console) is ``server.py``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from temporalio.client import Client

from api import errors, openapi
from api.deps import AppContext
from api.middleware import BodyLimit, RequestContextMiddleware
from api.routes import (
    audit,
    checkpoints,
    employees,
    events,
    export,
    health,
    processes,
    promotion_periods,
    promotions,
    public,
    reviews,
    selections,
    talent,
    talent_reviews,
    tasks,
    webhooks,
)
from infra.db import create_engine, session_factory
from infra.logging import configure_logging
from infra.settings import Settings, get_settings
from infra.temporal import connect
from infra.tokens import TokenVerifier

log = structlog.get_logger(__name__)


def create_app(settings: Settings | None = None, *, client: Client | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(json=settings.json_logs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.effective_database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        temporal = client or await connect(settings)
        app.state.ctx = AppContext(
            settings=settings,
            sessions=session_factory(engine),
            client=temporal,
            verifier=TokenVerifier(settings),
        )
        log.info("api.started", temporal=settings.temporal_address, task_queue=settings.task_queue)
        try:
            yield
        finally:
            await app.state.ctx.close()
            await engine.dispose()

    app = FastAPI(
        title="Meritflow",
        version="0.1.0",
        description="Durable, auditable workflows for merit-based selection and promotion.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
        max_json_elements=settings.max_json_elements,
        max_header_bytes=settings.max_header_bytes,
        route_limits=[
            BodyLimit(
                re.compile(r"^/v1/selections/[^/]+/applicants/import$"),
                selections.CSV_MAX_BYTES,
                "csv_too_large",
                "The CSV file",
            ),
            BodyLimit(
                re.compile(r"^/v1/talent/records/import$"),
                talent.CSV_MAX_BYTES,
                "csv_too_large",
                "The CSV file",
            ),
        ],
    )
    for module in (
        health,
        employees,
        promotions,
        processes,
        audit,
        reviews,
        tasks,
        webhooks,
        checkpoints,
        export,
        events,
        promotion_periods,
        selections,
        talent_reviews,
        talent,
        public,
    ):
        app.include_router(module.router)
    openapi.install(app)
    return app

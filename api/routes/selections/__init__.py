"""Open selection for high leadership posts (seleksi terbuka JPT): the committee's HTTP API.

Every mutating endpoint is an adapter over one action of ``actions/selections`` (the guarded-action
pipeline): it hands the request to ``api.actions.act`` and answers with the action's result; reads
come from the read model (``reads``). Modules follow the stage groups: ``planning``,
``registration``, ``screening``, ``assessment``, ``plenary``, ``appointment``.
"""

from fastapi import APIRouter

from actions.selections.csv_import import CSV_MAX_BYTES
from api.routes.selections import (
    appointment,
    assessment,
    planning,
    plenary,
    reads,
    registration,
    screening,
)

router = APIRouter()
for module in (planning, registration, screening, assessment, plenary, appointment, reads):
    router.include_router(module.router)

__all__ = ["CSV_MAX_BYTES", "router"]

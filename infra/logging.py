"""structlog, configured once per process: console in development, JSON otherwise.

stdlib logging (uvicorn, temporalio, sqlalchemy) is routed through the same processors so every line
has one shape. Request and workflow ids are bound with ``structlog.contextvars``.

uvicorn configures its own loggers before it imports the app, with handlers that print plain text
and do not propagate: in a JSON stream those lines would be the ones a log shipper cannot parse.
They are handed to the root handler here, and uvicorn's access line is switched off: the API's
middleware writes one structured line per request instead (``http.access``: method, path, status,
milliseconds, the request id), at the same cost to the API as uvicorn's line (by turns, 2026-12-04).
"""

from __future__ import annotations

import logging
import sys

import structlog

_configured = False
# uvicorn's loggers: its own messages go to the root handler; its access line is replaced.
_UVICORN = ("uvicorn", "uvicorn.error")
_UVICORN_ACCESS = "uvicorn.access"


def configure_logging(*, json: bool, level: int = logging.INFO) -> None:
    global _configured
    _route_uvicorn()
    if _configured:
        return
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    _configured = True


def _drop_color_message(
    _: object, __: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """uvicorn repeats its message with terminal colour codes as an extra (``color_message``)."""
    event_dict.pop("color_message", None)
    return event_dict


def _route_uvicorn() -> None:
    """Undo uvicorn's own handlers (idempotent: uvicorn may have configured them after us)."""
    for name in _UVICORN:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger(_UVICORN_ACCESS)
    access.handlers.clear()
    access.propagate = False
    access.disabled = True

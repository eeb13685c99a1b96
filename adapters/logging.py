"""structlog, configured once per process: JSON lines when stderr is not a terminal, colours when it is.

Logs go to stderr so that `--json` output on stdout stays clean for programs.
"""

from __future__ import annotations

import logging
import os
import sys

import structlog

_configured = False


class _CurrentStderr:
    """Writes to whatever sys.stderr is at the time of writing (test runners swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str | None = None, *, json_lines: bool | None = None) -> None:
    """Configure structlog and the stdlib root logger; later calls change nothing."""
    global _configured
    if _configured:
        return
    _configured = True
    level_name = (level or os.environ.get("STO_LOG_LEVEL", "WARNING")).upper()
    numeric = getattr(logging, level_name, logging.WARNING)
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    renderer = structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer()
    shared = [
        structlog.contextvars.merge_contextvars,
        _trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),
        cache_logger_on_first_use=True,
    )
    # the libraries (temporalio, eventsourcing, uvicorn) log through the stdlib: same format, same level
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer,
        ])
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)


def _trace_ids(_logger, _method, event: dict) -> dict:
    """The trace and span id of the span the line is written in, when tracing is on (adapters/observability)."""
    tracing = sys.modules.get("adapters.observability.tracing")  # imported only where tracing can be on
    if tracing is not None:
        event.update(tracing.current_ids())
    return event


def get_logger(name: str | None = None):
    return structlog.get_logger(name)

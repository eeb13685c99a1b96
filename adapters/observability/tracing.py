"""Traces of one operator command, from the API through the workflow update and the activity to the store
(OpenTelemetry), switched on by STO_TRACE_FILE: every finished span is written there as one JSON line.

The Temporal SDK's TracingInterceptor carries the trace across the client, the workflow and the activity (in the
headers of each call); FastAPI opens a server span per request, named by its route, once a tracer provider is set
(adapters/http/app.py sets it); the activity opens one around the store's execution of the command; the structured logs carry the trace and span id of the span they are written in
(adapters/logging.py). Without the setting nothing is traced and no interceptor is installed.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

TRACE_FILE_SETTING = "STO_TRACE_FILE"
_lock = threading.Lock()
_configured = False


def trace_file() -> Path | None:
    value = os.environ.get(TRACE_FILE_SETTING, "").strip()
    return Path(value) if value else None


def configure_tracing(service_name: str = "sto-engine") -> bool:
    """Install the tracer provider of this process (once) when STO_TRACE_FILE is set; whether tracing is on."""
    global _configured
    path = trace_file()
    if path is None:
        return False
    with _lock:
        if not _configured:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import SimpleSpanProcessor

            provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
            provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(path)))
            trace.set_tracer_provider(provider)
            _configured = True
    return True


def client_interceptors() -> list[Any]:
    """The Temporal client's interceptors: the tracing one when tracing is on (a worker made from the client takes
    it over)."""
    if not configure_tracing():
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]


def tracer() -> trace.Tracer:
    return trace.get_tracer("sto-engine")


def current_ids() -> dict[str, str]:
    """The trace and span id of the span now current, for a log line; nothing outside a span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": format(context.trace_id, "032x"), "span_id": format(context.span_id, "016x")}


class JsonLinesExporter(SpanExporter):
    """Writes each finished span as one JSON line (append, flushed): a file a test or a log shipper reads."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        lines = []
        for span in spans:
            context, parent = span.get_span_context(), span.parent
            lines.append(json.dumps({
                "name": span.name,
                "trace_id": format(context.trace_id, "032x"),
                "span_id": format(context.span_id, "016x"),
                "parent_span_id": format(parent.span_id, "016x") if parent is not None else None,
                "kind": span.kind.name,
                "start": span.start_time,
                "end": span.end_time,
                "status": span.status.status_code.name,
                "attributes": {k: v if isinstance(v, (str, int, float, bool)) else str(v)
                               for k, v in (span.attributes or {}).items()},
                "service": (span.resource.attributes or {}).get("service.name"),
            }, sort_keys=True))
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True

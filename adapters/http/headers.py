"""Security headers on every response: page, API, documentation, static files and errors alike.

The back-office page loads only its own script and style sheet (/static), so its policy allows nothing else;
the same strict policy goes on every other response (JSON needs none of it). The documentation pages set their
own policy (`docs_policy`): Swagger UI starts from one inline script (allowed by its hash), ReDoc writes its
styles inline and runs its search in a blob: worker (its logo on a CDN stays blocked: the page works without). Every /v1 response also gets `Cache-Control:
no-store`: it carries grant data (or says who may read it), which no browser or proxy should keep. The
OpenAPI document may be read by anyone from any origin (`Access-Control-Allow-Origin: *`, API Design Rules
/core/doc-openapi). Every response carries `API-Version` (the API's semantic version, /core/version-header).
"""

from __future__ import annotations

import base64
import hashlib
import re
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.http.versioning import API_VERSION, OPENAPI_URL, is_api

PAGE_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])
ALWAYS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "API-Version": API_VERSION,
}
OPEN_TO_ALL = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, OPTIONS",
               "Access-Control-Allow-Headers": "*"}
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_policy(html: str, *, redoc: bool = False) -> str:
    """The policy of a documentation page: its own assets and the inline scripts `html` holds (by hash); for
    ReDoc also inline styles and blob: workers."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in INLINE_SCRIPT.findall(html)
    ]
    return "; ".join([
        "default-src 'none'",
        " ".join(["script-src 'self'", *hashes]),
        "style-src 'self' 'unsafe-inline'" if redoc else "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        *(["worker-src blob:"] if redoc else []),
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ])


class SecurityHeaders:
    """Add the security headers to every HTTP response; a response that sets its own CSP keeps it."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        api = is_api(path)
        public = path == OPENAPI_URL
        if public and scope.get("method") == "OPTIONS":  # a CORS preflight for the OpenAPI document
            await send({"type": "http.response.start", "status": 204,
                        "headers": [(k.lower().encode(), v.encode()) for k, v in {**ALWAYS, **OPEN_TO_ALL,
                                    "Content-Security-Policy": PAGE_POLICY}.items()]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers[name] = value
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = PAGE_POLICY
                if api:
                    headers["Cache-Control"] = "no-store"
                if public:
                    for name, value in OPEN_TO_ALL.items():
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

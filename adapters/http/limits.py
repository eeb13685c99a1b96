"""Limits on what one client may send: the size of a request body, and how often its tokens may fail.

- `BodyLimit` (ASGI middleware, outside everything else) reads the whole body before the app sees the request
  and answers 413 (problem+json) when it is larger than the limit: at once when Content-Length says so, else as soon as the
  chunks received add up to more. Nothing of such a request reaches a route, let alone the engine.
- `FailedAuthLimiter` counts failed authentications (a bearer token that names nobody) per client address.
  After `limit` failures within `window_seconds` the address gets 429 with Retry-After, without its token being
  checked, until the oldest of those failures is older than the window. A valid token is never counted, and
  requests answered 429 are not counted either. In memory: one process, forgotten on restart.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque
from typing import Callable

from starlette.responses import JSONResponse

from adapters.http.problems import MEDIA_TYPE, problem_body
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.logging import get_logger

log = get_logger(__name__)

MIB = 1024 * 1024


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses such framing; the chunks are counted anyway
    return None


def too_large(limit: int, size: int | None, path: str) -> JSONResponse:
    said = f"is {size} bytes" if size is not None else f"is larger than {limit} bytes"
    body = problem_body("payload_too_large", f"the request body {said}; at most {limit} bytes are accepted", path,
                        f"send a body of at most {limit} bytes (no transition needs more than a few kilobytes)")
    return JSONResponse(body, status_code=body["status"], media_type=MEDIA_TYPE)


class BodyLimit:
    """Answer 413 (JSON error body) to a request whose body is larger than `max_bytes`, before the app runs."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await too_large(self.max_bytes, declared, scope.get("path", ""))(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        pending: list[Message] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see that
                pending.append(message)
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await too_large(self.max_bytes, None, scope.get("path", ""))(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        pending.insert(0, {"type": "http.request", "body": b"".join(chunks), "more_body": False})

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        await self.app(scope, replay, send)


def client_key(host: str | None) -> str:
    """The address a failure counts against: the client's IP address, an IPv6 address by its /64 network."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class FailedAuthLimiter:
    """Failed authentications per client address, in memory; safe to use from threads and the event loop."""

    def __init__(self, limit: int = 20, window_seconds: float = 60.0, *, max_addresses: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        if limit < 1 or window_seconds <= 0:
            raise ValueError("the failed-authentication limit needs limit >= 1 and window_seconds > 0")
        self.limit = limit
        self.window = window_seconds
        self.max_addresses = max_addresses
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}  # the last `limit` failures of each address, oldest first
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until `address` may try again, or None when it may try now."""
        with self._lock:
            failures = self._failures.get(address)
            if failures is None or len(failures) < self.limit:
                return None
            wait = failures[0] + self.window - self._clock()
            if wait <= 0:
                return None
            return max(1, math.ceil(wait))

    def failed(self, address: str) -> None:
        """Count one failed authentication of `address`."""
        with self._lock:
            now = self._clock()
            failures = self._failures.get(address)
            if failures is None:
                if len(self._failures) >= self.max_addresses:
                    self._forget(now)
                failures = self._failures[address] = deque(maxlen=self.limit)
            failures.append(now)
            if len(failures) == self.limit and failures[0] > now - self.window:
                log.warning("http.auth_failures_limited", client=address, failures=self.limit, window_seconds=self.window)

    def _forget(self, now: float) -> None:
        """Make room: drop the addresses without a failure in the window, else the longest-known ones."""
        for address in [a for a, f in self._failures.items() if f[-1] <= now - self.window]:
            del self._failures[address]
        while len(self._failures) >= self.max_addresses:
            del self._failures[next(iter(self._failures))]
